// SPDX-License-Identifier: MIT
#include "event/inotify_watch.h"

#include "event/handle_close.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace napster {

std::vector<InotifyEvent> parse_inotify_events(std::span<const std::byte> bytes) {
    std::vector<InotifyEvent> events;
    std::size_t at = 0;
    while (bytes.size() - at >= sizeof(inotify_event)) {
        // Copied out: a span need not be aligned for inotify_event.
        inotify_event header{};
        std::memcpy(&header, bytes.data() + at, sizeof header);
        std::size_t size = sizeof header + header.len;
        if (size > bytes.size() - at) break;
        // `len` counts the NUL padding that aligns the next event.
        const char* name = reinterpret_cast<const char*>(bytes.data() + at + sizeof header);
        events.push_back(
            {header.wd, header.mask, header.cookie, std::string(name, strnlen(name, header.len))});
        at += size;
    }
    return events;
}

std::string inotify_limit(const char* name) {
    std::ifstream in(fmt::format("/proc/sys/fs/inotify/{}", name));
    std::string value;
    in >> value;
    return value.empty() ? "unknown" : value;
}

struct InotifyWatch::State {
    explicit State(int fd) : fd(fd) {}
    // Runs from uv_close's callback: libuv no longer polls the descriptor.
    ~State() { ::close(fd); }

    uv_poll_t poll{};
    int fd;
    bool reading = false;
    Callback on_events;
};

InotifyWatch::InotifyWatch(uv_loop_t* loop) : loop_(loop) {}

InotifyWatch::~InotifyWatch() {
    close();
}

Status InotifyWatch::open() {
    if (state_) return Ok{};
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return make_error(ErrorCode::io_error,
            fmt::format("inotify is not available ({}; fs.inotify.max_user_instances is {})",
                        std::strerror(errno), inotify_limit("max_user_instances")));
    state_ = new State(fd);
    state_->poll.data = state_;
    int rc = uv_poll_init(loop_, &state_->poll, fd);
    if (rc != 0) {
        // Not a handle of the loop yet: nothing for uv_close to do.
        delete std::exchange(state_, nullptr);
        return make_error(ErrorCode::io_error,
            fmt::format("inotify is not available (cannot poll it: {})", uv_strerror(rc)));
    }
    return Ok{};
}

int InotifyWatch::fd() const {
    return state_ ? state_->fd : -1;
}

Result<int> InotifyWatch::add(const std::string& path, std::uint32_t mask) {
    if (!state_) return make_error(ErrorCode::internal, fmt::format("cannot watch {}: inotify is not open", path));
    int wd = inotify_add_watch(state_->fd, path.c_str(), mask);
    if (wd >= 0) return wd;
    if (errno == ENOSPC)
        return make_error(ErrorCode::limit_exceeded, fmt::format("cannot watch {}: the kernel refuses more inotify watches "
                                      "(fs.inotify.max_user_watches is {})",
                                      path, inotify_limit("max_user_watches")));
    return make_error(ErrorCode::io_error, fmt::format("cannot watch {}: {}", path, std::strerror(errno)));
}

void InotifyWatch::remove(int wd) {
    if (state_) inotify_rm_watch(state_->fd, wd);
}

void InotifyWatch::start(Callback on_events) {
    if (!state_) return;
    state_->on_events = std::move(on_events);
    if (state_->reading) return;
    state_->reading = true;
    uv_poll_start(&state_->poll, UV_READABLE, on_readable);
}

void InotifyWatch::on_readable(uv_poll_t* poll, int status, int) {
    auto* state = static_cast<State*>(poll->data);
    if (status < 0) return;
    alignas(inotify_event) std::byte buffer[64 * 1024];
    // The state outlives this call even if the callback closes the watch:
    // it is freed in uv_close's callback, which runs later.
    while (state->reading) {
        ssize_t n = ::read(state->fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; // EAGAIN: all read
        auto events = parse_inotify_events({buffer, static_cast<std::size_t>(n)});
        // A copy: the callback may replace it through start().
        Callback on_events = state->on_events;
        on_events(events);
    }
}

void InotifyWatch::stop() {
    if (!state_ || !state_->reading) return;
    state_->reading = false;
    uv_poll_stop(&state_->poll);
}

bool InotifyWatch::reading() const {
    return state_ && state_->reading;
}

void InotifyWatch::close() {
    State* state = std::exchange(state_, nullptr);
    if (!state) return;
    state->reading = false;
    // What it captured may be going away with the owner.
    state->on_events = nullptr;
    close_and_delete<State>(&state->poll);
}

} // namespace napster
