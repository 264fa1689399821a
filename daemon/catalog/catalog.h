// SPDX-License-Identifier: MIT
#pragma once

// The index's view of every connected peer and the files it shares, and the
// search over them, all in memory: the first CatalogService.
//
// A file is keyed by (peer id, the peer's file id), so a peer can change or
// remove one file without re-sending the rest. Files of one content are one
// search hit with many holders: with a root, every file with that root and
// size, whatever each holder names it; without, every file with the same
// name and size that has no root yet. A hashed and an unhashed file never
// share a hit, even with the same name and size: nothing says they hold
// the same bytes.

#include "catalog/catalog_service.h"
#include "catalog/id_table.h"
#include "catalog/name_arena.h"
#include "catalog/paged_vector.h"
#include "catalog/word_index.h"
#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace napster {

struct CatalogLimits {
    std::uint32_t max_files_per_peer = 1000000;
    std::uint32_t max_results = 100;
    // A word search stops counting here and flags total_matches as a lower
    // bound: a word in every tenth name must not cost a walk over all of
    // them. Not below max_results.
    std::uint32_t max_counted_matches = 1000;
};

// Every operation comes in two forms: one that returns its answer, for
// code that holds a Catalog itself (its tests, a wrapper), and the
// CatalogService one, which calls back before it returns. Pure data
// structure: no I/O, no clock, nothing in flight, so it may be destroyed
// at any time; it keeps copies of what it is given. Not synchronised: one
// thread only, napindexd's loop thread.
//
// Layout: flat arrays of small records and IdTables over them, no node per
// file. A file is a FileRecord (16 bytes) in its peer's table; each
// distinct (name, size, root) is an Entry (24 bytes) with its name in the
// NameArena and one posting in the WordIndex per distinct word.
//
// Costs: adding or replacing a file is a few hash lookups, plus, for a new
// name, one posting per word; removing one is a few lookups, its name's
// postings being swept later (work()). A word search reads the postings
// of the words that contain the rarest query word and stops after
// max_counted_matches matches (or 64 times that many names read), so its
// cost follows the answer, not the catalog; an exact search and one by
// root are lookups. Dropping a peer can be done in slices: see
// begin_remove_peer.
class Catalog final : public CatalogService {
public:
    explicit Catalog(CatalogLimits limits);

    // A peer must be added before its files. Adding an id twice replaces
    // the info and keeps the files; adding one being removed first
    // finishes its removal.
    void add_peer(PeerInfo info) override;
    // Drops the peer and every file it holds; returns how many files went.
    std::size_t remove_peer(std::uint32_t peer_id);
    void remove_peer(std::uint32_t peer_id, CountCallback on_removed) override {
        on_removed(remove_peer(peer_id));
    }
    // The same in slices: the peer is gone at once for every call but
    // search (has_peer, add_files, peer_count), and its files go as work()
    // gets to them, searches listing them until then. Returns how many
    // files it holds. Finished when removing_peer is false again.
    std::size_t begin_remove_peer(std::uint32_t peer_id);
    bool removing_peer(std::uint32_t peer_id) const;
    bool has_peer(std::uint32_t peer_id) const;

    // Adds or replaces files; within one batch the last entry for an id
    // wins. Fails, changing nothing, when the peer is unknown (not_found),
    // the batch would take it past max_files_per_peer (limit_exceeded), or
    // a name is not one a SEARCH_RESULT may carry (invalid_argument, see
    // file_name_problem).
    Result<AddOutcome> add_files(std::uint32_t peer_id, std::span<const CatalogFile> files);
    void add_files(std::uint32_t peer_id, std::vector<CatalogFile> files,
                   AddCallback on_added) override {
        on_added(add_files(peer_id, files));
    }
    // Removes the given ids; ids the peer does not hold are ignored.
    // Returns how many were removed.
    std::size_t remove_files(std::uint32_t peer_id, std::span<const std::uint64_t> file_ids);
    void remove_files(std::uint32_t peer_id, std::vector<std::uint64_t> file_ids,
                      CountCallback on_removed) override {
        on_removed(remove_files(peer_id, file_ids));
    }

