// SPDX-License-Identifier: MIT
#pragma once

// How an upload of hashed content reads its file: whole blocks only, so
// that each block can be checked against its leaf (content/hash_tree.h)
// before any of its bytes is sent, whatever range was asked for. A range
// that starts or ends inside a block still reads, and checks, that whole
// block, and sends only the part of it the range covers. Pure arithmetic.

#include <cstddef>
#include <cstdint>

namespace napster::content {

struct BlockRead {
    std::uint64_t block = 0;  // its index
    std::uint64_t offset = 0; // where it starts in the file
    std::size_t length = 0;   // the whole block's length
    std::size_t skip = 0;     // bytes of it before the range's next byte
    std::size_t take = 0;     // bytes of it to send, from skip on

    bool operator==(const BlockRead&) const = default;
};

// The read that gives the next bytes of a range of a file of `size` bytes:
// `position` is the range's next byte to send, `end` one past its last;
// position < end <= size.
BlockRead block_read_at(std::uint64_t size, std::uint64_t position, std::uint64_t end);

} // namespace napster::content
