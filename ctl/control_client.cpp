// SPDX-License-Identifier: MIT
#include "ctl/control_client.h"

#include "util/text.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace napster::ctl {
namespace {

using Clock = std::chrono::steady_clock;
using protocol::MessageType;

// Reads in chunks this big; a frame may be up to max_frame_length.
constexpr std::size_t read_chunk = 64 * 1024;

// What one path answered, without the path: connect() words it with every
// path it tried.
Failure not_reached(std::string_view why) { return {exit_unreachable, std::string(why), {}}; }

// Nothing listens at the path: no socket file (or no directory for it),
// or a socket file left behind by a napeerd that is gone.
bool nothing_listens(int error) { return error == ENOENT || error == ENOTDIR || error == ECONNREFUSED; }

std::string seconds_text(std::chrono::milliseconds timeout) {
    return fmt::format("{} s", (timeout.count() + 999) / 1000);
}

void set_send_timeout(int fd, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    // Best effort: without it a full socket only delays napctl, since the
    // reads that follow have their own deadline.
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

} // namespace

std::string unreachable_text(std::span<const SocketAttempt> attempts) {
    if (attempts.size() == 1)
        return fmt::format("cannot reach napeerd at {}: {}", printable(attempts[0].path), attempts[0].answer);
    std::string text = "cannot reach napeerd: tried ";
    for (std::size_t i = 0; i < attempts.size(); ++i) {
        if (i > 0) text += ", ";
        text += fmt::format("{} ({})", printable(attempts[i].path), attempts[i].answer);
    }
    return text;
}

Failure invalid_reply(std::string detail) {
    return failure("invalid_reply", fmt::format("napeerd sent an invalid reply: {}", detail));
}

Failure unexpected_reply(MessageType type) {
    const char* name = protocol::message_type_name(type);
    if (std::strcmp(name, "unknown") == 0)
        return invalid_reply(
            fmt::format("unknown message type 0x{:04x}", static_cast<unsigned>(type)));
    return invalid_reply(fmt::format("unexpected {} message", name));
}

std::string error_code_json_name(protocol::ErrorCode code) {
    using protocol::ErrorCode;
    switch (code) {
    case ErrorCode::malformed: return "malformed";
    case ErrorCode::version_mismatch: return "version_mismatch";
    case ErrorCode::unexpected_message: return "unexpected_message";
    case ErrorCode::limit_exceeded: return "limit_exceeded";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::busy: return "busy";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::not_connected: return "not_connected";
    case ErrorCode::internal: return "internal";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::cancelled: return "cancelled";
    }
    return "failed";
}

// The one place a wire ERROR becomes napctl's exit status. napeerd's text
// already says what happened, so it is shown as it came.
Failure error_reply_failure(const protocol::ErrorMessage& error) {
    std::string text = printable(error.text);
    if (text.empty()) text = fmt::format("napeerd: {}", protocol::error_code_name(error.code));
    std::string code = error_code_json_name(error.code);
    switch (error.code) {
    case protocol::ErrorCode::not_connected:
        return {exit_not_connected, std::move(text), {}, std::move(code)};
    case protocol::ErrorCode::version_mismatch:
    case protocol::ErrorCode::permission_denied:
        return {exit_unreachable, std::move(text), {}, std::move(code)};
    default:
        return failure(std::move(code), std::move(text));
    }
}

ControlClient::ControlClient(int fd, std::string socket_path)
    : fd_(fd), socket_path_(std::move(socket_path)) {}

ControlClient::ControlClient(ControlClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), socket_path_(std::move(other.socket_path_)),
      buffer_(std::move(other.buffer_)) {}

ControlClient& ControlClient::operator=(ControlClient&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        socket_path_ = std::move(other.socket_path_);
        buffer_ = std::move(other.buffer_);
    }
    return *this;
}

ControlClient::~ControlClient() {
    if (fd_ >= 0) ::close(fd_);
}

Outcome<ControlClient> ControlClient::connect(std::span<const std::string> socket_paths,
                                              std::chrono::milliseconds timeout) {
    if (socket_paths.empty() || socket_paths.front().empty())
        return Failure{exit_unreachable,
                       "no control socket to try: give --socket PATH or set $NAPSTER_SOCKET",
                       {}};
    std::vector<SocketAttempt> attempts;
    for (const std::string& path : socket_paths) {
        bool absent = false;
        auto client = connect_one(path, timeout, absent);
        if (client) return client;
        if (client.failure().status != exit_unreachable) return client;
        attempts.push_back({path, client.failure().message});
        if (!absent) break;
    }
    return Failure{exit_unreachable, unreachable_text(attempts), {}};
}

Outcome<ControlClient> ControlClient::connect_one(const std::string& socket_path, std::chrono::milliseconds timeout,
                                                  bool& absent) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path)
        return not_reached(fmt::format("a socket path must be shorter than {} bytes",
                                                    sizeof address.sun_path));
    std::memcpy(address.sun_path, socket_path.data(), socket_path.size());

    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return not_reached(std::strerror(errno));
    ControlClient client(fd, socket_path);
    // A Unix connect() waits while the listener's backlog is full; the send
    // timeout bounds that wait as well as every later send.
    set_send_timeout(fd, timeout);
    int rc;
    do {
        rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return not_reached(fmt::format("napeerd did not accept within {}",
                                                        seconds_text(timeout)));
        absent = nothing_listens(errno);
        return not_reached(std::strerror(errno));
    }
    if (auto shaken = client.handshake(timeout); !shaken) return shaken.failure();
    return client;
}

