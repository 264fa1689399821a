// SPDX-License-Identifier: MIT
#pragma once

// The index channel: napeerd registers, keeps its file list current with
// batched adds and removes, and searches. SEARCH and SEARCH_RESULT are also
// what napctl sends napeerd on the control channel.

#include "protocol/message_codec.h"
#include "protocol/root_field.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace napster::protocol {

struct RegisterPeer {
    static constexpr MessageType type = MessageType::register_peer;
    std::string name;              // 1..64 bytes, shown to other peers
    std::uint16_t upload_port = 0; // 1..65535; the index pairs it with the
                                   // address the connection came from

    void write(ByteWriter& w) const;
    static RegisterPeer read(ByteReader& r);

    friend bool operator==(const RegisterPeer&, const RegisterPeer&) = default;
};

struct Registered {
    static constexpr MessageType type = MessageType::registered;
    std::uint32_t peer_id = 0;

    void write(ByteWriter& w) const;
    static Registered read(ByteReader& r);

    friend bool operator==(const Registered&, const Registered&) = default;
};

// One file of a peer's share. file_id is the peer's own key for it, stable
// while the peer runs; the index keys the file by (peer, file_id).
struct FileEntry {
    std::uint64_t file_id = 0;
    std::uint64_t size = 0;
    std::string name;     // the last component of rel_path
    std::string rel_path; // below the share root the peer found it in
    RootHash root;        // the content root, none until the peer has hashed it

    friend bool operator==(const FileEntry&, const FileEntry&) = default;
};

// Adds files, or replaces those whose file_id the index already holds: a
// file announced by name is announced again with its root once hashed.
struct FilesAdd {
    static constexpr MessageType type = MessageType::files_add;
    std::vector<FileEntry> files; // 1..max_batch_files

    void write(ByteWriter& w) const;
    static FilesAdd read(ByteReader& r);

    friend bool operator==(const FilesAdd&, const FilesAdd&) = default;
};

struct FilesRemove {
    static constexpr MessageType type = MessageType::files_remove;
    std::vector<std::uint64_t> file_ids; // 1..max_batch_files

    void write(ByteWriter& w) const;
    static FilesRemove read(ByteReader& r);

    friend bool operator==(const FilesRemove&, const FilesRemove&) = default;
};

inline constexpr std::uint8_t search_flag_exact = 0x01;

// By name (query set, root none) or by content (root set, query empty).
struct Search {
    static constexpr MessageType type = MessageType::search;
    std::uint32_t request_id = 0;
    std::uint8_t flags = 0;
    std::uint16_t max_results = 0; // 0: the index's own limit
    std::string query;             // 0..1024 bytes, empty exactly when root is set
    RootHash root;

    bool exact() const { return flags & search_flag_exact; }
    void write(ByteWriter& w) const;
    static Search read(ByteReader& r);

    friend bool operator==(const Search&, const Search&) = default;
};

struct Holder {
    std::uint32_t peer_id = 0;
    std::string peer_name;
    std::string address; // IPv4 or IPv6 literal of the holder's upload server
    std::uint16_t port = 0;
    std::uint64_t file_id = 0; // what to ask the holder for in GET
    std::string name;          // the holder's name for the file, for GET

    friend bool operator==(const Holder&, const Holder&) = default;
};

// Files of one content: with a root, every file with that root, whatever
// its name (name is the first by bytes); without, every unhashed file with
// that name and size.
struct SearchHit {
    std::string name;
    std::uint64_t size = 0;
    RootHash root;
    std::uint32_t holder_total = 0; // may exceed holders.size()
    std::vector<Holder> holders;    // at most max_holders_per_result

    friend bool operator==(const SearchHit&, const SearchHit&) = default;
};

inline constexpr std::uint8_t search_result_total_is_lower_bound = 0x01;

struct SearchResult {
    static constexpr MessageType type = MessageType::search_result;
    std::uint32_t request_id = 0;
    std::uint32_t total_matches = 0; // may exceed hits.size() when capped
    std::vector<SearchHit> hits;
    // The index stopped counting: at least total_matches contents match.
    // On the wire it is a flags byte right after total_matches.
    bool total_is_lower_bound = false;

    void write(ByteWriter& w) const;
    static SearchResult read(ByteReader& r);

    friend bool operator==(const SearchResult&, const SearchResult&) = default;
};

// Bytes a hit adds to an encoded SEARCH_RESULT: lets the index stop adding
// hits before the frame would pass max_frame_length.
std::size_t encoded_size(const SearchHit& hit);

// SEARCH_RESULT piece by piece, for an index that keeps its hits in a form
// of its own and would otherwise copy every string into a SearchResult
// first. The layout is SearchResult::write's, which is made of these.
// Written in this order: the header, then for each hit its header and its
// holders; the counts given must be what follows.
inline constexpr std::size_t search_result_header_size = 4 + 4 + 1 + 2;
void write_search_result_header(ByteWriter& w, std::uint32_t request_id,
                                std::uint32_t total_matches, bool total_is_lower_bound,
                                std::uint16_t hit_count);

// Views of what the caller holds, for one write.
struct SearchHitHeader {
    std::string_view name;
    std::uint64_t size = 0;
    const RootHash& root;
    std::uint32_t holder_total = 0;
    std::uint16_t holder_count = 0;
};
std::size_t encoded_size(const SearchHitHeader& hit);
void write_search_hit_header(ByteWriter& w, const SearchHitHeader& hit);

struct HolderFields {
    std::uint32_t peer_id = 0;
    std::string_view peer_name;
    std::string_view address;
    std::uint16_t port = 0;
    std::uint64_t file_id = 0;
    std::string_view name;
};
std::size_t encoded_size(const HolderFields& holder);
void write_holder(ByteWriter& w, const HolderFields& holder);

// Shared by FILES_ADD and the control channel's SHARES_BATCH.
void write_file_entry(ByteWriter& w, const FileEntry& file);
FileEntry read_file_entry(ByteReader& r);

} // namespace napster::protocol
