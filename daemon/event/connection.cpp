// SPDX-License-Identifier: MIT
#include "event/connection.h"

#include "event/handle_close.h"
#include "protocol/common_messages.h"

#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cerrno>
#include <cstring>

namespace napster {
namespace {

// A write owns its bytes until libuv is done with them.
struct WriteRequest {
    uv_write_t req{};
    Bytes bytes;
};

constexpr std::size_t read_chunk = 64 * 1024;

// One read buffer for every connection of the loop's thread. libuv reads
// into it and calls on_read before it reads anything else, and on_read
// consumes what it can at once and keeps only an unfinished frame (or what
// a paused handler left) in the connection's own buffer: an idle
// connection holds no read buffer at all.
std::byte* shared_read_buffer() {
    thread_local std::array<std::byte, read_chunk> buffer;
    return buffer.data();
}

} // namespace

Connection* Connection::create(uv_loop_t* loop, Kind kind) {
    auto* c = new Connection(kind);
    if (kind == Kind::tcp)
        uv_tcp_init(loop, &c->handle_.tcp);
    else
        // ipc: libuv reads with recvmsg and keeps the descriptors that
        // come along (collect_received_fds), instead of dropping them.
        uv_pipe_init(loop, &c->handle_.pipe, 1);
    c->handle()->data = c;
    return c;
}

void Connection::start_reading() {
    if (closing_ || reading_) return;
    reading_ = true;
    int rc = uv_read_start(stream(), on_alloc, on_read);
    if (rc != 0) return close(fmt::format("cannot read: {}", uv_strerror(rc)));
    // Bytes that arrived with the frame that paused us (a file body behind
    // GET_OK, say) are already here: no read event will bring them again.
    if (!consuming_ && input_start_ < input_.size()) consume_input();
}

void Connection::pause_reading() {
    if (!reading_ || closing_) return;
    reading_ = false;
    uv_read_stop(stream());
}

void Connection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
    auto* self = static_cast<Connection*>(handle->data);
    // A body straight into the handler's buffer: only when no unfinished
    // frame waits in input_, which the new bytes would have to follow.
    if (self->raw_mode_ && self->handler_ && self->input_start_ == self->input_.size()) {
        std::span<std::byte> room = self->handler_->raw_room(*self);
        if (!room.empty()) {
            buf->base = reinterpret_cast<char*>(room.data());
            buf->len = std::min(room.size(), std::size_t{UINT32_MAX});
            return;
        }
    }
    buf->base = reinterpret_cast<char*>(shared_read_buffer());
    buf->len = read_chunk;
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<Connection*>(stream->data);
    if (nread == UV_EOF) {
        self->close("closed by the other side");
        return;
    }
    if (nread < 0) {
        self->close(fmt::format("read failed: {}", uv_strerror(static_cast<int>(nread))));
        return;
    }
    if (self->kind_ == Kind::pipe && !self->collect_received_fds()) return;
    ByteSpan fresh(reinterpret_cast<const std::byte*>(buf->base), static_cast<std::size_t>(nread));
    if (self->input_start_ < self->input_.size()) {
        // An unfinished frame waits: the new bytes belong behind it.
        self->input_.insert(self->input_.end(), fresh.begin(), fresh.end());
        return self->consume_input();
    }
    // The common case: frames straight from the shared buffer, and only
    // what is left over copied.
    std::size_t used = self->consume(fresh);
    if (self->closing_ || used == fresh.size()) return;
    self->input_.assign(fresh.begin() + static_cast<std::ptrdiff_t>(used), fresh.end());
    self->input_start_ = 0;
}

std::size_t Connection::consume(ByteSpan data) {
    consuming_ = true;
    std::size_t used = 0;
    while (!closing_ && !close_when_drained_ && used < data.size()) {
        ByteSpan rest = data.subspan(used);
        if (raw_mode_) {
            used = data.size();
            handler_->on_raw(*this, rest);
            break;
        }
        auto parsed = protocol::parse_frame(rest);
        if (parsed.status == protocol::FrameStatus::need_more) break;
        if (parsed.status == protocol::FrameStatus::error) {
            consuming_ = false;
            fail({ErrorCode::malformed, parsed.error});
            return data.size();
        }
        used += parsed.consumed;
        handler_->on_frame(*this, parsed.frame);
        if (!reading_) break; // the handler paused us; keep the rest
    }
    consuming_ = false;
    return used;
}

void Connection::consume_input() {
    input_start_ += consume(ByteSpan(input_.data() + input_start_, input_.size() - input_start_));
    if (closing_) return;
    if (input_start_ == input_.size()) {
        // Give the memory back: a 1 MiB frame must not leave 1 MiB behind.
        Bytes().swap(input_);
        input_start_ = 0;
    } else if (input_start_ > 0) {
        // Compact: drop consumed bytes so the buffer holds at most one partial frame.
        input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(input_start_));
        input_start_ = 0;
    }
}