Outcome<Done> ControlClient::handshake(std::chrono::milliseconds timeout) {
    protocol::Hello hello;
    hello.channel = protocol::Channel::control;
    if (auto sent = send(hello); !sent)
        return not_reached(fmt::format("handshake failed: {}", sent.failure().message));
    auto frame = receive(timeout);
    if (!frame)
        return not_reached(fmt::format("handshake failed: {}", frame.failure().message));
    if (frame->type == MessageType::error) {
        auto error = protocol::decode_message<protocol::ErrorMessage>(frame->payload);
        if (!error)
            return not_reached(fmt::format("invalid ERROR during the handshake: {}",
                                                         error.error().message));
        // Refused at the door: worded as napeerd not being reachable, with
        // the status error_reply_failure chose.
        Failure refused = error_reply_failure(*error);
        if (refused.status == exit_unreachable) return not_reached(refused.message);
        return refused;
    }
    if (frame->type != MessageType::welcome)
        return not_reached(fmt::format("handshake failed: expected WELCOME, got {}",
                                                     protocol::message_type_name(frame->type)));
    auto welcome = protocol::decode_message<protocol::Welcome>(frame->payload);
    if (!welcome)
        return not_reached(fmt::format("handshake failed: {}", welcome.error().message));
    if (auto version = protocol::check_welcome(*welcome, "napeerd"); !version)
        return not_reached(version.error().message);
    return Done{};
}

Outcome<Done> ControlClient::send_bytes(const Bytes& bytes, int fd) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        msghdr message{};
        iovec part{const_cast<std::byte*>(bytes.data() + sent), bytes.size() - sent};
        message.msg_iov = &part;
        message.msg_iovlen = 1;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
        if (fd >= 0 && sent == 0) {
            // With the first byte only: a partial send must not pass it twice.
            message.msg_control = control;
            message.msg_controllen = sizeof control;
            cmsghdr* header = CMSG_FIRSTHDR(&message);
            header->cmsg_level = SOL_SOCKET;
            header->cmsg_type = SCM_RIGHTS;
            header->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
        }
        // MSG_NOSIGNAL: a napeerd that went away is an error to report, not
        // a SIGPIPE that kills napctl silently.
        ssize_t n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EPIPE || errno == ECONNRESET)
                return failure("connection_closed", "napeerd closed the connection");
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return failure("timeout", "napeerd does not read its socket");
            return failure("io_error", fmt::format("sending to napeerd failed: {}", std::strerror(errno)));
        }
        sent += static_cast<std::size_t>(n);
    }
    return Done{};
}

Outcome<ReceivedFrame> ControlClient::receive(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        auto parsed = protocol::parse_frame(buffer_);
        if (parsed.status == protocol::FrameStatus::error) return invalid_reply(parsed.error);
        if (parsed.status == protocol::FrameStatus::complete) {
            ReceivedFrame frame{parsed.frame.type,
                                Bytes(parsed.frame.payload.begin(), parsed.frame.payload.end())};
            buffer_.erase(buffer_.begin(),
                          buffer_.begin() + static_cast<std::ptrdiff_t>(parsed.consumed));
            if (frame.type == MessageType::ping) {
                // Keepalives are not replies: answer and keep waiting.
                auto ping = protocol::decode_message<protocol::Ping>(frame.payload);
                if (!ping) return invalid_reply(ping.error().message);
                if (auto sent = send(protocol::Pong{ping->token}); !sent) return sent.failure();
                continue;
            }
            return frame;
        }

        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return failure("timeout", fmt::format("napeerd sent nothing for {}", seconds_text(timeout)));
        if (interrupts_ && interrupts_->interrupted()) return Failure{exit_interrupted, "interrupted", {}};
        pollfd pfd{fd_, POLLIN, 0};
        timespec wait{static_cast<time_t>(left.count() / 1000), static_cast<long>(left.count() % 1000) * 1'000'000};
        int ready = interrupts_ ? ::ppoll(&pfd, 1, &wait, interrupts_->wait_mask())
                                : ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0) {
            if (errno == EINTR) continue;
            return failure("io_error", fmt::format("waiting for napeerd failed: {}", std::strerror(errno)));
        }
        if (ready == 0) continue; // the deadline check above reports it

        std::size_t old_size = buffer_.size();
        buffer_.resize(old_size + read_chunk);
        ssize_t n = ::recv(fd_, buffer_.data() + old_size, read_chunk, 0);
        buffer_.resize(old_size + static_cast<std::size_t>(n > 0 ? n : 0));
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        // A reset is napeerd closing with our request unread: still a close.
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            if (buffer_.empty()) return failure("connection_closed", "napeerd closed the connection without a reply");
            return failure("connection_closed", "napeerd closed the connection in the middle of a reply");
        }
        if (n < 0)
            return failure("io_error", fmt::format("reading from napeerd failed: {}", std::strerror(errno)));
    }
}

} // namespace napster::ctl
