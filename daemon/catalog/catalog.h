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
#include "util/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace napster {

struct CatalogLimits {
    std::uint32_t max_files_per_peer = 1000000;
    std::uint32_t max_results = 100;
};

// Every operation comes in two forms: one that returns its answer, for
// code that holds a Catalog itself (its tests, a wrapper), and the
// CatalogService one, which calls back before it returns. Pure data
// structure: no I/O, no clock, nothing in flight, so it may be destroyed
// at any time; it keeps copies of what it is given. Not synchronised: one
// thread only, napindexd's loop thread.
//
// Costs: adding, replacing or removing a file is a few lookups in ordered
// maps (logarithmic) and at most one name chunk compacted, never a scan;
// an exact search and one by root are lookups; a word search scans the
// packed names once. Only contents under several names cost more: a word
// search sorts the matches among their names to see each content once,
// and making a hit of one walks its names.
class Catalog final : public CatalogService {
public:
    explicit Catalog(CatalogLimits limits) : limits_(limits) {}

    // A peer must be added before its files. Adding an id twice replaces
    // the info and keeps the files.
    void add_peer(PeerInfo info) override;
    // Drops the peer and every file it holds; returns how many files went.
    std::size_t remove_peer(std::uint32_t peer_id);
    void remove_peer(std::uint32_t peer_id, CountCallback on_removed) override {
        on_removed(remove_peer(peer_id));
    }
    bool has_peer(std::uint32_t peer_id) const { return peers_.count(peer_id) != 0; }

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
    // limit), limits.max_results) hits; total_matches counts every hit
    // found. Fitting them into a frame is the reply's business
    // (index/search_reply).
    CatalogAnswer search(const CatalogQuery& query) const;
    void search(CatalogQuery query, SearchCallback on_answer) override { on_answer(search(query)); }

    std::size_t peer_count() const override { return peers_.size(); }
    std::size_t file_count() const override { return file_count_; }
    std::size_t peer_file_count(std::uint32_t peer_id) const;
    // Contents: what a search matching every name would count.
    std::size_t content_count() const { return content_count_; }
    // Distinct (name, content) pairs: the names the word search scans.
    std::size_t name_count() const { return names_.size(); }

private:
    // One name of one content. Its order is the hits' order: a hit is named
    // by one of its content's names, and two contents never give the same
    // key (a content without a root has one name; one with a root is told
    // apart by root and size).
    struct NameKey {
        std::string name;
        std::uint64_t size = 0;
        std::optional<content::Digest> root; // none sorts first
        auto operator<=>(const NameKey&) const = default;
        // For two keys with a root: names of one content.
        bool same_content(const NameKey& other) const {
            return size == other.size && root == other.root;
        }
    };
    struct HolderRef {
        std::uint32_t peer_id;
        std::uint64_t file_id;
        auto operator<=>(const HolderRef&) const = default;
    };
    // Where a name's folded bytes sit in name_chunks_.
    struct NamePlace {
        std::uint32_t chunk = 0;
        std::uint32_t slot = 0;
    };
    struct NameUse;
    using NameEntry = std::pair<const NameKey, NameUse>;
    // Names with a root by (root, size, name): the names of one content are
    // one run, its smallest name first. Looks up by root alone too.
    struct ContentOrder {
        using is_transparent = void;
        bool operator()(const NameEntry* a, const NameEntry* b) const;
        bool operator()(const NameEntry* a, const content::Digest& root) const;
        bool operator()(const content::Digest& root, const NameEntry* b) const;
    };
    using ContentIndex = std::set<NameEntry*, ContentOrder>;
    // The files of one content that have one name. Holders live here, not
    // with the content, so a content without a root needs no more than its
    // name; a hit of a content with several names merges their holders.
    struct NameUse {
        // A set, not a sorted vector: a file thousands of peers hold must
        // not make each of their disconnects cost a shift of the rest.
        std::set<HolderRef> holders;
        NamePlace name_place;
    };
    // map iterators and element addresses stay valid until their own
    // element is erased, so each file points straight at its name and
    // unlinking it needs no name lookup.
    using NameMap = std::map<NameKey, NameUse>;
    struct StoredFile {
        NameMap::iterator name;
    };
    struct PeerState {
        PeerInfo info;
        std::unordered_map<std::uint64_t, StoredFile> files;
    };

    // The ASCII-lowered names, one per NameUse, packed NUL-separated into
    // fixed-size chunks so a word search is memmem over contiguous bytes
    // instead of a walk over map nodes and their separate strings. A removed
    // name stays in place, marked dead, until dead bytes pass half of its
    // chunk; then only that chunk is compacted, so no removal ever costs
    // more than one chunk.
    struct NameSlot {
        std::uint32_t offset = 0; // into NameChunk::text
        std::uint16_t length = 0;
        bool live = false;
        // Another name has the same content (a root), so a search must see
        // that content once however many of its names match. Kept here,
        // beside what a search reads for every match, and in what would
        // be padding.
        bool shares_content = false;
        NameEntry* name = nullptr; // null once dead
    };
    struct NameChunk {
        std::string text;
        std::vector<NameSlot> slots; // ascending offset
        std::size_t live_count = 0;
        std::size_t dead_bytes = 0;
    };

    NameMap::iterator link_holder(const CatalogFile& file, HolderRef ref);
    void unlink_holder(NameMap::iterator name, HolderRef ref);
    // A name with a root joins contents_ once indexed, and leaves it
    // before it is unindexed: both keep the shares_content of its slot and
    // of its content's other names right.
    void join_content(NameEntry& name);
    void leave_content(NameEntry& name);
    NameSlot& slot_of(const NameUse& name);
    const NameSlot& slot_of(const NameUse& name) const;
    // The names of `name`'s content, `name` among them; it has a root.
    std::pair<ContentIndex::const_iterator, ContentIndex::const_iterator>
    content_names(const NameEntry& name) const;
    void index_name(NameEntry& name);
    void unindex_name(const NameUse& name);
    void compact_chunk(NameChunk& chunk);
    // Calls on_match with the slot of every live name whose folded bytes
    // contain every word; words are folded, non-empty and free of NUL.
    template <typename OnMatch>
    void for_each_word_match(const std::vector<std::string>& words, OnMatch&& on_match) const;
    // The hit of `name`'s content, named `name`.
    CatalogHit make_hit(const NameEntry& name) const;

    CatalogLimits limits_;
    std::unordered_map<std::uint32_t, PeerState> peers_;
    NameMap names_;
    ContentIndex contents_;
    std::size_t content_count_ = 0;
    std::size_t file_count_ = 0;
    std::vector<NameChunk> name_chunks_;
    std::uint32_t open_name_chunk_ = 0;            // where new names go
    std::vector<std::uint32_t> empty_name_chunks_; // emptied, ready for reuse
};

} // namespace napster
