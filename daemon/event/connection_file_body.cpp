// SPDX-License-Identifier: MIT
// Connection's zero-copy file body (Connection::send_file).
//
// libuv has no sendfile for streams, and keeps one watcher per descriptor:
// the body is sent through a uv_poll_t on a duplicate of the socket's
// descriptor, started only once the stream has no write queued and is not
// reading, so the stream's own watcher is idle meanwhile. uv_fs_sendfile
// would run each call on the thread pool, a wake-up and a hand-back per
// call, and its calls on a non-blocking socket still stop at EAGAIN and
// need the loop to wait for room (bench/README.md has the comparison).
#include "event/connection.h"

#include "event/handle_close.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace napster {
namespace {

// One sendfile call moves at most this much, so a call returns to the
// loop's accounting (and the per-turn budget) often.
constexpr std::uint64_t max_call = 1024 * 1024;

} // namespace

struct Connection::FileBody {
    uv_poll_t poll{};
    bool poll_open = false; // initialised: to be closed
    bool polling = false;
    int socket = -1; // the duplicate the poll watches
    int file = -1;
    std::uint64_t start = 0;
    std::uint64_t next = 0; // the next file offset to send
    std::uint64_t end = 0;
    std::uint64_t allowed = 0;
};

// Here, where FileBody is complete.
Connection::Connection(Kind kind) : kind_(kind) {}
Connection::~Connection() = default;

void Connection::send_file(int file, std::uint64_t offset, std::uint64_t length, std::uint64_t allowed_end) {
    if (closing_ || body_) return;
    body_ = std::make_unique<FileBody>();
    body_->file = file;
    body_->start = body_->next = offset;
    body_->end = offset + length;
    body_->allowed = std::min(allowed_end, body_->end);
    if (pending_write_bytes_ == 0) start_file_body();
}

void Connection::allow_file_until(std::uint64_t end) {
    if (!body_ || closing_) return;
    body_->allowed = std::clamp(end, body_->allowed, body_->end);
    if (!body_->poll_open || body_->polling || body_->next >= body_->allowed) return;
    body_->polling = uv_poll_start(&body_->poll, UV_WRITABLE, on_file_writable) == 0;
}

std::uint64_t Connection::file_bytes_sent() const {
    return body_ ? body_->next - body_->start : 0;
}

bool Connection::file_sent() const {
    return body_ && body_->next == body_->end;
}

// Sending starts from the poll's first callback, never from inside the
// caller's send_file or on_write: the handler is not re-entered.
void Connection::start_file_body() {
    if (closing_ || !body_ || body_->poll_open) return;
    uv_os_fd_t fd;
    if (int rc = uv_fileno(handle(), &fd); rc != 0)
        return close(fmt::format("cannot send the file: {}", uv_strerror(rc)));
    body_->socket = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (body_->socket < 0) return close(fmt::format("cannot send the file: {}", std::strerror(errno)));
    if (int rc = uv_poll_init(handle()->loop, &body_->poll, body_->socket); rc != 0) {
        ::close(std::exchange(body_->socket, -1));
        return close(fmt::format("cannot send the file: {}", uv_strerror(rc)));
    }
    body_->poll.data = this;
    body_->poll_open = true;
    ++open_handles_;
    if (int rc = uv_poll_start(&body_->poll, UV_WRITABLE, on_file_writable); rc != 0)
        return close(fmt::format("cannot send the file: {}", uv_strerror(rc)));
    body_->polling = true;
}

void Connection::on_file_writable(uv_poll_t* poll, int status, int) {
    auto* self = static_cast<Connection*>(poll->data);
    if (self->closing_) return;
    if (status < 0) return self->close(fmt::format("write failed: {}", uv_strerror(status)));
    self->pump_file();
}

void Connection::pump_file() {
    FileBody& body = *body_;
    std::uint64_t budget = max_file_bytes_per_turn;
    while (body.next < body.allowed && budget > 0) {
        auto offset = static_cast<off_t>(body.next);
        std::size_t want = static_cast<std::size_t>(std::min({body.allowed - body.next, max_call, budget}));
        ssize_t n = ::sendfile(body.socket, body.file, &offset, want);
        if (n > 0) {
            body.next += static_cast<std::uint64_t>(n);
            budget -= std::min<std::uint64_t>(budget, static_cast<std::uint64_t>(n));
            continue;
        }
        if (n == 0) return close("the file ended before the bytes announced were sent");
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return; // the poll stays on: more when there is room
        return close(fmt::format("write failed: {}", std::strerror(errno)));
    }
    if (body.next < body.allowed) return; // the turn's budget is spent; the socket had room, so the poll fires again
    uv_poll_stop(&body.poll);
    body.polling = false;
    if (handler_) handler_->on_drained(*this);
}

void Connection::close_file_body() {
    if (!body_ || !body_->poll_open) return;
    close_handle(&body_->poll, on_file_poll_closed);
}

void Connection::on_file_poll_closed(uv_handle_t* handle) {
    auto* self = static_cast<Connection*>(handle->data);
    ::close(std::exchange(self->body_->socket, -1));
    self->handle_closed();
}

} // namespace napster
