// SPDX-License-Identifier: MIT
#pragma once

// The index's view of every connected peer and the files it shares, and the
// search over them, all in memory: the first CatalogService.
//
// A file is keyed by (peer id, the peer's file id), so a peer can change or
// remove one file without re-sending the rest. Files with the same name and
// size (later: the same content hash) are one search hit with many holders.

#include "catalog/catalog_service.h"
#include "util/result.h"

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
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

    // Matches as CatalogQuery says. Hits are sorted by name, then size;
    // holders by peer id, then file id, at most max_holders_per_result of
    // them. At most min(query.max_hits (0 = no own limit),
    // limits.max_results) hits; total_matches counts every hit found.
    // Fitting them into a frame is the reply's business (index/search_reply).
    CatalogAnswer search(const CatalogQuery& query) const;
    void search(CatalogQuery query, SearchCallback on_answer) override { on_answer(search(query)); }

    std::size_t peer_count() const override { return peers_.size(); }
    std::size_t file_count() const override { return file_count_; }
    std::size_t peer_file_count(std::uint32_t peer_id) const;
    // Distinct (name, size) pairs: what a search over everything would count.
    std::size_t group_count() const { return groups_.size(); }

private:
    struct GroupKey {
        std::string name;
        std::uint64_t size;
        auto operator<=>(const GroupKey&) const = default;
    };
    struct HolderRef {
        std::uint32_t peer_id;
        std::uint64_t file_id;
        auto operator<=>(const HolderRef&) const = default;
    };
    // Where a group's folded name sits in name_chunks_.
    struct NamePlace {
        std::uint32_t chunk = 0;
        std::uint32_t slot = 0;
    };
    struct Group {
        // A set, not a sorted vector: a file thousands of peers hold must
        // not make each of their disconnects cost a shift of the rest.
        std::set<HolderRef> holders;
        NamePlace name_place;
    };
    using GroupMap = std::map<GroupKey, Group>;
    // map iterators stay valid until their own element is erased, so each
    // file points straight at its group and unlinking needs no name lookup.
    struct StoredFile {
        GroupMap::iterator group;
    };
    struct PeerState {
        PeerInfo info;
        std::unordered_map<std::uint64_t, StoredFile> files;
    };

    // The ASCII-lowered names of every group, packed NUL-separated into
    // fixed-size chunks so a word search is memmem over contiguous bytes
    // instead of a walk over map nodes and their separate strings. A removed
    // name stays in place, marked dead, until dead bytes pass half of its
    // chunk; then only that chunk is compacted, so no removal ever costs
    // more than one chunk.
    struct NameSlot {
        std::uint32_t offset = 0; // into NameChunk::text
        std::uint16_t length = 0;
        bool live = false;
        GroupMap::iterator group;
    };
    struct NameChunk {
        std::string text;
        std::vector<NameSlot> slots; // ascending offset
        std::size_t live_count = 0;
        std::size_t dead_bytes = 0;
    };

    GroupMap::iterator link_holder(const CatalogFile& file, HolderRef ref);
    void unlink_holder(GroupMap::iterator group, HolderRef ref);
    void index_name(GroupMap::iterator group);
    void unindex_name(const Group& group);
    void compact_chunk(NameChunk& chunk);
    // Calls on_match for every live group whose folded name contains every
    // word; words are folded, non-empty and free of NUL.
    template <typename OnMatch>
    void for_each_word_match(const std::vector<std::string>& words, OnMatch&& on_match) const;
    CatalogHit make_hit(const GroupKey& key, const Group& group) const;

    CatalogLimits limits_;
    std::unordered_map<std::uint32_t, PeerState> peers_;
    GroupMap groups_;
    std::size_t file_count_ = 0;
    std::vector<NameChunk> name_chunks_;
    std::uint32_t open_name_chunk_ = 0;            // where new names go
    std::vector<std::uint32_t> empty_name_chunks_; // emptied, ready for reuse
};

} // namespace napster
