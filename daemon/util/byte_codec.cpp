// SPDX-License-Identifier: MIT
#include "util/byte_codec.h"

#include <fmt/format.h>

namespace napster {

void ByteWriter::raw(ByteSpan bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }

void ByteWriter::patch_u32(std::size_t offset, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out_.at(offset + static_cast<std::size_t>(i)) =
            std::byte{static_cast<std::uint8_t>(v >> (24 - 8 * i))};
}

void ByteReader::fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
}

bool ByteReader::take(std::size_t n, const char* field) {
    if (!ok()) return false;
    if (remaining() < n) {
        fail(fmt::format("truncated {}: needs {} bytes, {} left", field, n, remaining()));
        return false;
    }
    return true;
}

std::uint8_t ByteReader::u8(const char* field) {
    if (!take(1, field)) return 0;
    return std::to_integer<std::uint8_t>(in_[pos_++]);
}

std::uint16_t ByteReader::u16(const char* field) {
    if (!take(2, field)) return 0;
    std::uint16_t v = 0;
    for (int i = 0; i < 2; ++i) v = static_cast<std::uint16_t>((v << 8) | std::to_integer<std::uint8_t>(in_[pos_++]));
    return v;
}

std::uint32_t ByteReader::u32(const char* field) {
    if (!take(4, field)) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | std::to_integer<std::uint8_t>(in_[pos_++]);
    return v;
}

std::uint64_t ByteReader::u64(const char* field) {
    if (!take(8, field)) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | std::to_integer<std::uint8_t>(in_[pos_++]);
    return v;
}

std::string ByteReader::raw(const char* field, std::size_t len) {
    if (!take(len, field)) return {};
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), len);
    pos_ += len;
    return s;
}

std::string ByteReader::str8(const char* field, std::size_t max_len) {
    std::size_t len = u8(field);
    if (ok() && len > max_len) {
        fail(fmt::format("{} is {} bytes, at most {} allowed", field, len, max_len));
        return {};
    }
    return raw(field, len);
}

std::string ByteReader::str16(const char* field, std::size_t max_len) {
    std::size_t len = u16(field);
    if (ok() && len > max_len) {
        fail(fmt::format("{} is {} bytes, at most {} allowed", field, len, max_len));
        return {};
    }
    return raw(field, len);
}

void ByteReader::expect_end(const char* message_name) {
    if (ok() && remaining() != 0)
        fail(fmt::format("{} has {} unexpected trailing bytes", message_name, remaining()));
}

} // namespace napster
