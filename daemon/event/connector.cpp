// SPDX-License-Identifier: MIT
#include "event/connector.h"

#include "event/socket_address.h"
#include "event/timer.h"

#include <netdb.h>

#include <fmt/format.h>

#include <cstring>
#include <utility>

namespace napster {
namespace {

std::string duration_text(std::uint64_t ms) {
    if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
    return fmt::format("{} ms", ms);
}

} // namespace

// One connect from start to finish. Its owner forgets it on cancel (owner
// becomes null); it deletes itself once nothing libuv holds refers to it:
// right away when finished, or after the last pending callback when
// cancelled.
struct Connector::Attempt {
    Attempt(uv_loop_t* loop, Connector* owner, Callback callback, std::uint64_t timeout_ms)
        : loop(loop), owner(owner), callback(std::move(callback)), timeout_ms(timeout_ms),
          timer(loop) {
        resolve_req.data = this;
        connect_req.data = this;
    }

    void resolve(const std::string& name, std::uint16_t port);
    static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* result);
    void try_next();
    static void on_connected(uv_connect_t* req, int status);
    void on_timeout();
    void note_failure(const sockaddr_storage& address, const std::string& why);
    std::string connect_failure() const;
    void fail_later(std::string message);
    void finish(Result<Connection*> result);
    void release_if_idle();
    bool cancelled() const { return owner == nullptr; }

    uv_loop_t* loop;
    Connector* owner;
    Callback callback;
    std::uint64_t timeout_ms;
    std::string host;   // as given to connect(), for "cannot resolve"
    std::string target; // "localhost:5015", the sole address, or empty
    std::vector<sockaddr_storage> addresses;
    std::size_t next = 0; // the next address to try
    std::vector<std::string> failures;

    uv_getaddrinfo_t resolve_req{};
    bool resolving = false;
    uv_connect_t connect_req{};
    bool connecting = false;
    // The handle being connected; null once closed (by a timeout or a
    // cancel) while its connect callback is still to come.
    Connection* connection = nullptr;
    // The per-address timeout; it also defers a failure found inside
    // connect(), so that the callback never runs from there.
    Timer timer;
};

void Connector::Attempt::resolve(const std::string& name, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    // No IPv6 addresses on a host without IPv6 (and no IPv4 ones on an
    // IPv6-only host): they could only fail.
    hints.ai_flags = AI_ADDRCONFIG;
    std::string service = std::to_string(port);
    resolving = true;
    int rc = uv_getaddrinfo(loop, &resolve_req, on_resolved, name.c_str(), service.c_str(), &hints);
    if (rc != 0) {
        resolving = false;
        fail_later(fmt::format("cannot resolve {}: {}", name, uv_strerror(rc)));
    }
}

void Connector::Attempt::on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* result) {
    auto* self = static_cast<Attempt*>(req->data);
    self->resolving = false;
    for (addrinfo* ai = status == 0 ? result : nullptr; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        sockaddr_storage address{};
        std::memcpy(&address, ai->ai_addr, std::min<std::size_t>(ai->ai_addrlen, sizeof address));
        self->addresses.push_back(address);
    }
    uv_freeaddrinfo(result);
    if (self->cancelled()) return self->release_if_idle();
    if (status != 0)
        return self->finish(
            make_error(ErrorCode::not_found, fmt::format("cannot resolve {}: {}", self->host, uv_strerror(status))));
    if (self->addresses.empty())
        return self->finish(make_error(ErrorCode::not_found,
            fmt::format("cannot resolve {}: it has no IPv4 or IPv6 address", self->host)));
    self->try_next();
}

void Connector::Attempt::try_next() {
    while (next < addresses.size()) {
        const sockaddr_storage& address = addresses[next++];
        connection = Connection::create(loop, Connection::Kind::tcp);
        int rc = uv_tcp_connect(&connect_req, reinterpret_cast<uv_tcp_t*>(connection->stream()),
                                reinterpret_cast<const sockaddr*>(&address), on_connected);
        if (rc == 0) {
            connecting = true;
            if (timeout_ms > 0) timer.start_once(timeout_ms, [this] { on_timeout(); });
            return;
        }
        // Refused before it started: no IPv6 in this host, say.
        note_failure(address, uv_strerror(rc));
        std::exchange(connection, nullptr)->close("connect failed");
    }
    fail_later(connect_failure());
}

