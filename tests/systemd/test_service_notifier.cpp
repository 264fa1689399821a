// SPDX-License-Identifier: MIT
// event/service_notifier: parsing $NOTIFY_SOCKET, $WATCHDOG_*, $LISTEN_*,
// the sd_notify datagrams, and one end-to-end exchange over an abstract
// Unix socket (no file system, no network, no clock).
#include <doctest/doctest.h>

#include "event/service_notifier.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace napster;

namespace {

std::string sun_path_of(const NotifyAddress& a) {
    std::size_t header = offsetof(sockaddr_un, sun_path);
    return std::string(a.address.sun_path, a.length - header);
}

// A datagram socket bound to an abstract name unique to this process.
struct Receiver {
    int fd = -1;
    std::string name;

    Receiver() {
        name = "@napster-test-notify-" + std::to_string(getpid());
        auto address = parse_notify_socket(name);
        REQUIRE(address);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        REQUIRE(bind(fd, reinterpret_cast<const sockaddr*>(&address->address), address->length) == 0);
    }
    ~Receiver() { ::close(fd); }

    // The next queued datagram, "" when none is waiting.
    std::string next() {
        char buffer[512];
        ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    }
};

} // namespace

TEST_CASE("NOTIFY_SOCKET: an absolute path keeps its NUL inside the length") {
    auto a = parse_notify_socket("/run/systemd/notify");
    REQUIRE(a);
    CHECK_FALSE(a->abstract());
    CHECK(a->address.sun_family == AF_UNIX);
    CHECK(sun_path_of(*a) == std::string("/run/systemd/notify", 20));
}

TEST_CASE("NOTIFY_SOCKET: @name is abstract, a leading NUL and no terminator") {
    auto a = parse_notify_socket("@/org/freedesktop/systemd1/notify/123");
    REQUIRE(a);
    CHECK(a->abstract());
    CHECK(sun_path_of(*a) == std::string("\0/org/freedesktop/systemd1/notify/123", 37));
}

TEST_CASE("NOTIFY_SOCKET: values we cannot use are refused") {
    CHECK_FALSE(parse_notify_socket(""));
    CHECK_FALSE(parse_notify_socket("relative/notify"));
    CHECK_FALSE(parse_notify_socket("@"));
    CHECK_FALSE(parse_notify_socket("vsock:2:1234"));
    // sun_path holds 108 bytes: a path needs one for its NUL, a name not.
    CHECK(parse_notify_socket("/" + std::string(106, 'a')));
    CHECK_FALSE(parse_notify_socket("/" + std::string(107, 'a')));
    CHECK(parse_notify_socket("@" + std::string(107, 'a')));
    CHECK_FALSE(parse_notify_socket("@" + std::string(108, 'a')));
    CHECK_FALSE(parse_notify_socket(std::string("/run/a\0b", 8)));
}

TEST_CASE("WATCHDOG_USEC applies when WATCHDOG_PID is unset or names us") {
    CHECK(parse_watchdog("30000000", nullptr, 42) == std::optional<std::uint64_t>(30'000'000));
    CHECK(parse_watchdog("30000000", "42", 42) == std::optional<std::uint64_t>(30'000'000));
    CHECK_FALSE(parse_watchdog("30000000", "43", 42));
    CHECK_FALSE(parse_watchdog("30000000", "x", 42));
    CHECK_FALSE(parse_watchdog(nullptr, nullptr, 42));
    CHECK_FALSE(parse_watchdog("0", nullptr, 42));
    CHECK_FALSE(parse_watchdog("-5", nullptr, 42));
    CHECK_FALSE(parse_watchdog("10s", nullptr, 42));
    CHECK_FALSE(parse_watchdog("", nullptr, 42));
}

TEST_CASE("LISTEN_FDS counts only when LISTEN_PID is this process") {
    CHECK(parse_listen_fds("42", "1", 42) == 1);
    CHECK(parse_listen_fds("42", "3", 42) == 3);
    CHECK(parse_listen_fds("41", "1", 42) == 0); // meant for our parent
    CHECK(parse_listen_fds(nullptr, "1", 42) == 0);
    CHECK(parse_listen_fds("42", nullptr, 42) == 0);
    CHECK(parse_listen_fds("42", "0", 42) == 0);
    CHECK(parse_listen_fds("42", "-1", 42) == 0);
    CHECK(parse_listen_fds("42", "1x", 42) == 0);
    CHECK(parse_listen_fds(" 42", "1", 42) == 0);
    CHECK(parse_listen_fds("42", "99999999999", 42) == 0);
}

