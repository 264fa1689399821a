// SPDX-License-Identifier: MIT
// napctl's one mapping from a wire ERROR to its exit status and message
// (ctl/control_client.cpp: error_reply_failure), and which control sockets
// ControlClient::connect tries.

#include "ctl/control_client.h"
#include "temp_dir.h"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

using namespace napster;
using namespace napster::ctl;

TEST_CASE("not_connected is exit status 4, its text shown once as napeerd wrote it") {
    protocol::ErrorMessage error{ErrorCode::not_connected,
                                 "napeerd is not connected to the index: cannot connect to 127.0.0.1:5015: "
                                 "connection refused"};
    Failure f = error_reply_failure(error);
    CHECK(f.status == exit_not_connected);
    CHECK(f.status == 4);
    CHECK(f.message == error.text);
}

TEST_CASE("version_mismatch is exit status 3: this napeerd cannot be talked to") {
    Failure f = error_reply_failure({ErrorCode::version_mismatch, "napeerd speaks protocol version 2, the client version 3"});
    CHECK(f.status == exit_unreachable);
    CHECK(f.message == "napeerd speaks protocol version 2, the client version 3");
}

TEST_CASE("permission_denied is exit status 3: napeerd will not talk to this caller") {
    Failure f = error_reply_failure({ErrorCode::permission_denied, "permission denied: napeerd runs as uid 0"});
    CHECK(f.status == exit_unreachable);
}

TEST_CASE("every other code, known or not, is exit status 1") {
    for (std::uint16_t code : {1, 3, 4, 5, 6, 7, 8, 10, 99}) {
        CAPTURE(code);
        Failure f = error_reply_failure({static_cast<ErrorCode>(code), "it failed"});
        CHECK(f.status == exit_failure);
        CHECK(f.message == "it failed");
    }
}

TEST_CASE("an ERROR without text is named by its code") {
    CHECK(error_reply_failure({ErrorCode::busy, ""}).message == "napeerd: busy");
    CHECK(error_reply_failure({ErrorCode::not_connected, ""}).message == "napeerd: not connected");
    CHECK(error_reply_failure({ErrorCode::permission_denied, ""}).message == "napeerd: permission denied");
}

TEST_CASE("hostile bytes in an ERROR text are escaped") {
    Failure f = error_reply_failure({ErrorCode::io_error, std::string("bad\x1b[2Jname\n", 12)});
    CHECK(f.message.find('\x1b') == std::string::npos);
    CHECK(f.message.find('\n') == std::string::npos);
}

namespace {

// A socket file nothing listens on any more: connect() gets ECONNREFUSED.
void make_stale_socket(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof address.sun_path);
    std::memcpy(address.sun_path, path.data(), path.size());
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    ::close(fd);
}

} // namespace

TEST_CASE("one socket that is not there: named with what connect answered") {
    test::TempDir dir;
    std::vector<std::string> paths{dir / "napeerd.sock"};
    auto client = ControlClient::connect(paths, std::chrono::milliseconds(2000));
    REQUIRE(!client);
    CHECK(client.failure().status == exit_unreachable);
    CHECK(client.failure().message == "cannot reach napeerd at " + paths[0] + ": No such file or directory");
}

TEST_CASE("no napeerd at any candidate: every path is named with its answer, on one line") {
    // Regression (issue 12): napctl tried only the per-user socket, so a
    // member of the napster group never reached the system daemon.
    test::TempDir dir;
    std::vector<std::string> paths{dir / "user/napster/napeerd.sock", dir / "stale.sock", dir / "system.sock"};
    make_stale_socket(paths[1]);
    auto client = ControlClient::connect(paths, std::chrono::milliseconds(2000));
    REQUIRE(!client);
    CHECK(client.failure().status == exit_unreachable);
    CHECK(client.failure().message == "cannot reach napeerd: tried " + paths[0] + " (No such file or directory), " +
                                          paths[1] + " (Connection refused), " + paths[2] +
                                          " (No such file or directory)");
}

TEST_CASE("a socket where something listens but does not answer ends the search") {
    // Whatever listens there is the napeerd meant, and its silence the
    // answer: napctl must not go on to talk to another daemon.
    test::TempDir dir;
    std::vector<std::string> paths{dir / "busy.sock", dir / "other.sock"};
    int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(listener >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, paths[0].data(), paths[0].size());
    REQUIRE(::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 1) == 0);
    // Accepted by the kernel but never answered: the handshake times out.
    auto client = ControlClient::connect(paths, std::chrono::milliseconds(200));
    ::close(listener);
    REQUIRE(!client);
    CHECK(client.failure().status == exit_unreachable);
    CHECK(client.failure().message.starts_with("cannot reach napeerd at " + paths[0] + ": handshake failed"));
    CHECK(client.failure().message.find("other.sock") == std::string::npos);
}

TEST_CASE("unreachable_text: one attempt reads as before, several as a list") {
    std::vector<SocketAttempt> one{{"/run/napster/napeerd.sock", "Permission denied"}};
    CHECK(unreachable_text(one) == "cannot reach napeerd at /run/napster/napeerd.sock: Permission denied");
    std::vector<SocketAttempt> two{{"/run/user/1001/napster/napeerd.sock", "No such file or directory"},
                                   {"/run/napster/napeerd.sock", "Permission denied"}};
    CHECK(unreachable_text(two) == "cannot reach napeerd: tried /run/user/1001/napster/napeerd.sock "
                                   "(No such file or directory), /run/napster/napeerd.sock (Permission denied)");
    std::vector<SocketAttempt> hostile{{"/tmp/a\nb", "x"}, {"/tmp/c", "y"}};
    CHECK(unreachable_text(hostile).find('\n') == std::string::npos);
}
