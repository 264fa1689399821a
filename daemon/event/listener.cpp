// SPDX-License-Identifier: MIT
#include "event/listener.h"

#include "event/handle_close.h"
#include "event/socket_address.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace napster {
namespace {

std::string where(const std::string& key, const std::string& source) {
    return source.empty() ? fmt::format("{}, built-in default", key)
                          : fmt::format("{} in {}", key, source);
}

// Whether something answers on the Unix socket at `path`.
bool unix_socket_is_live(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), std::min(path.size(), sizeof addr.sun_path - 1));
    bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return live;
}

struct BoundAddress {
    std::string address; // "0.0.0.0", "::"
    std::uint16_t port = 0;
};

BoundAddress bound_address(const uv_tcp_t* tcp) {
    sockaddr_storage bound{};
    int len = sizeof bound;
    if (uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &len) != 0) return {};
    return {address_text(bound), address_port(bound)};
}

int socket_option(int fd, int option) {
    int value = 0;
    socklen_t len = sizeof value;
    if (getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0) return -1;
    return value;
}

} // namespace

Result<Listener*> Listener::listen_tcp(uv_loop_t* loop, const std::string& address,
                                       std::uint16_t port, const std::string& config_key,
                                       const std::string& config_source, AcceptCallback on_accept) {
    std::optional<sockaddr_storage> addr = ip_address(address, port);
    if (!addr) return make_error(ErrorCode::invalid_argument, fmt::format("'{}' is not an IP address ({})", address, where(config_key, config_source)));

    auto* self = new Listener;
    self->kind_ = Connection::Kind::tcp;
    self->on_accept_ = std::move(on_accept);
    self->address_ = address;
    uv_tcp_init(loop, &self->handle_.tcp);
    self->handle_.tcp.data = self;
    // libuv reports EADDRINUSE from bind or, on Linux, from listen.
    int rc = uv_tcp_bind(&self->handle_.tcp, reinterpret_cast<const sockaddr*>(&*addr), 0);
    if (rc == 0)
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(&self->handle_.tcp), 128, on_connection);
    if (rc != 0) {
        self->close();
        if (rc == UV_EADDRINUSE)
            return make_error(ErrorCode::busy, fmt::format("port {} is in use ({})", port, where(config_key, config_source)));
        if (rc == UV_EACCES)
            return make_error(ErrorCode::permission_denied, fmt::format("port {} needs privileges this process lacks ({})", port,
                                          where(config_key, config_source)));
        return make_error(ErrorCode::io_error, fmt::format("cannot listen on {}:{}: {} ({})", address, port, uv_strerror(rc),
                                      where(config_key, config_source)));
    }
    self->port_ = bound_address(&self->handle_.tcp).port;
    return self;
}

Result<Listener*> Listener::adopt_tcp(uv_loop_t* loop, int fd, const std::string& origin,
                                      AcceptCallback on_accept) {
    // Check before libuv owns it: uv_tcp_open takes any fd.
    int domain = socket_option(fd, SO_DOMAIN);
    if (domain < 0)
        return make_error(ErrorCode::invalid_argument, fmt::format("{} is not a socket: {}", origin, std::strerror(errno)));
    if ((domain != AF_INET && domain != AF_INET6) || socket_option(fd, SO_TYPE) != SOCK_STREAM)
        return make_error(ErrorCode::invalid_argument, fmt::format("{} is not a TCP socket (ListenStream= takes a port or an address and port)", origin));
    if (socket_option(fd, SO_ACCEPTCONN) != 1)
        return make_error(ErrorCode::invalid_argument, fmt::format("{} is a TCP socket that is not listening", origin));

    auto* self = new Listener;
    self->kind_ = Connection::Kind::tcp;
    self->on_accept_ = std::move(on_accept);
    uv_tcp_init(loop, &self->handle_.tcp);
    self->handle_.tcp.data = self;
    int rc = uv_tcp_open(&self->handle_.tcp, fd);
    // listen() again on a listening socket only sets the backlog; libuv
    // needs the call to start watching it. SOMAXCONN (the kernel caps it at
    // net.core.somaxconn) keeps the queue systemd set up by default.
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&self->handle_.tcp), SOMAXCONN, on_connection);
    if (rc != 0) {
        self->close();
        return make_error(ErrorCode::io_error, fmt::format("cannot listen on {}: {}", origin, uv_strerror(rc)));
    }
    BoundAddress bound = bound_address(&self->handle_.tcp);
    self->address_ = bound.address;
    self->port_ = bound.port;
    return self;
}

