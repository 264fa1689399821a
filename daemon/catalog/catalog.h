// SPDX-License-Identifier: MIT
#pragma once

// The index's view of every connected peer and the files it shares, and the
// search over them. Pure data structure: no I/O, no clock. Loop thread only.
//
// A file is keyed by (peer id, the peer's file id), so a peer can change or
// remove one file without re-sending the rest. Files with the same name and
// size (later: the same content hash) are one search hit with many holders.

#include "protocol/index_messages.h"
#include "util/result.h"

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace napster {

struct PeerInfo {
    std::uint32_t id = 0;
    std::string name;
    std::string address; // IP literal the peer connected from
    std::uint16_t upload_port = 0;
};

struct CatalogLimits {
    std::uint32_t max_files_per_peer = 1000000;
    std::uint32_t max_results = 100;
};

struct AddOutcome {
    std::size_t added = 0;    // new file ids
    std::size_t replaced = 0; // ids the peer had already sent
};

class Catalog {
public:
    explicit Catalog(CatalogLimits limits) : limits_(limits) {}

    // A peer must be added before its files. Adding an id twice replaces
    // the info and keeps the files.
    void add_peer(PeerInfo info);
    // Drops the peer and every file it holds; returns how many files went.
    std::size_t remove_peer(std::uint32_t peer_id);
    bool has_peer(std::uint32_t peer_id) const { return peers_.count(peer_id) != 0; }

    // Adds or replaces files. Fails, changing nothing, when the peer is
    // unknown or the batch would take it past max_files_per_peer.
    Result<AddOutcome> add_files(std::uint32_t peer_id, std::span<const protocol::FileEntry> files);
    // Removes the given ids; ids the peer does not hold are ignored.
    // Returns how many were removed.
    std::size_t remove_files(std::uint32_t peer_id, std::span<const std::uint64_t> file_ids);

    // Non-exact: every whitespace-separated word of the query occurs in the
    // name, ignoring ASCII case. Exact: the name equals the query byte for
    // byte. Hits are sorted by name, then size; holders by peer id. At most
    // min(requested (0 = no own limit), limits.max_results) hits, and never
    // more than fit one frame. total_matches counts every hit found.
    protocol::SearchResult search(const protocol::Search& query) const;

    std::size_t peer_count() const { return peers_.size(); }
    std::size_t file_count() const { return file_count_; }
    std::size_t peer_file_count(std::uint32_t peer_id) const;

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
    struct Group {
        std::string folded_name; // ASCII-lowered, for word search
        std::vector<HolderRef> holders; // sorted
    };
    struct StoredFile {
        protocol::FileEntry entry;
    };
    struct PeerState {
        PeerInfo info;
        std::unordered_map<std::uint64_t, StoredFile> files;
    };

    void unlink_holder(const GroupKey& key, HolderRef ref);

    CatalogLimits limits_;
    std::unordered_map<std::uint32_t, PeerState> peers_;
    std::map<GroupKey, Group> groups_;
    std::size_t file_count_ = 0;
};

} // namespace napster
