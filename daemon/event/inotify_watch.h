// SPDX-License-Identifier: MIT
#pragma once

// An inotify instance whose events are read on the loop.
//
// Ownership: an InotifyWatch owns its inotify descriptor and the poll
// handle on it. Both live in a heap block freed in uv_close's callback,
// which closes the descriptor only once libuv has let go of it, so an owner
// may hold the watch by value. Loop thread only, except fd():
// inotify_add_watch is thread-safe, so a directory walk on the thread pool
// may add watches through it (and must not close it).

#include "util/result.h"

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace napster {

struct InotifyEvent {
    int wd = -1;              // -1 for IN_Q_OVERFLOW
    std::uint32_t mask = 0;   // IN_CREATE, IN_MOVED_FROM, ...
    std::uint32_t cookie = 0; // the same for an IN_MOVED_FROM and its IN_MOVED_TO
    std::string name;         // in the watched directory; empty for the directory itself

    bool operator==(const InotifyEvent&) const = default;
};

// Splits what read(2) returned from an inotify descriptor into events. An
// event cut off at the end is dropped (the kernel never returns one).
std::vector<InotifyEvent> parse_inotify_events(std::span<const std::byte> bytes);

// The value of /proc/sys/fs/inotify/<name> ("max_user_watches"), so that an
// error can name the limit to raise; "unknown" when it cannot be read.
std::string inotify_limit(const char* name);

class InotifyWatch {
public:
    using Callback = std::function<void(const std::vector<InotifyEvent>& events)>;

    explicit InotifyWatch(uv_loop_t* loop);
    ~InotifyWatch(); // close()
    InotifyWatch(const InotifyWatch&) = delete;
    InotifyWatch& operator=(const InotifyWatch&) = delete;

    // Creates the descriptor (non-blocking, close-on-exec). The error says
    // why the kernel refused and names fs.inotify.max_user_instances.
    Status open();
    bool is_open() const { return state_ != nullptr; }
    // The descriptor, -1 unless open.
    int fd() const;

    // Watches `path` (inotify does not recurse: one watch per directory)
    // and returns the watch descriptor. The error names the path and, when
    // the kernel refuses more watches, fs.inotify.max_user_watches.
    Result<int> add(const std::string& path, std::uint32_t mask);
    // Ends a watch; IN_IGNORED follows. A watch already gone (its
    // directory was deleted) is no error.
    void remove(int wd);

    // Delivers events, a batch for each read of the descriptor, until
    // stop() or close(). The callback may call any member, also close();
    // after stop() or close() no further batch is read.
    void start(Callback on_events);
    // Stops reading; the kernel keeps queueing events (up to
    // fs.inotify.max_queued_events, then IN_Q_OVERFLOW) for a later start().
    void stop();
    bool reading() const;
    // Stops reading and closes the handle, then the descriptor. Safe to
    // call twice; the watch may be opened again afterwards.
    void close();

private:
    struct State;
    static void on_readable(uv_poll_t* poll, int status, int events);

    uv_loop_t* loop_;
    State* state_ = nullptr;
};

} // namespace napster