TEST_CASE("the datagrams, one KEY=VALUE a line") {
    CHECK(notify_ready_message() == "READY=1");
    CHECK(notify_stopping_message() == "STOPPING=1");
    CHECK(notify_watchdog_message() == "WATCHDOG=1");
    CHECK(notify_status_message("3 peers, 12,408 files") == "STATUS=3 peers, 12,408 files");
    // A newline would start a field of its own ("READY=1" smuggled in).
    CHECK(notify_status_message("a\nREADY=1") == "STATUS=a READY=1");
    CHECK(notify_reloading_message(123456789) == "RELOADING=1\nMONOTONIC_USEC=123456789");
}

TEST_CASE("take_systemd_listen_fds clears the variables even when they are not ours") {
    setenv("LISTEN_PID", "1", 1);
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_FDNAMES", "napindexd.socket", 1);
    CHECK(take_systemd_listen_fds() == 0);
    CHECK(std::getenv("LISTEN_PID") == nullptr);
    CHECK(std::getenv("LISTEN_FDS") == nullptr);
    CHECK(std::getenv("LISTEN_FDNAMES") == nullptr);
}

TEST_CASE("ServiceNotifier does nothing without NOTIFY_SOCKET") {
    unsetenv("NOTIFY_SOCKET");
    setenv("WATCHDOG_USEC", "1000000", 1);
    uv_loop_t loop;
    uv_loop_init(&loop);
    {
        Logger log;
        ServiceNotifier notifier(&loop, log);
        CHECK_FALSE(notifier.enabled());
        CHECK(notifier.watchdog_usec() == 0);
        notifier.ready();
        notifier.watch_status([] { return std::string("x"); }, 1000);
        notifier.stopping();
        // No timer was left running: the loop has nothing to wait for.
        CHECK(uv_run(&loop, UV_RUN_NOWAIT) == 0);
    }
    CHECK(std::getenv("WATCHDOG_USEC") == nullptr);
    CHECK(drain_and_close_loop(&loop));
}

TEST_CASE("ServiceNotifier sends READY, STATUS on change, RELOADING and STOPPING in order") {
    Receiver receiver;
    setenv("NOTIFY_SOCKET", receiver.name.c_str(), 1);
    setenv("WATCHDOG_USEC", "60000000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    uv_loop_t loop;
    uv_loop_init(&loop);
    {
        Logger log;
        ServiceNotifier notifier(&loop, log);
        REQUIRE(notifier.enabled());
        CHECK(notifier.watchdog_usec() == 60'000'000);
        // Read once, then gone: a child must not notify in our name.
        CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);
        CHECK(std::getenv("WATCHDOG_USEC") == nullptr);
        CHECK(std::getenv("WATCHDOG_PID") == nullptr);

        notifier.ready();
        CHECK(receiver.next() == "READY=1");

        std::string summary = "0 peers, 0 files";
        notifier.watch_status([&summary] { return summary; }, 1000);
        CHECK(receiver.next() == "STATUS=0 peers, 0 files");
        notifier.status("0 peers, 0 files");
        CHECK(receiver.next().empty()); // unchanged: not sent again
        notifier.status("1 peer, 10 files");
        CHECK(receiver.next() == "STATUS=1 peer, 10 files");

        notifier.reloading();
        std::string reloading = receiver.next();
        CHECK(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="));
        CHECK(reloading.size() > std::strlen("RELOADING=1\nMONOTONIC_USEC="));
        notifier.ready();
        CHECK(receiver.next() == "READY=1");

        notifier.stopping();
        CHECK(receiver.next() == "STOPPING=1");
        // After STOPPING=1 nothing else goes out, and no timer holds the loop.
        notifier.ready();
        notifier.reloading();
        notifier.status("2 peers, 20 files");
        CHECK(receiver.next().empty());
        CHECK(uv_run(&loop, UV_RUN_NOWAIT) == 0);
    }
    CHECK(drain_and_close_loop(&loop));
}
