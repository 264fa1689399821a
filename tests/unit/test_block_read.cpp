// SPDX-License-Identifier: MIT
#include "content/block_read.h"

#include "content/hash_tree.h"

#include "byte_pattern.h"

#include <doctest/doctest.h>

#include <optional>
#include <vector>

using namespace napster;
using napster::test::pattern;
using namespace napster::content;

namespace {

constexpr std::uint64_t mib = block_size;

HashedContent hashed(ByteSpan bytes) {
    TreeHasher hasher;
    hasher.update(bytes);
    return hasher.finish();
}

// Serves [offset, end) of `file` the way an upload does: block reads, each
// checked against `content` before its part is sent. The bytes sent, and
// the first block that failed its check (the upload ends there).
struct Served {
    Bytes sent;
    std::optional<std::uint64_t> bad_block;
    std::vector<BlockRead> reads;
};

Served serve(const HashedContent& content, ByteSpan file, std::uint64_t offset, std::uint64_t end) {
    Served out;
    std::uint64_t position = offset;
    while (position < end) {
        BlockRead read = block_read_at(file.size(), position, end);
        out.reads.push_back(read);
        ByteSpan block = file.subspan(read.offset, read.length);
        if (!verify_block(content, read.block, block)) {
            out.bad_block = read.block;
            break;
        }
        ByteSpan part = block.subspan(read.skip, read.take);
        out.sent.insert(out.sent.end(), part.begin(), part.end());
        REQUIRE(read.take > 0); // every read moves on
        position += read.take;
    }
    return out;
}

} // namespace

TEST_CASE("a range is read in whole blocks, and only its own bytes are sent") {
    const std::uint64_t size = 3 * mib + 5;
    CHECK(block_read_at(size, 0, size) == BlockRead{0, 0, mib, 0, mib});
    CHECK(block_read_at(size, mib, size) == BlockRead{1, mib, mib, 0, mib});
    CHECK(block_read_at(size, 3 * mib, size) == BlockRead{3, 3 * mib, 5, 0, 5}); // the short last block
    CHECK(block_read_at(size, 3 * mib + 2, size) == BlockRead{3, 3 * mib, 5, 2, 3});
    // Starting mid-block: the whole block is read, its tail is sent.
    CHECK(block_read_at(size, mib + 100, size) == BlockRead{1, mib, mib, 100, mib - 100});
    // Ending mid-block: the whole block is read, its head is sent.
    CHECK(block_read_at(size, 2 * mib, 2 * mib + 7) == BlockRead{2, 2 * mib, mib, 0, 7});
    // Both inside one block.
    CHECK(block_read_at(size, mib + 10, mib + 20) == BlockRead{1, mib, mib, 10, 10});
    CHECK(block_read_at(size, mib - 1, size) == BlockRead{0, 0, mib, mib - 1, 1});
    CHECK(block_read_at(100, 40, 60) == BlockRead{0, 0, 100, 40, 20});
}

TEST_CASE("any range served through block reads is its bytes, each read a whole checked block") {
    const Bytes file = pattern(3 * mib + 5);
    const HashedContent content = hashed(file);
    struct Range {
        std::uint64_t offset, end;
    };
    for (Range r : {Range{0, file.size()}, Range{1, file.size()}, Range{mib, 2 * mib}, Range{mib - 1, mib + 1},
                    Range{mib + 10, mib + 20}, Range{2 * mib + 5, file.size()}, Range{file.size() - 1, file.size()},
                    Range{0, 1}, Range{123'456, 3 * mib + 1}}) {
        CAPTURE(r.offset);
        CAPTURE(r.end);
        Served served = serve(content, file, r.offset, r.end);
        CHECK_FALSE(served.bad_block);
        CHECK(served.sent == Bytes(file.begin() + static_cast<std::ptrdiff_t>(r.offset),
                                   file.begin() + static_cast<std::ptrdiff_t>(r.end)));
        for (const BlockRead& read : served.reads) {
            CHECK(read.offset == read.block * mib);
            CHECK(read.length == block_length(file.size(), read.block));
            CHECK(read.skip + read.take <= read.length);
        }
        // One read per block the range touches, none twice.
        CHECK(served.reads.size() == (r.end - 1) / mib - r.offset / mib + 1);
    }
}

TEST_CASE("hashes that no longer fit the file stop the range at the changed block, whatever part of it is asked") {
    // The file as it was hashed, then block 1 rewritten with its size kept
    // (what a stale hash cache, or a write that left the times as they
    // were, would serve).
    const Bytes before = pattern(3 * mib + 5);
    const HashedContent content = hashed(before);
    Bytes after = before;
    after[mib + 500] ^= std::byte{0x01};

    Served whole = serve(content, after, 0, after.size());
    REQUIRE(whole.bad_block);
    CHECK(*whole.bad_block == 1);
    CHECK(whole.sent == Bytes(before.begin(), before.begin() + static_cast<std::ptrdiff_t>(mib)));

    // A range that touches one byte of block 1, far from the change, still
    // reads and checks all of it: nothing of it is sent.
    Served last_byte = serve(content, after, mib - 10, mib + 1);
    REQUIRE(last_byte.bad_block);
    CHECK(*last_byte.bad_block == 1);
    CHECK(last_byte.sent.size() == 10);
    Served first_byte = serve(content, after, 2 * mib - 1, 2 * mib + 3);
    REQUIRE(first_byte.bad_block);
    CHECK(*first_byte.bad_block == 1);
    CHECK(first_byte.sent.empty());

    // Ranges clear of block 1 are served whole.
    Served clear = serve(content, after, 2 * mib, after.size());
    CHECK_FALSE(clear.bad_block);
    CHECK(clear.sent.size() == mib + 5);
}
