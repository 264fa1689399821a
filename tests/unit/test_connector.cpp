// SPDX-License-Identifier: MIT
// Connector against sockets of the test's own, on 127.0.0.1 and ::1 only.
// A refused address is a port bound and closed again; a silent one is a
// listener whose accept queue is full, to which Linux drops SYNs.
#include "event/connector.h"

#include "event/socket_address.h"
#include "loop_test_support.h"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>

using namespace napster;
using napster::test::TestLoop;

namespace {

class Socket {
public:
    explicit Socket(int family) : fd_(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE_MESSAGE(fd_ >= 0, std::strerror(errno));
    }
    ~Socket() { ::close(fd_); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

sockaddr_storage loopback(int family) {
    auto address = ip_address(family == AF_INET6 ? "::1" : "127.0.0.1", 0);
    REQUIRE(address);
    return *address;
}

socklen_t length_of(const sockaddr_storage& address) {
    return address.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

// Binds `socket` to the loopback address of its family, port 0, and
// returns the address the kernel gave it.
sockaddr_storage bind_loopback(const Socket& socket, int family) {
    sockaddr_storage address = loopback(family);
    REQUIRE_MESSAGE(
        ::bind(socket.fd(), reinterpret_cast<sockaddr*>(&address), length_of(address)) == 0,
        std::strerror(errno));
    socklen_t len = sizeof address;
    REQUIRE(::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &len) == 0);
    return address;
}

// An address nobody listens on: a port we bound and closed again.
sockaddr_storage refused_address(int family) {
    Socket socket(family);
    return bind_loopback(socket, family);
}

// Completes handshakes into its accept queue and accepts none.
class ListeningSocket {
public:
    explicit ListeningSocket(int family, int backlog = 16) : socket_(family) {
        address_ = bind_loopback(socket_, family);
        REQUIRE(::listen(socket_.fd(), backlog) == 0);
    }
    const sockaddr_storage& address() const { return address_; }
    std::uint16_t port() const { return address_port(address_); }
    int fd() const { return socket_.fd(); }

private:
    Socket socket_;
    sockaddr_storage address_;
};

// A listener that answers no SYN. listen(fd, 0) leaves room for one
// connection in the accept queue; once one is there and none is accepted,
// Linux drops further SYNs, so a connect to it hangs until its caller gives
// up. The filler's handshake is waited for (the queue length is in
// TCP_INFO's tcpi_unacked for a listener), so the queue is full before the
// test connects.
class SilentListener {
public:
    SilentListener() : listening_(AF_INET, 0), filler_(AF_INET) {
        sockaddr_storage address = listening_.address();
        REQUIRE(::fcntl(filler_.fd(), F_SETFL, O_NONBLOCK) == 0);
        int rc = ::connect(filler_.fd(), reinterpret_cast<sockaddr*>(&address), length_of(address));
        REQUIRE_MESSAGE((rc == 0 || errno == EINPROGRESS), std::strerror(errno));
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (queued() < 1) {
            REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                            "the filler never got queued");
            pollfd wait{filler_.fd(), POLLOUT, 0};
            ::poll(&wait, 1, 10);
        }
    }
    const sockaddr_storage& address() const { return listening_.address(); }
    std::uint16_t port() const { return listening_.port(); }

private:
    unsigned queued() const {
        tcp_info info{};
        socklen_t len = sizeof info;
        REQUIRE(::getsockopt(listening_.fd(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0);
        return info.tcpi_unacked;
    }
    ListeningSocket listening_;
    Socket filler_;
};

// What a Connector reported; closes a connection it was given, so that
// the loop can close.
struct Outcome {
    std::optional<Result<Connection*>> result;
    int calls = 0;

    Connector::Callback callback() {
        return [this](Result<Connection*> r) {
            ++calls;
            result.emplace(std::move(r));
        };
    }
    bool done() const { return result.has_value(); }
    std::string error() const {
        REQUIRE(result);
        REQUIRE_MESSAGE(!result->ok(), "connected to ", (*result).value()->remote_endpoint());
        return result->error().message;
    }
    // The other end of the connection, which is closed then.
    std::string connected_to() {
        REQUIRE(result);
        REQUIRE_MESSAGE(result->ok(), result->error().message);
        Connection* c = result->value();
        std::string endpoint = c->remote_endpoint();
        c->close("test done");
        return endpoint;
    }
};

constexpr std::uint64_t short_timeout_ms = 200;
constexpr std::uint64_t long_timeout_ms = 10'000;

} // namespace

TEST_CASE("a refused address is skipped and the next one connects") {
    TestLoop loop;
    ListeningSocket listening(AF_INET);
    Connector connector(loop.get());
    Outcome outcome;
    connector.connect_to({refused_address(AF_INET), listening.address()}, long_timeout_ms,
                         outcome.callback());
    CHECK(connector.active());
    REQUIRE(loop.run_until([&] { return outcome.done(); }));
    CHECK(!connector.active());
    CHECK(outcome.connected_to() == endpoint_text(listening.address()));
    CHECK(outcome.calls == 1);
    CHECK(loop.close());
}

TEST_CASE("when every address is refused the error names each of them") {
    TestLoop loop;
    sockaddr_storage v4 = refused_address(AF_INET);
    sockaddr_storage v6 = refused_address(AF_INET6);
    Connector connector(loop.get());
    Outcome outcome;
    connector.connect_to({v4, v6}, long_timeout_ms, outcome.callback());
    REQUIRE(loop.run_until([&] { return outcome.done(); }));
    CHECK(outcome.error() == "cannot connect: " + endpoint_text(v4) + ": connection refused; " +
                                 endpoint_text(v6) + ": connection refused");
    CHECK(loop.close());
}

TEST_CASE("an address that does not answer times out and the next one is tried") {
    TestLoop loop;
    SilentListener silent;
    ListeningSocket listening(AF_INET);
    Connector connector(loop.get());
    Outcome outcome;
    connector.connect_to({silent.address(), listening.address()}, short_timeout_ms,
                         outcome.callback());
    REQUIRE(loop.run_until([&] { return outcome.done(); }));
    CHECK(outcome.connected_to() == endpoint_text(listening.address()));
    CHECK(loop.close());
}

TEST_CASE("a literal that does not answer fails with the timeout it was given") {
    TestLoop loop;
    SilentListener silent;
    Connector connector(loop.get());
    Outcome outcome;
    connector.connect("127.0.0.1", silent.port(), short_timeout_ms, outcome.callback());
    REQUIRE(loop.run_until([&] { return outcome.done(); }));
    CHECK(outcome.error() == "cannot connect to 127.0.0.1:" + std::to_string(silent.port()) +
                                 ": no answer within 200 ms");
    CHECK(loop.close());
}

TEST_CASE("an IPv6 literal is bracketed in the error") {
    TestLoop loop;
    sockaddr_storage refused = refused_address(AF_INET6);
    Connector connector(loop.get());
    Outcome outcome;
    connector.connect("::1", address_port(refused), long_timeout_ms, outcome.callback());
    REQUIRE(loop.run_until([&] { return outcome.done(); }));
    CHECK(outcome.error() == "cannot connect to [::1]:" + std::to_string(address_port(refused)) +
                                 ": connection refused");
    CHECK(loop.close());
}

TEST_CASE("a host name is resolved and its addresses are tried in turn") {
    TestLoop loop;
    Connector connector(loop.get());

    SUBCASE("the one that listens wins") {
        // localhost may also be ::1, where nothing listens on this port.
        ListeningSocket listening(AF_INET);
        Outcome outcome;
        connector.connect("localhost", listening.port(), long_timeout_ms, outcome.callback());
        REQUIRE(loop.run_until([&] { return outcome.done(); }));
        CHECK(outcome.connected_to() == endpoint_text(listening.address()));
    }
    SUBCASE("the error names the host and what each address answered") {
        std::string port = std::to_string(address_port(refused_address(AF_INET)));
        Outcome outcome;
        connector.connect("localhost", static_cast<std::uint16_t>(std::stoi(port)), long_timeout_ms,
                          outcome.callback());
        REQUIRE(loop.run_until([&] { return outcome.done(); }));
        std::string error = outcome.error();
        CHECK(error.starts_with("cannot connect to localhost:" + port + ": "));
        CHECK(error.find("127.0.0.1:" + port + ": connection refused") != std::string::npos);
    }
    CHECK(loop.close());
}

TEST_CASE("a name that does not resolve gives a resolve error") {
    TestLoop loop;
    Connector connector(loop.get());
    Outcome outcome;
    // .invalid never resolves (RFC 2606).
    connector.connect("nonexistent.invalid", 5015, long_timeout_ms, outcome.callback());
    REQUIRE(loop.run_until([&] { return outcome.done(); }));
    CHECK(outcome.error().starts_with("cannot resolve nonexistent.invalid: "));
    CHECK(loop.close());
}

TEST_CASE("the callback never runs from inside connect_to, even when nothing can be tried") {
    TestLoop loop;
    Connector connector(loop.get());
    Outcome outcome;

    SUBCASE("no address at all") {
        connector.connect_to({}, long_timeout_ms, outcome.callback());
        CHECK(outcome.calls == 0);
        REQUIRE(loop.run_until([&] { return outcome.done(); }));
        CHECK(outcome.error() == "cannot connect: no address to try");
    }
    SUBCASE("an address libuv refuses before connecting") {
        sockaddr_storage not_ip{};
        not_ip.ss_family = AF_UNIX;
        connector.connect_to({not_ip}, long_timeout_ms, outcome.callback());
        CHECK(outcome.calls == 0);
        REQUIRE(loop.run_until([&] { return outcome.done(); }));
        CHECK(outcome.error() == "cannot connect to an address of family 1: invalid argument");
    }
    CHECK(outcome.calls == 1);
    CHECK(loop.close());
}

TEST_CASE("cancel while connecting: no callback, nothing left open") {
    TestLoop loop;
    SilentListener silent;
    Connector connector(loop.get());
    Outcome outcome;
    connector.connect_to({silent.address()}, long_timeout_ms, outcome.callback());

    SUBCASE("right away") {}
    SUBCASE("after the loop has run") {
        uv_run(loop.get(), UV_RUN_NOWAIT);
    }

    REQUIRE(connector.active());
    connector.cancel();
    CHECK(!connector.active());
    connector.cancel(); // again: nothing to do
    CHECK(loop.close());
    CHECK(outcome.calls == 0);
}

TEST_CASE("cancel while resolving: no callback, nothing left open") {
    TestLoop loop;
    Connector connector(loop.get());
    Outcome outcome;
    // Some of these are cancelled before a pool thread takes the request,
    // some while getaddrinfo runs; either way its callback must find the
    // attempt cancelled, not freed (AddressSanitizer would say so).
    for (int i = 0; i < 20; ++i) {
        connector.connect("localhost", 5015, long_timeout_ms, outcome.callback());
        for (int turns = 0; turns < i % 3; ++turns)
            uv_run(loop.get(), UV_RUN_NOWAIT);
        connector.cancel();
    }
    CHECK(loop.close());
    CHECK(outcome.calls == 0);
}

TEST_CASE("a Connector destroyed with work in flight calls back no one") {
    TestLoop loop;
    SilentListener silent;
    Outcome outcome;
    {
        Connector resolving(loop.get());
        resolving.connect("localhost", 5015, long_timeout_ms, outcome.callback());
        Connector connecting(loop.get());
        connecting.connect_to({silent.address()}, long_timeout_ms, outcome.callback());
        Connector failing(loop.get());
        failing.connect_to({}, long_timeout_ms, outcome.callback());
    }
    CHECK(loop.close());
    CHECK(outcome.calls == 0);
}

TEST_CASE("a new connect replaces the one under way") {
    TestLoop loop;
    SilentListener silent;
    ListeningSocket listening(AF_INET);
    Connector connector(loop.get());
    Outcome first;
    Outcome second;
    connector.connect_to({silent.address()}, long_timeout_ms, first.callback());
    connector.connect_to({listening.address()}, long_timeout_ms, second.callback());
    REQUIRE(loop.run_until([&] { return second.done(); }));
    CHECK(second.connected_to() == endpoint_text(listening.address()));
    CHECK(loop.close());
    CHECK(first.calls == 0);
}

TEST_CASE("the callback may destroy its Connector or start another connect") {
    TestLoop loop;
    ListeningSocket listening(AF_INET);
    std::optional<Connector> connector(std::in_place, loop.get());
    Outcome again;

    SUBCASE("destroy") {
        connector->connect_to({refused_address(AF_INET)}, long_timeout_ms,
                              [&](Result<Connection*> r) {
                                  CHECK(!r.ok());
                                  connector.reset();
                              });
        REQUIRE(loop.run_until([&] { return !connector; }));
    }
    SUBCASE("connect again") {
        connector->connect_to(
            {refused_address(AF_INET)}, long_timeout_ms, [&](Result<Connection*> r) {
                CHECK(!r.ok());
                CHECK(!connector->active());
                connector->connect_to({listening.address()}, long_timeout_ms, again.callback());
            });
        REQUIRE(loop.run_until([&] { return again.done(); }));
        CHECK(again.connected_to() == endpoint_text(listening.address()));
    }
    connector.reset();
    CHECK(loop.close());
}
