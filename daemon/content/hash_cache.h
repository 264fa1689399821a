// SPDX-License-Identifier: MIT
#pragma once

// napeerd's memory of the files it has hashed, so that a restart does not
// read every shared file again. A file is known by what stat says of it;
// when any of that changes the file may have changed, and is hashed again.
// The cache is kept in one file under the state dir, in the format below;
// reading and writing that file is the caller's (util/whole_file.h).
//
// Cache file format, integers big-endian:
//   magic        8 bytes  "NAPHASHC"
//   version      u32      1 (hash_cache_version)
//   count        u64      number of entries
//   count entries:
//     device     u64      st_dev
//     inode      u64      st_ino
//     size       u64      st_size, which also gives the number of blocks
//     mtime_ns   i64      st_mtim in nanoseconds since the epoch
//     ctime_ns   i64      st_ctim likewise
//     root       32 bytes
//     leaves     32 bytes each, block_count(size) of them, in file order
//   checksum     32 bytes SHA-256 of every byte before it
// The checksum makes a torn write, a truncated file or one changed by hand
// refused as a whole rather than read as wrong hashes. Version 1 is the
// hash tree of content/hash_tree.h with 1 MiB blocks; a new tree or block
// size is a new version, and an old cache is then refused and rebuilt.

#include "content/hash_tree.h"
#include "util/byte_codec.h"
#include "util/result.h"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>

namespace napster::content {

inline constexpr std::uint32_t hash_cache_version = 1;

// What stat says of a file that must not change while its hash is reused:
// another device or inode is another file; a write moves mtime, and ctime
// catches what mtime does not (mtime set back by touch or utimensat).
struct FileKey {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;

    // Field by field, in this order: the order entries are encoded in.
    auto operator<=>(const FileKey&) const = default;
};

struct FileKeyHash {
    std::size_t operator()(const FileKey& key) const;
};

// Pure in-memory map from a file's stat to its hashes, shared with their
// other holders (the share list). Thread-compatible: one thread changes it at a time, with no
// reader on another thread meanwhile (const calls may run together).
class HashCache {
public:
    // The hashes of the file with this stat, or null.
    SharedContent lookup(const FileKey& key) const;

    // Adds or replaces. `content` is not null and its size is `key.size`:
    // the cache file stores the size once.
    void insert(const FileKey& key, SharedContent content);

    // Whether there was an entry.
    bool erase(const FileKey& key);

    // Drops every entry whose key is not in `keep` (the files shared now),
    // so the cache does not keep files that are gone; returns how many.
    std::size_t prune(std::span<const FileKey> keep);

    std::size_t size() const { return entries_.size(); }

    // For encoding, in no particular order.
    const std::unordered_map<FileKey, SharedContent, FileKeyHash>& entries() const {
        return entries_;
    }

private:
    std::unordered_map<FileKey, SharedContent, FileKeyHash> entries_;
};

// The cache file's bytes (format above). Entries are written sorted by
// key, so one cache always encodes to the same bytes.
Bytes encode_cache(const HashCache& cache);

// Reads a cache file's bytes. A file that is not a hash cache, has another
// version, or is truncated, damaged or inconsistent is refused as a whole
// with a malformed error saying which; the message names no path, the
// caller adds it (and starts with an empty cache).
Result<HashCache> decode_cache(ByteSpan bytes);

} // namespace napster::content
