// SPDX-License-Identifier: MIT
// Descriptors received on a Unix connection (SCM_RIGHTS).
//
// An ipc pipe makes libuv read with recvmsg and queue each descriptor that
// comes along; uv_pipe_pending_count says how many wait. libuv hands them
// out only by uv_accept into a handle, which for a pipe handle just adopts
// the descriptor, whatever it is (a directory here): so each one is
// accepted into a short-lived pipe handle, duplicated, and the handle
// closed with its copy.

#include "event/connection.h"

#include <fcntl.h>

#include <fmt/format.h>

namespace napster {
namespace {

void free_pipe(uv_handle_t* handle) { delete reinterpret_cast<uv_pipe_t*>(handle); }

// The next pending descriptor, or none when libuv would not hand it out
// (it then closed it itself).
OwnedFd accept_pending(uv_pipe_t* pipe) {
    auto* holder = new uv_pipe_t{};
    uv_pipe_init(pipe->loop, holder, 0);
    OwnedFd fd;
    if (uv_accept(reinterpret_cast<uv_stream_t*>(pipe), reinterpret_cast<uv_stream_t*>(holder)) == 0) {
        uv_os_fd_t adopted = -1;
        if (uv_fileno(reinterpret_cast<uv_handle_t*>(holder), &adopted) == 0)
            fd.reset(::fcntl(adopted, F_DUPFD_CLOEXEC, 3));
    }
    uv_close(reinterpret_cast<uv_handle_t*>(holder), free_pipe);
    return fd;
}

} // namespace

bool Connection::collect_received_fds() {
    while (uv_pipe_pending_count(&handle_.pipe) > 0) {
        OwnedFd fd = accept_pending(&handle_.pipe);
        if (!fd) continue;
        received_fds_.push_back(std::move(fd));
        if (received_fds_.size() > max_received_fds) {
            // The rest libuv still holds is closed with the handle.
            received_fds_.clear();
            close(fmt::format("sent more than {} descriptors", max_received_fds));
            return false;
        }
    }
    return true;
}

OwnedFd Connection::take_received_fd() {
    if (received_fds_.empty()) return {};
    OwnedFd fd = std::move(received_fds_.front());
    received_fds_.erase(received_fds_.begin());
    return fd;
}

} // namespace napster
