// SPDX-License-Identifier: MIT
#pragma once

// napctl's side of napeerd's control socket: connect, HELLO/WELCOME, then
// blocking sends and frame reads with a deadline, so that napctl never waits
// forever on a napeerd that hangs.

#include "ctl/failure.h"
#include "ctl/interrupt.h"
#include "protocol/common_messages.h"
#include "protocol/message_codec.h"

#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace napster::ctl {

struct ReceivedFrame {
    protocol::MessageType type{};
    Bytes payload;
};

// One socket napctl tried and what it answered ("No such file or
// directory").
struct SocketAttempt {
    std::string path;
    std::string answer;
};

// "cannot reach napeerd at PATH: ANSWER" for one attempt; for several,
// "cannot reach napeerd: tried PATH1 (ANSWER1), PATH2 (ANSWER2)". One line.
std::string unreachable_text(std::span<const SocketAttempt> attempts);

// Owns the socket and closes it when destroyed. Single-threaded.
class ControlClient {
public:
    // Connects to the first of `socket_paths` where a napeerd listens and
    // completes the handshake within `timeout`. A path is passed over only
    // when nothing listens there (no such file, or a stale socket that
    // refuses): a napeerd that is there but refuses this caller, or does
    // not answer, is the answer, not a reason to talk to another one.
    // Anything that keeps the handshake from completing is
    // exit_unreachable, naming every path tried, except an ERROR reply
    // from napeerd other than version_mismatch and permission_denied
    // (exit_failure).
    static Outcome<ControlClient> connect(std::span<const std::string> socket_paths,
                                          std::chrono::milliseconds timeout);

    ControlClient(ControlClient&& other) noexcept;
    ControlClient& operator=(ControlClient&& other) noexcept;
    ControlClient(const ControlClient&) = delete;
    ControlClient& operator=(const ControlClient&) = delete;
    ~ControlClient();

    template <typename M> Outcome<Done> send(const M& message) {
        return send_bytes(protocol::encode_message(message));
    }
    // Sends the message with a copy of descriptor `fd` (SCM_RIGHTS), which
    // napeerd receives with the frame's first byte. `fd` stays the caller's.
    template <typename M> Outcome<Done> send_with_fd(const M& message, int fd) {
        return send_bytes(protocol::encode_message(message), fd);
    }

    // The next whole frame. Fails when none is complete within `timeout`,
    // when napeerd closes the connection, or when the bytes are not a frame.
    Outcome<ReceivedFrame> receive(std::chrono::milliseconds timeout);

    const std::string& socket_path() const { return socket_path_; }

    // From now on receive() lets SIGINT through while it waits, and fails
    // with exit_interrupted once `watch` has seen one. Not owned.
    void watch_interrupts(const InterruptWatch* watch) { interrupts_ = watch; }

private:
    ControlClient(int fd, std::string socket_path);
    Outcome<Done> send_bytes(const Bytes& bytes, int fd = -1);
    Outcome<Done> handshake(std::chrono::milliseconds timeout);
    // One path: the client, or the failure; `absent` says nothing listens
    // there, so the next path may be tried.
    static Outcome<ControlClient> connect_one(const std::string& socket_path, std::chrono::milliseconds timeout,
                                              bool& absent);

    int fd_ = -1;
    std::string socket_path_;
    Bytes buffer_; // bytes read but not yet returned as frames
    const InterruptWatch* interrupts_ = nullptr;
};

// "napeerd sent an invalid reply: DETAIL" (exit_failure).
Failure invalid_reply(std::string detail);

// Decodes a frame's payload as M; a payload that does not decode is an
// invalid reply.
template <typename M> Outcome<M> decode_reply(const ReceivedFrame& frame) {
    auto decoded = protocol::decode_message<M>(frame.payload);
    if (!decoded) return invalid_reply(decoded.error().message);
    return std::move(decoded.value());
}

// napeerd's ERROR code as --json's error.code: "not_found", "io_error",
// "cancelled"... (napctl(1), JSON OUTPUT).
std::string error_code_json_name(protocol::ErrorCode code);

// What an ERROR reply means for the user: its text, or a fixed line for
// codes napctl words itself.
Failure error_reply_failure(const protocol::ErrorMessage& error);

// For a frame that is neither the expected reply nor an ERROR.
Failure unexpected_reply(protocol::MessageType type);

// For a frame that is not the reply a command waits for: what the ERROR
// it may be says, or else an unexpected reply.
inline Failure other_reply_failure(const ReceivedFrame& frame) {
    if (frame.type != protocol::MessageType::error) return unexpected_reply(frame.type);
    auto error = decode_reply<protocol::ErrorMessage>(frame);
    if (!error) return error.failure();
    return error_reply_failure(*error);
}

// Receives the reply to a request: M, or the failure an ERROR reply or any
// other frame means.
template <typename M>
Outcome<M> receive_reply(ControlClient& client, std::chrono::milliseconds timeout) {
    auto frame = client.receive(timeout);
    if (!frame) return frame.failure();
    if (frame->type == M::type) return decode_reply<M>(*frame);
    return other_reply_failure(*frame);
}

// How long napctl waits for each frame of a search, status or shares reply.
inline constexpr std::chrono::milliseconds reply_timeout{10'000};

} // namespace napster::ctl
