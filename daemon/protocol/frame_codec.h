// SPDX-License-Identifier: MIT
#pragma once

// Splits a byte stream into frames and builds frames. Pure: no sockets, no
// loop. The connection layer feeds it whatever arrived and acts on the
// verdict.

#include "protocol/protocol.h"
#include "util/byte_codec.h"

#include <string>

namespace napster::protocol {

struct Frame {
    MessageType type{};
    ByteSpan payload;
};

enum class FrameStatus { complete, need_more, error };

struct FrameParse {
    FrameStatus status = FrameStatus::need_more;
    Frame frame;              // valid when complete; points into the input
    std::size_t consumed = 0; // bytes of input the frame used, when complete
    std::string error;        // when error
};

// Looks at the front of `input`. Unknown message types are reported as
// complete frames: refusing them is the receiver's decision.
FrameParse parse_frame(ByteSpan input, std::size_t max_length = max_frame_length);

// Appends one frame holding `payload`.
void append_frame(Bytes& out, MessageType type, ByteSpan payload);
// The header of a frame whose payload the caller writes next, for one
// written in place rather than copied in from a buffer of its own.
void write_frame_header(ByteWriter& w, MessageType type, std::size_t payload_size);

} // namespace napster::protocol
