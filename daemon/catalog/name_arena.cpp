// SPDX-License-Identifier: MIT
#include "catalog/name_arena.h"

#include <cassert>
#include <cstring>

namespace napster {
namespace {

std::uint32_t read_owner(const char* record) {
    std::uint32_t owner;
    std::memcpy(&owner, record, sizeof owner);
    return owner;
}

void write_owner(char* record, std::uint32_t owner) { std::memcpy(record, &owner, sizeof owner); }

} // namespace

bool NameArena::add(std::string_view name, std::uint32_t owner, Ref& ref) {
    assert(name.size() <= 255 && owner != dead_owner);
    std::size_t need = record_bytes(name.size());
    if (chunks_.empty()) {
        chunks_.emplace_back().bytes.reserve(chunk_bytes);
        open_ = 0;
    }
    if (chunks_[open_].bytes.size() + need > chunk_bytes) {
        if (!empty_chunks_.empty()) {
            open_ = empty_chunks_.back();
            empty_chunks_.pop_back();
        } else {
            if (chunks_.size() == max_chunks) return false;
            open_ = static_cast<std::uint32_t>(chunks_.size());
            chunks_.emplace_back();
        }
        chunks_[open_].bytes.reserve(chunk_bytes);
    }
    Chunk& chunk = chunks_[open_];
    std::size_t at = chunk.bytes.size();
    chunk.bytes.resize(at + need, '\0');
    char* record = chunk.bytes.data() + at;
    write_owner(record, owner);
    record[4] = static_cast<char>(name.size());
    std::memcpy(record + header_bytes, name.data(), name.size());
    ++chunk.live;
    ref = (open_ << offset_bits) | static_cast<Ref>(at / 4);
    return true;
}

void NameArena::remove(Ref ref) {
    std::uint32_t index = ref >> offset_bits;
    Chunk& chunk = chunks_[index];
    char* record = chunk.bytes.data() + static_cast<std::size_t>(ref & offset_mask) * 4;
    write_owner(record, dead_owner);
    --chunk.live;
    chunk.dead_bytes += record_bytes(static_cast<unsigned char>(record[4]));
    if (chunk.live == 0) {
        // Keeps its capacity: it replaces the next open chunk that fills.
        chunk.bytes.clear();
        chunk.dead_bytes = 0;
        if (index != open_) empty_chunks_.push_back(index);
    } else if (chunk.dead_bytes * 2 > chunk.bytes.size()) {
        compact(index);
    }
}

void NameArena::compact(std::uint32_t chunk_index) {
    Chunk& chunk = chunks_[chunk_index];
    // Live records only move towards the front, so copying in place is safe.
    std::size_t write = 0;
    for (std::size_t read = 0; read < chunk.bytes.size();) {
        const char* record = chunk.bytes.data() + read;
        std::size_t length = record_bytes(static_cast<unsigned char>(record[4]));
        std::uint32_t owner = read_owner(record);
        if (owner != dead_owner) {
            if (write != read) std::memmove(chunk.bytes.data() + write, record, length);
            on_move_(owner, (chunk_index << offset_bits) | static_cast<Ref>(write / 4));
            write += length;
        }
        read += length;
    }
    chunk.bytes.resize(write);
    chunk.dead_bytes = 0;
    // Only the open chunk takes new names; another need not keep its room.
    if (chunk_index != open_ && chunk.bytes.capacity() > 2 * chunk.bytes.size())
        chunk.bytes.shrink_to_fit();
}

std::size_t NameArena::memory_bytes() const {
    std::size_t total = chunks_.capacity() * sizeof(Chunk);
    for (const Chunk& chunk : chunks_) total += chunk.bytes.capacity();
    return total;
}

} // namespace napster
