// SPDX-License-Identifier: MIT
#pragma once

// What the fuzz targets share: the check that reports a broken invariant,
// and the round trip every message type must survive. The targets are built
// twice over: linked with libFuzzer in a -Dfuzzing=true (clang) build, and
// with replay_main.cpp in every other build, where they replay the seed
// corpus and the regression inputs once.

#include "protocol/frame_codec.h"
#include "protocol/message_codec.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace napster::fuzz {

// Names the broken invariant and aborts: libFuzzer saves the input as a
// crash, and a replay run fails.
[[noreturn]] inline void broken(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    std::abort();
}

#define FUZZ_CHECK(condition)                                                                      \
    ((condition) ? void(0) : ::napster::fuzz::broken(#condition, __FILE__, __LINE__))

inline ByteSpan input_bytes(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const std::byte*>(data), size};
}

// The frame at the front of `input` and the bytes it took, as a receiver
// sees it; nothing when the input does not start with a whole frame.
struct InputFrame {
    protocol::Frame frame;
    ByteSpan bytes;
};

inline std::optional<InputFrame> first_frame(ByteSpan input) {
    protocol::FrameParse parse = protocol::parse_frame(input);
    if (parse.status != protocol::FrameStatus::complete) return std::nullopt;
    return InputFrame{parse.frame, input.first(parse.consumed)};
}

// Whether a message type has one encoding only: every type but HELLO,
// whose version-1 form (no min_version) re-encodes two bytes longer.
enum class Encoding { canonical, may_grow };

// Decodes the frame's payload as an M. A refusal must be a malformed error
// whose message starts with the message's name and says more than that.
// What decodes must encode again, and that encoding must decode to the
// same value; for a canonical type it must also be the very bytes received.
// Returns the decoded message for the caller's own checks.
template <typename M>
std::optional<M> check_round_trip(const InputFrame& input,
                                  Encoding encoding = Encoding::canonical) {
    Result<M> decoded = protocol::decode_message<M>(input.frame.payload);
    if (!decoded) {
        std::string_view name = protocol::message_type_name(M::type);
        std::string_view message = decoded.error().message;
        FUZZ_CHECK(decoded.error().code == ErrorCode::malformed);
        FUZZ_CHECK(message.starts_with(name));
        FUZZ_CHECK(message.size() > name.size() + 2);
        return std::nullopt;
    }
    Bytes again = protocol::encode_message(*decoded);
    protocol::FrameParse reparse = protocol::parse_frame(again);
    FUZZ_CHECK(reparse.status == protocol::FrameStatus::complete);
    FUZZ_CHECK(reparse.consumed == again.size());
    FUZZ_CHECK(reparse.frame.type == M::type);
    Result<M> redecoded = protocol::decode_message<M>(reparse.frame.payload);
    FUZZ_CHECK(redecoded.ok());
    FUZZ_CHECK(*redecoded == *decoded);
    if (encoding == Encoding::canonical) {
        FUZZ_CHECK(again.size() == input.bytes.size());
        FUZZ_CHECK(std::equal(again.begin(), again.end(), input.bytes.begin()));
    }
    return std::move(*decoded);
}

} // namespace napster::fuzz