    // Matches as CatalogQuery says, one hit per content: a content several
    // of whose names match is one hit, named by the first of them by bytes,
    // and total_matches counts contents, not names. Hits are sorted by
    // (name, size, root: none first, then its bytes), a total order;
    // holders by peer id, then file id, at most max_holders_per_result of
    // them, each with its own name. At most min(query.max_hits (0 = no own
    // limit), limits.max_results) hits. total_matches counts every hit
    // found; a word search that stopped early (max_counted_matches) sets
    // total_is_lower_bound, and its hits are then the first in hit order
    // among the matches it saw, not necessarily among all. Fitting them
    // into a frame is the reply's business (index/search_reply).
    CatalogAnswer search(const CatalogQuery& query) const;
    void search(CatalogQuery query, SearchCallback on_answer) override { on_answer(search(query)); }

    // Deferred work: files of peers being removed, sweeping the postings
    // of names that went, and finishing the move of tables that grew. Does about `budget` units (a file
    // unlinked, a posting read; roughly 5-50 ns each) and returns whether
    // work is left. Searches are right whether or not it ever runs; it
    // gives memory back and finishes removals.
    bool work(std::size_t budget);
    bool has_work() const;

    std::size_t peer_count() const override { return peers_.size() - leaving_.size(); }
    std::size_t file_count() const override { return file_count_; }
    std::size_t peer_file_count(std::uint32_t peer_id) const;
    // Contents: what a search matching every name would count.
    std::size_t content_count() const { return content_count_; }
    // Distinct (name, size, root): the names a word search can match.
    std::size_t name_count() const { return names_.size(); }
    // Sweeps finished since it was made.
    std::size_t sweep_count() const { return sweeps_; }
    // Heap bytes held by the catalog's own structures (peers' info aside).
    std::size_t memory_bytes() const;
    // The same, by part, for benchmarks: "records 123, entries 456, ...".
    std::string memory_report() const;

private:
    static constexpr std::uint32_t none = 0xffffffff;
    struct Entry {
        std::uint64_t size = 0;
        NameArena::Ref name = 0;
        std::uint32_t root = none;  // its RootLink, for a name with a root
        std::uint32_t holder = 0;   // holder_count 1: a FileRecord; more: a holder list
        std::uint32_t holder_count = 0; // 0: gone, its postings not swept yet, or free
    };
    // Names with a root and size form a ring per content, so a hit of a
    // content with several names finds them all.
    struct RootLink {
        content::Digest root;
        std::uint32_t prev = none, next = none; // entries
    };
    struct FileRecord {
        std::uint64_t file_id = 0;
        std::uint32_t slot = 0; // its peer's PeerSlot
        std::uint32_t entry = 0;
    };
    struct PeerState {
        std::uint32_t slot = 0;
        IdTable files; // FileRecords by file id
        bool leaving = false;
        bool in_settling = false; // its id is in settling_peers_
    };
    // What a search reads of a holder's peer, in a dense array: a search
    // listing thousands of holders does no hash lookup for any of them.
    // A slot is reused once its peer has gone, removal finished.
    struct PeerSlot {
        std::uint32_t id = 0;
        SharedPeerInfo info;
        // The search that last listed it (listing_) and its index in that
        // answer's peers: each peer goes into an answer once.
        mutable std::uint32_t listed_in = 0;
        mutable std::uint32_t listed_at = 0;
    };
    struct Leaving {
        std::uint32_t peer;
        std::size_t next_slot = 0; // in its files table
    };
    struct Sweep {
        bool active = false;
        WordIndex::WordId next_word = 0;
        std::vector<std::uint32_t> entries; // dead when it began; free once it ends
    };

    static std::uint32_t hash_file_id(std::uint64_t file_id);
    static std::uint32_t hash_name(std::string_view name);
    static std::uint32_t hash_root(const content::Digest& root);

    std::string_view name_of(std::uint32_t entry) const { return arena_.view(entries_[entry].name); }
    const content::Digest* root_of(const Entry& entry) const {
        return entry.root == none ? nullptr : &roots_[entry.root].root;
    }
    bool shares_content(std::uint32_t entry) const {
        const Entry& e = entries_[entry];
        return e.root != none && roots_[e.root].next != entry;
    }
    // Hit order: (name, size, root: none first).
    bool entry_less(std::uint32_t a, std::uint32_t b) const;
    // Content order for names with a root: (root, size, name).
    bool content_less(std::uint32_t a, std::uint32_t b) const;
    bool same_content(std::uint32_t a, std::uint32_t b) const;

