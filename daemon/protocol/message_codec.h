// SPDX-License-Identifier: MIT
#pragma once

// Glue between message structs and frames. A message struct M has
//   static constexpr MessageType type;
//   void write(ByteWriter&) const;
//   static M read(ByteReader&);   // reports problems through the reader
// and gets framing and whole-payload decoding from these templates.

#include "protocol/frame_codec.h"
#include "util/result.h"

#include <fmt/format.h>

namespace napster::protocol {

template <typename M> void append_message(Bytes& out, const M& message) {
    Bytes payload;
    ByteWriter w(payload);
    message.write(w);
    append_frame(out, M::type, payload);
}

template <typename M> Bytes encode_message(const M& message) {
    Bytes out;
    append_message(out, message);
    return out;
}

// Decodes a whole payload: a short, over-long or otherwise invalid payload
// is an error naming the message and the field.
template <typename M> Result<M> decode_message(ByteSpan payload) {
    ByteReader r(payload);
    M message = M::read(r);
    r.expect_end(message_type_name(M::type));
    if (!r.ok()) return make_error(ErrorCode::malformed, fmt::format("{}: {}", message_type_name(M::type), r.error()));
    return message;
}

} // namespace napster::protocol
