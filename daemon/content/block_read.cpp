// SPDX-License-Identifier: MIT
#include "content/block_read.h"

#include "content/hash_tree.h"

#include <algorithm>

namespace napster::content {

BlockRead block_read_at(std::uint64_t size, std::uint64_t position, std::uint64_t end) {
    BlockRead read;
    read.block = position / block_size;
    read.offset = read.block * block_size;
    read.length = block_length(size, read.block);
    read.skip = static_cast<std::size_t>(position - read.offset);
    std::uint64_t stop = std::min<std::uint64_t>(end, read.offset + read.length);
    read.take = stop > position ? static_cast<std::size_t>(stop - position) : 0;
    return read;
}

} // namespace napster::content
