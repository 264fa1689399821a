// SPDX-License-Identifier: MIT
#pragma once

// Big-endian readers and writers over byte buffers: the primitives every
// wire codec is built from. No I/O. A ByteReader never reads past its span;
// the first failure sticks and names the field that was short or too long.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace napster {

using Bytes = std::vector<std::byte>;
using ByteSpan = std::span<const std::byte>;

inline ByteSpan as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// The writing side is inline: a SEARCH_RESULT is thousands of these calls,
// and a call each was a visible share of a search's cost.
class ByteWriter {
public:
    explicit ByteWriter(Bytes& out) : out_(out) {}

    void u8(std::uint8_t v) { out_.push_back(std::byte{v}); }
    void u16(std::uint16_t v) { put_big_endian<2>(v); }
    void u32(std::uint32_t v) { put_big_endian<4>(v); }
    void u64(std::uint64_t v) { put_big_endian<8>(v); }
    // Out of line: inlined, g++ 12 warns falsely of an overflow in insert.
    void raw(ByteSpan bytes);
    void raw(std::string_view bytes) { raw(as_bytes(bytes)); }
    // A length-prefixed byte string; the caller has checked the length fits.
    void str8(std::string_view s) {
        u8(static_cast<std::uint8_t>(s.size()));
        raw(s);
    }
    void str16(std::string_view s) {
        u16(static_cast<std::uint16_t>(s.size()));
        raw(s);
    }
    // Overwrites a u32 written earlier (used to patch frame lengths).
    void patch_u32(std::size_t offset, std::uint32_t v);

    std::size_t size() const { return out_.size(); }

private:
    // Big-endian, appended in one insert.
    template <std::size_t N> void put_big_endian(std::uint64_t v) {
        std::byte bytes[N];
        for (std::size_t i = 0; i < N; ++i) bytes[i] = std::byte{static_cast<std::uint8_t>(v >> (8 * (N - 1 - i)))};
        out_.insert(out_.end(), bytes, bytes + N);
    }

    Bytes& out_;
};

class ByteReader {
public:
    explicit ByteReader(ByteSpan in) : in_(in) {}

    std::uint8_t u8(const char* field);
    std::uint16_t u16(const char* field);
    std::uint32_t u32(const char* field);
    std::uint64_t u64(const char* field);
    // Length-prefixed byte strings, refused when longer than max_len.
    std::string str8(const char* field, std::size_t max_len);
    std::string str16(const char* field, std::size_t max_len);
    std::string raw(const char* field, std::size_t len);

    // Fails unless every byte was consumed: trailing garbage is an error.
    void expect_end(const char* message_name);

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    std::size_t remaining() const { return in_.size() - pos_; }
    void fail(std::string message);

private:
    bool take(std::size_t n, const char* field);

    ByteSpan in_;
    std::size_t pos_ = 0;
    std::string error_;
};

} // namespace napster