    std::optional<std::uint32_t> find_entry(std::string_view name, std::uint64_t size,
                                            const std::optional<content::Digest>& root) const;
    std::optional<std::uint32_t> find_record(const PeerState& peer, std::uint64_t file_id) const;
    std::uint32_t new_record(std::uint64_t file_id, std::uint32_t slot, std::uint32_t entry);
    std::uint32_t link_holder(const CatalogFile& file, std::uint32_t record);
    void unlink_holder(std::uint32_t record);
    std::uint32_t create_entry(const CatalogFile& file);
    void retire_entry(std::uint32_t entry);
    void join_content(std::uint32_t entry);
    void leave_content(std::uint32_t entry);
    // Record indices of an entry's holders, in (peer id, file id) order.
    std::span<const std::uint32_t> holders_of(const Entry& entry) const;
    bool record_less(std::uint32_t a, std::uint32_t b) const;
    std::size_t continue_leaving(std::size_t budget);
    std::size_t continue_sweep(std::size_t budget);
    bool sweep_due() const;
    // Finishes the move of tables that grew (IdTable::settle).
    bool tables_settling() const;
    std::size_t continue_settling(std::size_t budget);
    // Peers' file tables and slots, their info aside.
    std::size_t peer_table_bytes() const;

    template <typename OnMatch>
    bool for_each_word_match(const std::vector<std::string>& words, OnMatch&& on_match) const;
    // Two words, by ranges of ids (for_each_word_match says why): the live
    // names holding a word of `driver` and one of `other` into `found`,
    // each once, until `enough`.
    enum class Meeting { all, enough, unsure };
    // Sizes both stamp bitmaps to a bit a name; returns their length in words.
    std::size_t size_stamps() const;
    Meeting meet_in_ranges(const std::vector<WordIndex::WordId>& other,
                           const std::vector<WordIndex::WordId>& driver, std::size_t enough,
                           std::vector<std::uint32_t>& found) const;
    // Appends the entry's hit, and the peers it lists that are not yet in
    // the answer.
    void add_hit(std::uint32_t entry, CatalogAnswer& answer) const;
    // Appends the holder, named `named`'s name where that is not the hit's
    // (`hit_entry`'s).
    void list_holder(std::uint32_t record, std::uint32_t named, std::uint32_t hit_entry,
                     CatalogHit& hit, CatalogAnswer& answer) const;

    CatalogLimits limits_;
    std::unordered_map<std::uint32_t, PeerState> peers_; // by peer id
    std::vector<PeerSlot> slots_;
    std::vector<std::uint32_t> free_slots_;
    mutable std::uint32_t listing_ = 0; // searches so far, for PeerSlot::listed_in
    std::vector<Leaving> leaving_;
    PagedVector<FileRecord> records_;
    std::vector<std::uint32_t> free_records_;
    PagedVector<Entry> entries_;
    std::vector<std::uint32_t> free_entries_; // swept: in no postings
    std::vector<std::uint32_t> dead_entries_; // gone, still in postings
    std::vector<std::vector<std::uint32_t>> holder_lists_;
    std::vector<std::uint32_t> free_holder_lists_;
    PagedVector<RootLink> roots_;
    std::vector<std::uint32_t> free_roots_;
    IdTable names_; // entries by name
    IdTable by_root_; // entries with a root, by root
    NameArena arena_;
    WordIndex words_;
    Sweep sweep_;
    std::vector<std::uint32_t> settling_peers_; // whose files table still moves over
    std::size_t content_count_ = 0;
    std::size_t file_count_ = 0;
    std::size_t sweeps_ = 0;
    // A search marks each name it has seen with its generation, so a name
    // holding two words that contain the query word counts once.
    mutable PagedVector<std::uint32_t> seen_;
    mutable std::uint32_t generation_ = 0;
    // A search of several words stamps names in these, a bit a name; all
    // zero between searches (for_each_word_match).
    mutable std::vector<std::uint64_t> stamps_;
    mutable std::vector<std::uint64_t> stamps_next_;
    mutable std::string fold_buffer_;
};

} // namespace napster