void Connection::send(Bytes bytes) {
    if (closing_ || bytes.empty()) return;
    if (pending_write_bytes_ + bytes.size() > write_limit_) {
        close(fmt::format("dropped: {} bytes waiting to be read, limit {}",
                          pending_write_bytes_ + bytes.size(), write_limit_));
        return;
    }
    auto* w = new WriteRequest;
    w->bytes = std::move(bytes);
    w->req.data = this;
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(w->bytes.data()),
                               static_cast<unsigned>(w->bytes.size()));
    pending_write_bytes_ += w->bytes.size();
    int rc = uv_write(&w->req, stream(), &buf, 1, on_write);
    if (rc != 0) {
        pending_write_bytes_ -= w->bytes.size();
        delete w;
        close(fmt::format("write failed: {}", uv_strerror(rc)));
    }
}

void Connection::on_write(uv_write_t* req, int status) {
    auto* w = reinterpret_cast<WriteRequest*>(req);
    auto* self = static_cast<Connection*>(req->data);
    self->pending_write_bytes_ -= w->bytes.size();
    delete w;
    // Writes cancelled by uv_close still run this callback, before on_close.
    if (self->closing_) return;
    if (status < 0) {
        self->close(fmt::format("write failed: {}", uv_strerror(status)));
        return;
    }
    if (self->pending_write_bytes_ == 0 && self->close_when_drained_) {
        self->close(self->close_reason_);
        return;
    }
    if (self->pending_write_bytes_ == 0 && self->body_) return self->start_file_body();
    if (self->pending_write_bytes_ <= self->low_water_ && !self->close_when_drained_ &&
        self->handler_)
        self->handler_->on_drained(*self);
}

void Connection::fail(const Error& error) {
    send_message(protocol::to_error_message(error));
    close_after_writes(error.message);
}

void Connection::close_after_writes(const std::string& reason) {
    if (closing_ || close_when_drained_) return;
    pause_reading();
    close_when_drained_ = true;
    close_reason_ = reason;
    if (pending_write_bytes_ == 0) close(reason);
}

void Connection::close(const std::string& reason) {
    if (closing_) return;
    closing_ = true;
    close_reason_ = reason;
    close_file_body();
    close_handle(handle(), on_close);
}

void Connection::on_close(uv_handle_t* handle) {
    static_cast<Connection*>(handle->data)->handle_closed();
}

// The handler hears of the close once every handle of ours is closed.
void Connection::handle_closed() {
    if (--open_handles_ > 0) return;
    if (handler_) handler_->on_closed(*this, close_reason_);
    delete this;
}

std::string Connection::remote_endpoint() const {
    if (kind_ == Kind::pipe) return "local";
    sockaddr_storage addr{};
    int len = sizeof addr;
    if (uv_tcp_getpeername(&handle_.tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return "unknown";
    char ip[INET6_ADDRSTRLEN] = {};
    int port = 0;
    if (addr.ss_family == AF_INET6) {
        auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
        uv_ip6_name(a6, ip, sizeof ip);
        port = ntohs(a6->sin6_port);
        return fmt::format("[{}]:{}", ip, port);
    }
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    uv_ip4_name(a4, ip, sizeof ip);
    return fmt::format("{}:{}", ip, ntohs(a4->sin_port));
}

std::optional<sockaddr_storage> Connection::local_socket_address() const {
    if (kind_ == Kind::pipe) return std::nullopt;
    sockaddr_storage addr{};
    int len = sizeof addr;
    if (uv_tcp_getsockname(&handle_.tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return std::nullopt;
    return addr;
}

std::string Connection::remote_address() const {
    if (kind_ == Kind::pipe) return {};
    sockaddr_storage addr{};
    int len = sizeof addr;
    if (uv_tcp_getpeername(&handle_.tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
    char ip[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET6)
        uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&addr), ip, sizeof ip);
    else
        uv_ip4_name(reinterpret_cast<sockaddr_in*>(&addr), ip, sizeof ip);
    return ip;
}

std::optional<ucred> Connection::peer_credentials() const {
    if (kind_ != Kind::pipe) return std::nullopt;
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd) != 0) return std::nullopt;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
    return cred;
}

std::optional<std::vector<gid_t>> Connection::peer_groups() const {
    if (kind_ != Kind::pipe) return std::nullopt;
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd) != 0) return std::nullopt;
    // Linux answers ERANGE with the length it needs when the buffer is
    // short; NGROUPS_MAX is 65536, so two tries always do.
    std::vector<gid_t> groups(64);
    for (int attempt = 0; attempt < 2; ++attempt) {
        socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
            groups.resize(len / sizeof(gid_t));
            return groups;
        }
        if (errno != ERANGE) return std::nullopt;
        groups.resize(len / sizeof(gid_t) + 1);
    }
    return std::nullopt;
}

} // namespace napster