void Connector::Attempt::on_connected(uv_connect_t* req, int status) {
    auto* self = static_cast<Attempt*>(req->data);
    self->connecting = false;
    Connection* connection = std::exchange(self->connection, nullptr);
    if (self->cancelled()) {
        // cancel() closed the handle already, so this is UV_ECANCELED.
        if (connection) connection->close("connect cancelled");
        return self->release_if_idle();
    }
    self->timer.stop();
    if (status == 0 && connection) return self->finish(connection);
    // A timeout closed the handle (hence UV_ECANCELED) and noted why.
    if (connection) {
        self->note_failure(self->addresses[self->next - 1], uv_strerror(status));
        connection->close("connect failed");
    }
    self->try_next();
}

void Connector::Attempt::on_timeout() {
    note_failure(addresses[next - 1], "no answer within " + duration_text(timeout_ms));
    // Closing a connecting handle cancels the connect: on_connected runs
    // with UV_ECANCELED and moves on to the next address.
    std::exchange(connection, nullptr)->close("no answer");
}

void Connector::Attempt::note_failure(const sockaddr_storage& address, const std::string& why) {
    std::string endpoint = endpoint_text(address);
    failures.push_back(endpoint == target ? why : endpoint + ": " + why);
}

std::string Connector::Attempt::connect_failure() const {
    std::string why;
    for (const auto& f : failures)
        why += (why.empty() ? "" : "; ") + f;
    if (why.empty()) why = "no address to try";
    if (target.empty()) return "cannot connect: " + why;
    return fmt::format("cannot connect to {}: {}", target, why);
}

void Connector::Attempt::fail_later(std::string message) {
    timer.start_once(0, [this, message = std::move(message)] { finish(make_error(ErrorCode::io_error, message)); });
}

void Connector::Attempt::finish(Result<Connection*> result) {
    Callback done = std::move(callback);
    owner->attempt_ = nullptr;
    delete this;
    // Last: the callback may destroy the Connector or start another connect.
    done(std::move(result));
}

void Connector::Attempt::release_if_idle() {
    if (!resolving && !connecting) delete this;
}

Connector::Connector(uv_loop_t* loop) : loop_(loop) {}

Connector::~Connector() {
    cancel();
}

Connector::Attempt* Connector::start(Callback callback, std::uint64_t timeout_per_address_ms) {
    cancel();
    attempt_ = new Attempt(loop_, this, std::move(callback), timeout_per_address_ms);
    return attempt_;
}

void Connector::connect(const std::string& host, std::uint16_t port,
                        std::uint64_t timeout_per_address_ms, Callback callback) {
    Attempt* attempt = start(std::move(callback), timeout_per_address_ms);
    attempt->host = host;
    attempt->target = endpoint_text(host, port);
    // A literal needs no resolver, and so no thread pool: a share walk
    // that keeps the pool busy must not delay it.
    if (auto literal = ip_address(host, port)) {
        attempt->addresses.push_back(*literal);
        attempt->try_next();
    } else {
        attempt->resolve(host, port);
    }
}

void Connector::connect_to(std::vector<sockaddr_storage> addresses,
                           std::uint64_t timeout_per_address_ms, Callback callback) {
    Attempt* attempt = start(std::move(callback), timeout_per_address_ms);
    if (addresses.size() == 1) attempt->target = endpoint_text(addresses.front());
    attempt->addresses = std::move(addresses);
    attempt->try_next();
}

void Connector::cancel() {
    Attempt* attempt = std::exchange(attempt_, nullptr);
    if (!attempt) return;
    attempt->owner = nullptr;
    // Drop the callback now: what it captured may be going away with us.
    attempt->callback = nullptr;
    attempt->timer.stop();
    // Fails harmlessly once the resolver is running; its callback still
    // comes and finds the attempt cancelled.
    if (attempt->resolving) uv_cancel(reinterpret_cast<uv_req_t*>(&attempt->resolve_req));
    if (attempt->connection)
        std::exchange(attempt->connection, nullptr)->close("connect cancelled");
    attempt->release_if_idle();
}

} // namespace napster
