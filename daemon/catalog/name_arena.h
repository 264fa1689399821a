// SPDX-License-Identifier: MIT
#pragma once

// Where the catalog keeps each distinct file name's bytes, once: packed
// back to back into 256 KiB chunks, each record its owner's id, a length
// byte and the name, padded to 4 bytes. A name is a 32-bit reference
// (chunk, offset / 4), so records need no pointers and no allocation of
// their own: about 5-8 bytes over the name itself, against 32 for a
// std::string and its heap block.
//
// A removed name's bytes stay, marked dead, until dead bytes pass half of
// its chunk; then that one chunk is compacted (a 256 KiB move at most,
// never a scan of all names) and the owner of each name that moved is told
// its new reference. Pure, one thread.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace napster {

class NameArena {
public:
    using Ref = std::uint32_t;
    // Compaction moved `owner`'s name to `ref`.
    using OnMove = std::function<void(std::uint32_t owner, Ref ref)>;

    explicit NameArena(OnMove on_move) : on_move_(std::move(on_move)) {}

    // Names of at most 255 bytes; `owner` is any id but dead_owner. Fails
    // (nullopt-like: returns false) only when every reference is used:
    // 16 GiB of names.
    bool add(std::string_view name, std::uint32_t owner, Ref& ref);
    std::string_view view(Ref ref) const {
        const Chunk& chunk = chunks_[ref >> offset_bits];
        const char* record = chunk.bytes.data() + static_cast<std::size_t>(ref & offset_mask) * 4;
        return {record + header_bytes, static_cast<unsigned char>(record[4])};
    }
    // Where the name's record lies, for a prefetch before view().
    const char* record_of(Ref ref) const {
        return chunks_[ref >> offset_bits].bytes.data() + static_cast<std::size_t>(ref & offset_mask) * 4;
    }
    void remove(Ref ref);

    std::size_t memory_bytes() const;

private:
    static constexpr unsigned offset_bits = 16; // in units of 4 bytes: 256 KiB
    static constexpr Ref offset_mask = (Ref{1} << offset_bits) - 1;
    static constexpr std::size_t chunk_bytes = std::size_t{4} << offset_bits;
    static constexpr std::size_t max_chunks = std::size_t{1} << (32 - offset_bits);
    static constexpr std::size_t header_bytes = 5; // owner (4), length (1)
    static constexpr std::uint32_t dead_owner = 0xffffffff;

    struct Chunk {
        std::string bytes;
        std::size_t live = 0;
        std::size_t dead_bytes = 0;
    };

    static std::size_t record_bytes(std::size_t name_length) {
        return (header_bytes + name_length + 3) & ~std::size_t{3};
    }
    void compact(std::uint32_t chunk_index);

    OnMove on_move_;
    std::vector<Chunk> chunks_;
    std::uint32_t open_ = 0;                  // where new names go
    std::vector<std::uint32_t> empty_chunks_; // emptied, ready for reuse
};

} // namespace napster
