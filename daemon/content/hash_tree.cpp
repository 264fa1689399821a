// SPDX-License-Identifier: MIT
#include "content/hash_tree.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <system_error>
#include <utility>
#include <vector>

namespace napster::content {
namespace {

constexpr std::byte leaf_prefix{0x00};
constexpr std::byte node_prefix{0x01};

void start_leaf(Sha256& sha) {
    sha.start();
    sha.add(ByteSpan(&leaf_prefix, 1));
}

Digest node_with(Sha256& sha, const Digest& left, const Digest& right) {
    sha.start();
    sha.add(ByteSpan(&node_prefix, 1));
    sha.add(left);
    sha.add(right);
    return sha.finish();
}

Digest root_with(Sha256& sha, std::span<const Digest> leaves) {
    if (leaves.empty()) {
        start_leaf(sha);
        return sha.finish();
    }
    std::vector<Digest> level(leaves.begin(), leaves.end());
    // Each pass halves the level in place: node i of the next level is made
    // from nodes 2i and 2i+1, which no earlier write of the pass touched.
    while (level.size() > 1) {
        std::size_t next = 0;
        for (std::size_t i = 0; i + 1 < level.size(); i += 2)
            level[next++] = node_with(sha, level[i], level[i + 1]);
        if (level.size() % 2 == 1) level[next++] = level.back();
        level.resize(next);
    }
    return level.front();
}

std::string errno_text(int error) {
    return std::system_category().message(error);
}

} // namespace

std::uint64_t block_count(std::uint64_t size) {
    return size == 0 ? 1 : size / block_size + (size % block_size != 0 ? 1 : 0);
}

std::size_t block_length(std::uint64_t size, std::uint64_t index) {
    if (index >= block_count(size)) return 0;
    return static_cast<std::size_t>(std::min<std::uint64_t>(block_size, size - index * block_size));
}

Digest leaf_hash(ByteSpan block) {
    Sha256 sha;
    start_leaf(sha);
    sha.add(block);
    return sha.finish();
}

Digest node_hash(const Digest& left, const Digest& right) {
    Sha256 sha;
    return node_with(sha, left, right);
}

Digest tree_root(std::span<const Digest> leaves) {
    Sha256 sha;
    return root_with(sha, leaves);
}

bool verify_block(const HashedContent& content, std::uint64_t index, ByteSpan block) {
    return index < content.blocks.size() && block.size() == block_length(content.size, index) &&
           leaf_hash(block) == content.blocks[index];
}

bool blocks_match_root(const HashedContent& content) {
    return content.blocks.size() == block_count(content.size) &&
           tree_root(content.blocks) == content.root;
}

void TreeHasher::update(ByteSpan bytes) {
    while (!bytes.empty()) {
        if (block_filled_ == 0) start_leaf(sha_);
        std::size_t take = std::min(bytes.size(), block_size - block_filled_);
        sha_.add(bytes.first(take));
        bytes = bytes.subspan(take);
        block_filled_ += take;
        size_ += take;
        if (block_filled_ == block_size) {
            blocks_.push_back(sha_.finish());
            block_filled_ = 0;
        }
    }
}

HashedContent TreeHasher::finish() {
    // A block is closed as soon as it is full, so what is open here is a
    // shorter last block; an empty file has no block yet and gets its one
    // empty block.
    if (block_filled_ > 0 || blocks_.empty()) {
        if (block_filled_ == 0) start_leaf(sha_);
        blocks_.push_back(sha_.finish());
    }
    HashedContent content;
    content.root = root_with(sha_, blocks_);
    content.size = size_;
    content.blocks = std::move(blocks_);
    blocks_ = {};
    size_ = 0;
    block_filled_ = 0;
    return content;
}

Result<HashedContent> hash_file(int fd, std::uint64_t expected_size) {
    constexpr auto max_offset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
    if (expected_size > max_offset)
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("cannot hash {} bytes: more than a file can hold", expected_size));
    // Tells the kernel to read ahead further: the whole file is read once,
    // in order. Only advice, so its failure changes nothing.
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

    Bytes buffer(
        static_cast<std::size_t>(std::min<std::uint64_t>(hash_file_chunk, expected_size + 1)));
    TreeHasher hasher;
    std::uint64_t offset = 0;
    // Asks for one byte more than expected at the end: a read that gets it
    // shows that the file grew after the caller's stat.
    while (offset <= expected_size) {
        std::size_t want = static_cast<std::size_t>(
            std::min<std::uint64_t>(buffer.size(), expected_size + 1 - offset));
        ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return make_error(ErrorCode::io_error, fmt::format("cannot read at offset {}: {}",
                                                               offset, errno_text(errno)));
        if (n == 0) break;
        std::size_t got = static_cast<std::size_t>(n);
        if (offset + got > expected_size)
            return make_error(
                ErrorCode::io_error,
                fmt::format("the file is longer than the {} bytes expected: it changed "
                            "while it was hashed",
                            expected_size));
        hasher.update(ByteSpan(buffer.data(), got));
        offset += got;
    }
    if (offset < expected_size)
        return make_error(
            ErrorCode::io_error,
            fmt::format("the file ended after {} of the {} bytes expected: it changed "
                        "while it was hashed",
                        offset, expected_size));
    return hasher.finish();
}

} // namespace napster::content