Result<Listener*> Listener::listen_unix(uv_loop_t* loop, const std::string& path,
                                        const std::string& config_key,
                                        const std::string& config_source, AcceptCallback on_accept) {
    std::string parent = path.substr(0, path.rfind('/'));
    // Root's socket dir (/run/napster) is world-readable; a user's fallback
    // in /tmp must be private, and one that somebody else made is refused:
    // they could replace our socket under us.
    mode_t mode = geteuid() == 0 ? 0755 : 0700;
    if (!parent.empty() && mkdir(parent.c_str(), mode) != 0 && errno != EEXIST)
        return make_error(ErrorCode::io_error, fmt::format("cannot create {}: {} ({})", parent, std::strerror(errno),
                                      where(config_key, config_source)));
    struct stat st {};
    if (!parent.empty() && lstat(parent.c_str(), &st) == 0 && st.st_uid != geteuid() && st.st_uid != 0)
        return make_error(ErrorCode::permission_denied, fmt::format("{} belongs to uid {}, not to us; refusing to put the socket there ({})",
                                      parent, st.st_uid, where(config_key, config_source)));
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return make_error(ErrorCode::invalid_argument, fmt::format("{} exists and is not a socket ({})", path, where(config_key, config_source)));
        if (unix_socket_is_live(path))
            return make_error(ErrorCode::busy, fmt::format("{} is in use by another napeerd ({})", path, where(config_key, config_source)));
        unlink(path.c_str());
    }

    auto* self = new Listener;
    self->kind_ = Connection::Kind::pipe;
    self->on_accept_ = std::move(on_accept);
    self->address_ = path;
    uv_pipe_init(loop, &self->handle_.pipe, 0);
    self->handle_.pipe.data = self;
    int rc = uv_pipe_bind(&self->handle_.pipe, path.c_str());
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&self->handle_.pipe), 16, on_connection);
    if (rc != 0) {
        self->close();
        return make_error(ErrorCode::io_error, fmt::format("cannot listen on {}: {} ({})", path, uv_strerror(rc), where(config_key, config_source)));
    }
    // Group members may drive napeerd too (e.g. admins in group napster);
    // SO_PEERCRED decides per connection.
    chmod(path.c_str(), 0660);
    return self;
}

void Listener::on_connection(uv_stream_t* server, int status) {
    auto* self = static_cast<Listener*>(server->data);
    if (status < 0 || uv_is_closing(reinterpret_cast<uv_handle_t*>(server))) return;
    Connection* c = Connection::create(server->loop, self->kind_);
    if (uv_accept(server, c->stream()) != 0) {
        c->close("accept failed");
        return;
    }
    self->on_accept_(c);
}

void Listener::close() {
    auto* handle = reinterpret_cast<uv_handle_t*>(&handle_);
    // Unlink once: a second close must not remove a socket file that a
    // new listener has bound at the same path since.
    if (uv_is_closing(handle)) return;
    if (kind_ == Connection::Kind::pipe && !address_.empty()) unlink(address_.c_str());
    close_handle(handle, on_close);
}

// The destructor is private (a Listener lives only on the heap), so the
// generic close_and_delete cannot name it.
void Listener::on_close(uv_handle_t* handle) { delete static_cast<Listener*>(handle->data); }

std::string Listener::endpoint() const {
    if (kind_ == Connection::Kind::pipe) return address_;
    return endpoint_text(address_, port_);
}

} // namespace napster
