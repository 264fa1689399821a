// SPDX-License-Identifier: MIT
#pragma once

// Helpers the codec tests share: a deterministic random source, round
// trips through the frame codec, and the truncation and refusal checks.
// Payloads are copied into buffers of exactly their size so that
// AddressSanitizer sees any read past the end.

#include "protocol/frame_codec.h"
#include "protocol/message_codec.h"
#include "util/text.h"

#include <doctest/doctest.h>

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

} // namespace napster::codec_test
