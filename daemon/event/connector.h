// SPDX-License-Identifier: MIT
#pragma once

// Outgoing TCP connections. A host name may have several addresses (IPv6
// and IPv4, or several of each) and the first may be unreachable, so every
// address is tried in the order the resolver gives them, each with its own
// timeout, and the first that connects wins.
//
// Ownership: the user holds a Connector by value; it runs at most one
// connect at a time. What a connect has under way (the resolver request,
// the connecting handle) lives in a heap block of its own that is freed
// only when every libuv request it started has called back: a running
// getaddrinfo cannot be stopped, and a connecting handle reports
// UV_ECANCELED only once it is closed. So cancel() and the destructor may
// run at any time, and after them the callback is not called. The callback
// never runs from inside connect() or connect_to(). Loop thread only.

#include "event/connection.h"
#include "util/result.h"

#include <uv.h>

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace napster {

class Connector {
public:
    // On success the Connection is connected and belongs to the callee: no
    // handler set, not reading. On failure the error names the target and
    // what each address answered: "cannot connect to localhost:5015:
    // 127.0.0.1:5015: connection refused; [::1]:5015: no answer within 5 s".
    using Callback = std::function<void(Result<Connection*>)>;

    explicit Connector(uv_loop_t* loop);
    ~Connector(); // cancels
    Connector(const Connector&) = delete;
    Connector& operator=(const Connector&) = delete;

    // Connects to `host`, an IP literal (used as is) or a name (resolved
    // with getaddrinfo for IPv4 and IPv6 on the thread pool), giving each
    // address `timeout_per_address_ms` (0: only the kernel's own limit).
    // Cancels a connect already under way.
    void connect(const std::string& host, std::uint16_t port, std::uint64_t timeout_per_address_ms,
                 Callback callback);
    // The same for addresses already known, tried in this order.
    void connect_to(std::vector<sockaddr_storage> addresses, std::uint64_t timeout_per_address_ms,
                    Callback callback);

    // Stops the connect under way, if any; its callback is not called.
    void cancel();
    bool active() const { return attempt_ != nullptr; }

private:
    struct Attempt;
    Attempt* start(Callback callback, std::uint64_t timeout_per_address_ms);

    uv_loop_t* loop_;
    Attempt* attempt_ = nullptr;
};

} // namespace napster
