// SPDX-License-Identifier: MIT
#pragma once

// Listening sockets: TCP on an address and port, or a Unix socket path.
// Each accepted stream becomes a Connection handed to the callback, which
// takes ownership of it.
//
// Ownership: the listen_* and adopt_* functions return a Listener on the
// heap that owns its handle; whoever holds the pointer ends it with close()
// (safe to call twice), never with delete: the destructor is private and
// the Listener is freed in uv_close's callback. On failure they close it
// themselves. Loop thread only.

#include "event/connection.h"
#include "util/result.h"

#include <uv.h>

#include <functional>
#include <string>

namespace napster {

class Listener {
public:
    using AcceptCallback = std::function<void(Connection*)>;

    // `config_key` and `config_source` name where the port or path came
    // from, for errors a user can act on ("port 6020 is in use (upload.port
    // in /etc/napster/peer.toml)").
    static Result<Listener*> listen_tcp(uv_loop_t* loop, const std::string& address,
                                        std::uint16_t port, const std::string& config_key,
                                        const std::string& config_source, AcceptCallback on_accept);

    // Adopts a TCP socket that is already bound and listening, inherited
    // from systemd's socket activation (fd 3, see sd_listen_fds(3)). Fails
    // when `fd` is not a listening IPv4/IPv6 stream socket. `origin` names
    // where the fd came from, for errors ("fd 3 from systemd").
    static Result<Listener*> adopt_tcp(uv_loop_t* loop, int fd, const std::string& origin,
                                       AcceptCallback on_accept);

    // Replaces a stale socket file (one nobody answers on); refuses to
    // replace a live one or a file that is not a socket. Creates the parent
    // directory if missing, mode 0755 when run as root and 0700 otherwise,
    // and refuses a parent owned by anyone but us or root. Makes the socket
    // 0660, so that members of its group may connect too.
    static Result<Listener*> listen_unix(uv_loop_t* loop, const std::string& path,
                                         const std::string& config_key,
                                         const std::string& config_source, AcceptCallback on_accept);

    // Closes the handle (and unlinks the socket file of a Unix listener);
    // the Listener is freed in uv_close's callback. Safe to call again
    // until then.
    void close();

    // The port actually bound: the configured one or, for port 0, the
    // kernel's pick.
    std::uint16_t port() const { return port_; }
    const std::string& address() const { return address_; }
    // "127.0.0.1:5015", "[::1]:5015" or the socket path.
    std::string endpoint() const;

private:
    Listener() = default;
    ~Listener() = default;
    static void on_connection(uv_stream_t* server, int status);
    static void on_close(uv_handle_t* handle);

    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } handle_{};
    Connection::Kind kind_ = Connection::Kind::tcp;
    AcceptCallback on_accept_;
    std::string address_;
    std::uint16_t port_ = 0;
};

} // namespace napster
