// SPDX-License-Identifier: MIT
#pragma once

// The napster content hash: what identifies a file by its bytes, whatever
// its name. It is the tree of THEX (the Tiger Tree Hash of Gnutella and
// Direct Connect) with SHA-256 and 1 MiB blocks, so a downloader can check
// every block as it arrives, from any holder, before the file is complete:
//
// - A file is cut into blocks of block_size (1,048,576) bytes; the last block
//   may be shorter. An empty file is one empty block.
// - The leaf of block i is SHA-256(0x00 || block bytes).
// - An interior node is SHA-256(0x01 || left || right). The two prefixes keep
//   a leaf from ever being taken for a node (THEX's second-preimage defence).
// - Each level pairs its nodes left to right; an odd last node is promoted
//   to the next level unchanged (no padding, no duplication).
// - The root is the one node left: for a file of one block, its leaf.
//
// Test vectors (tests/unit/test_hash_tree.cpp checks them; computed with
// Python's hashlib, whose few lines are in that file):
//   empty file                   6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
//   "a"                          022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c
//   1 MiB of 'a'                 28a56ef53d93e29c26178d1e1c0702f9c20cab31901c6826561a34e5d7dc3939
//   1 MiB + 1 byte of 'a'        1504ae88881333e7fc58bd9fdd79b50a57830135a6c65a98f0e4e56d907993c9
//   3 MiB + 5 bytes of 'a'       c23b347043c06711b08246ba04d83d5442ccbd009d758a1e2c257aeb388425ab
//   2 MiB + 5 bytes, byte i = i % 251 (3 blocks: the third is promoted)
//                                69017930f60e393d7e6f3e37f7634777e1d50d0eddba8f8777bb2d11f0e5a44e
//   4 MiB + 5 bytes, byte i = i % 251 (5 blocks: the fifth is promoted twice)
//                                b6b9d1a58b2d9dc4d118b3347037b67ed5ba981c51684aad96da01b56091d758
//
// Everything here is pure computation on bytes in memory, except hash_file,
// which reads a descriptor and blocks: napeerd runs it on the thread pool.

#include "content/sha256.h"
#include "util/byte_codec.h"
#include "util/result.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace napster::content {

inline constexpr std::size_t block_size = 1024 * 1024;

// How many blocks a file of `size` bytes has: 1 for an empty file.
std::uint64_t block_count(std::uint64_t size);

// How many bytes block `index` of a file of `size` bytes holds: block_size
// but for the last block; 0 when there is no such block (or for the empty
// block of an empty file).
std::size_t block_length(std::uint64_t size, std::uint64_t index);

Digest leaf_hash(ByteSpan block);
Digest node_hash(const Digest& left, const Digest& right);

// The root over these leaves, in file order. No leaves is taken as the
// empty file: its root, the leaf of the empty block.
Digest tree_root(std::span<const Digest> leaves);

// A file's identity and the leaf of each of its blocks, kept so that a
// downloader can check any block alone and a resumed partial file can be
// checked block by block.
struct HashedContent {
    Digest root{};
    std::uint64_t size = 0;
    std::vector<Digest> blocks; // block_count(size) leaves, in file order

    bool operator==(const HashedContent&) const = default;
};

// Immutable once computed, so the share list, the cache and an upload in
// flight hold the same one without copying a leaf list per file.
using SharedContent = std::shared_ptr<const HashedContent>;

// Whether `block` is block `index` of the file `content` describes: its
// length is that block's length and its leaf is the one listed.
bool verify_block(const HashedContent& content, std::uint64_t index, ByteSpan block);

// Whether the block list fits the size and hashes to the root: to check a
// block list received from another peer against the root that was asked for.
bool blocks_match_root(const HashedContent& content);

// Hashes a stream of bytes fed in chunks of any size (a chunk may end
// inside a block or span many); finish() gives the same result as hashing
// the concatenation in one go. Blocks are hashed as their bytes arrive,
// nothing is buffered: memory is one digest per block.
//
// Owns its SHA-256 context and the leaves. Thread-compatible: use from one
// thread at a time (the thread pool thread that reads the file).
class TreeHasher {
public:
    void update(ByteSpan bytes);

    // The root, size and leaves of everything fed so far; the hasher is left
    // empty, ready for another file.
    HashedContent finish();

    std::uint64_t size() const { return size_; }
    // The leaves of the full blocks fed so far: a downloader checks each
    // block as soon as it is complete (the last, shorter one comes with
    // finish()).
    std::span<const Digest> full_block_leaves() const { return blocks_; }

private:
    Sha256 sha_;
    std::uint64_t size_ = 0;
    std::size_t block_filled_ = 0; // bytes of the current block fed so far
    std::vector<Digest> blocks_;
};

// Reads `expected_size` bytes of `fd` from offset 0 with pread (the file
// position is neither used nor moved) and hashes them. Blocks: call it on
// the thread pool. The descriptor stays the caller's.
//
// A read error, or a file that ends before `expected_size` or goes on after
// it, is an io_error whose message says which; it names no path, the caller
// adds it. A file rewritten in place at the same size is not noticed here:
// the caller compares its stat before and after (mtime, ctime).
Result<HashedContent> hash_file(int fd, std::uint64_t expected_size);

// The chunk hash_file reads at a time: large enough that the system calls
// cost nothing next to SHA-256, a whole number of blocks.
inline constexpr std::size_t hash_file_chunk = 4 * block_size;

} // namespace napster::content
