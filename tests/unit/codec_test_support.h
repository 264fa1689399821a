// SPDX-License-Identifier: MIT
#pragma once

// Helpers the codec tests share: a deterministic random source, round
// trips through the frame codec, the truncation and refusal checks, and
// content roots (protocol/root_field.h) to put in messages.
// Payloads are copied into buffers of exactly their size so that
// AddressSanitizer sees any read past the end.

#include "content/sha256.h"
#include "protocol/frame_codec.h"
#include "protocol/message_codec.h"
#include "util/text.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <type_traits>
#include <string>

namespace napster::codec_test {

// Deterministic pseudo-random numbers (splitmix64): the same bytes on every run.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    std::byte byte() { return std::byte{static_cast<std::uint8_t>(next())}; }
};

inline Bytes bytes_of(std::initializer_list<unsigned> values) {
    Bytes out;
    for (unsigned v : values) out.push_back(std::byte{static_cast<std::uint8_t>(v)});
    return out;
}

inline Bytes prefix(const Bytes& in, std::size_t len) {
    return {in.begin(), in.begin() + static_cast<std::ptrdiff_t>(len)};
}

inline std::string hex(const Bytes& b) {
    return hex_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

// A root whose bytes count up from `first`: recognisable in a hex dump, and
// (unlike all zeros) not mistaken for padding.
inline content::Digest test_root(std::uint8_t first = 0) {
    content::Digest root{};
    for (std::size_t i = 0; i < root.size(); ++i) root[i] = std::byte{static_cast<std::uint8_t>(first + i)};
    return root;
}

inline std::string hex(const content::Digest& d) { return hex(Bytes(d.begin(), d.end())); }

template <typename M> Bytes payload_of(const M& m) {
    Bytes frame = protocol::encode_message(m);
    return {frame.begin() + static_cast<std::ptrdiff_t>(protocol::frame_header_size), frame.end()};
}

// encode_message -> parse_frame -> decode_message, and the bytes are canonical.
template <typename M> M round_trip(const M& m) {
    Bytes frame = protocol::encode_message(m);
    protocol::FrameParse parse = protocol::parse_frame(frame);
    REQUIRE(parse.status == protocol::FrameStatus::complete);
    CHECK(parse.consumed == frame.size());
    CHECK(parse.frame.type == M::type);
    Bytes payload(parse.frame.payload.begin(), parse.frame.payload.end());
    Result<M> decoded = protocol::decode_message<M>(payload);
    if (!decoded) FAIL(decoded.error().message);
    CHECK(*decoded == m);
    CHECK(protocol::encode_message(*decoded) == frame);
    return *decoded;
}

// Every strict prefix of the payload is an error naming the message; one
// extra byte is a trailing-bytes error.
template <typename M> void check_truncated_and_trailing(const M& m) {
    Bytes payload = payload_of(m);
    for (std::size_t len = 0; len < payload.size(); ++len) {
        CAPTURE(len);
        Bytes cut = prefix(payload, len);
        Result<M> r = protocol::decode_message<M>(cut);
        CHECK_FALSE(r.ok());
        if (!r) CHECK(r.error().message.find(protocol::message_type_name(M::type)) == 0);
    }
    Bytes longer = payload;
    longer.push_back(std::byte{0x41});
    Result<M> r = protocol::decode_message<M>(longer);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("trailing") != std::string::npos);
}

// Decodes and expects a refusal whose message mentions `needle`.
template <typename M> void check_refused(const Bytes& payload, const std::string& needle) {
    Result<M> r = protocol::decode_message<M>(payload);
    REQUIRE_FALSE(r.ok());
    CAPTURE(r.error().message);
    CHECK(r.error().message.find(needle) != std::string::npos);
}

// m's payload with its root field rewritten as a str8 of `length` bytes,
// what a sender breaking the rule would write. The field is found by the
// root's bytes, which must follow its length byte in the payload.
template <typename M> Bytes with_root_length(const M& m, const content::Digest& root, std::size_t length) {
    Bytes payload = payload_of(m);
    auto at = std::search(payload.begin(), payload.end(), root.begin(), root.end());
    REQUIRE(at != payload.end());
    REQUIRE(at != payload.begin());
    REQUIRE(std::to_integer<std::size_t>(*(at - 1)) == root.size());
    Bytes field(length + 1, std::byte{0xA5});
    field[0] = std::byte{static_cast<std::uint8_t>(length)};
    at = payload.erase(at - 1, at + static_cast<std::ptrdiff_t>(root.size()));
    payload.insert(at, field.begin(), field.end());
    return payload;
}

// A root of any length but 0 or 32 bytes is refused, and the refusal names
// the length. m must carry `root` (test_root() of some byte).
template <typename M> void check_root_lengths_refused(const M& m, const content::Digest& root) {
    for (std::size_t length : {1, 31, 33, 255}) {
        CAPTURE(length);
        check_refused<M>(with_root_length(m, root, length), "root is " + std::to_string(length) + " bytes");
    }
}

} // namespace napster::codec_test
