// SPDX-License-Identifier: MIT
#include "protocol/frame_codec.h"

#include <fmt/format.h>

namespace napster::protocol {

FrameParse parse_frame(ByteSpan input, std::size_t max_length) {
    FrameParse result;
    if (input.size() < 4) return result;
    ByteReader header(input.first(4));
    std::uint32_t length = header.u32("frame length");
    if (length < 2) {
        result.status = FrameStatus::error;
        result.error = fmt::format("frame length {} is shorter than its type field", length);
        return result;
    }
    if (length > max_length) {
        result.status = FrameStatus::error;
        result.error = fmt::format("frame of {} bytes exceeds the limit of {}", length, max_length);
        return result;
    }
    if (input.size() - 4 < length) return result;
    ByteReader body(input.subspan(4, length));
    result.frame.type = static_cast<MessageType>(body.u16("message type"));
    result.frame.payload = input.subspan(frame_header_size, length - 2);
    result.consumed = 4 + static_cast<std::size_t>(length);
    result.status = FrameStatus::complete;
    return result;
}

void write_frame_header(ByteWriter& w, MessageType type, std::size_t payload_size) {
    w.u32(static_cast<std::uint32_t>(payload_size + 2));
    w.u16(static_cast<std::uint16_t>(type));
}

void append_frame(Bytes& out, MessageType type, ByteSpan payload) {
    ByteWriter w(out);
    write_frame_header(w, type, payload.size());
    w.raw(payload);
}

const char* message_type_name(MessageType type) {
    switch (type) {
    case MessageType::hello: return "HELLO";
    case MessageType::welcome: return "WELCOME";
    case MessageType::error: return "ERROR";
    case MessageType::ping: return "PING";
    case MessageType::pong: return "PONG";
    case MessageType::register_peer: return "REGISTER";
    case MessageType::registered: return "REGISTERED";
    case MessageType::files_add: return "FILES_ADD";
    case MessageType::files_remove: return "FILES_REMOVE";
    case MessageType::search: return "SEARCH";
    case MessageType::search_result: return "SEARCH_RESULT";
    case MessageType::get: return "GET";
    case MessageType::get_ok: return "GET_OK";
    case MessageType::get_hashes: return "GET_HASHES";
    case MessageType::hashes: return "HASHES";
    case MessageType::fetch: return "FETCH";
    case MessageType::fetch_progress: return "FETCH_PROGRESS";
    case MessageType::fetch_done: return "FETCH_DONE";
    case MessageType::status: return "STATUS";
    case MessageType::status_result: return "STATUS_RESULT";
    case MessageType::shares: return "SHARES";
    case MessageType::shares_batch: return "SHARES_BATCH";
    case MessageType::shares_end: return "SHARES_END";
    case MessageType::rescan: return "RESCAN";
    case MessageType::rescan_done: return "RESCAN_DONE";
    case MessageType::transfers: return "TRANSFERS";
    case MessageType::transfers_result: return "TRANSFERS_RESULT";
    case MessageType::cancel: return "CANCEL";
    case MessageType::cancel_done: return "CANCEL_DONE";
    case MessageType::wait: return "WAIT";
    case MessageType::watch: return "WATCH";
    case MessageType::watch_update: return "WATCH_UPDATE";
    case MessageType::reload: return "RELOAD";
    case MessageType::reload_result: return "RELOAD_RESULT";
    }
    return "unknown";
}

const char* error_code_name(ErrorCode code) {
    switch (code) {
    case ErrorCode::malformed: return "malformed";
    case ErrorCode::version_mismatch: return "version mismatch";
    case ErrorCode::unexpected_message: return "unexpected message";
    case ErrorCode::limit_exceeded: return "limit exceeded";
    case ErrorCode::not_found: return "not found";
    case ErrorCode::busy: return "busy";
    case ErrorCode::io_error: return "I/O error";
    case ErrorCode::invalid_argument: return "invalid argument";
    case ErrorCode::not_connected: return "not connected";
    case ErrorCode::internal: return "internal error";
    case ErrorCode::permission_denied: return "permission denied";
    case ErrorCode::cancelled: return "cancelled";
    }
    return "unknown error";
}

} // namespace napster::protocol
