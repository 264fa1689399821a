// SPDX-License-Identifier: MIT
// Descriptors received on a Unix connection (event/connection_fds.cpp):
// each is there by the time the frame it came with is handed on, and too
// many close the connection.

#include "event/connection.h"
#include "event/listener.h"
#include "loop_test_support.h"
#include "protocol/common_messages.h"
#include "temp_dir.h"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

using namespace napster;
using napster::test::TempDir;
using napster::test::TestLoop;

namespace {

// Records, per frame, how many descriptors had arrived, and takes them.
struct Recorder final : Connection::Handler {
    std::vector<std::size_t> fds_per_frame;
    std::vector<bool> took_a_directory;
    bool closed = false;
    std::string reason;

    void on_frame(Connection& connection, const protocol::Frame&) override {
        fds_per_frame.push_back(connection.received_fd_count());
        OwnedFd fd = connection.take_received_fd();
        struct stat st {};
        took_a_directory.push_back(fd && ::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode));
        connection.close_received_fds();
    }
    void on_closed(Connection&, const std::string& why) override {
        closed = true;
        reason = why;
    }
};

int connect_to(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    return fd;
}

void send_with_fds(int socket, const Bytes& bytes, const std::vector<int>& fds) {
    msghdr message{};
    iovec part{const_cast<std::byte*>(bytes.data()), bytes.size()};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
    if (!fds.empty()) {
        message.msg_control = control.data();
        message.msg_controllen = control.size();
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
    }
    REQUIRE(::sendmsg(socket, &message, MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

} // namespace

TEST_CASE("a descriptor is there with the frame it came with, and only with it") {
    TestLoop loop;
    TempDir dir;
    std::string path = dir / "control.sock";
    Recorder recorder;
    auto listener = Listener::listen_unix(loop.get(), path, "control.socket", "", [&](Connection* c) {
        c->set_handler(&recorder);
        c->start_reading();
    });
    REQUIRE_MESSAGE(listener.ok(), listener.error().message);
    int client = connect_to(path);
    int directory = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(directory >= 0);
    Bytes ping = protocol::encode_message(protocol::Ping{7});

    send_with_fds(client, ping, {directory});
    REQUIRE(loop.run_until([&] { return recorder.fds_per_frame.size() == 1; }));
    send_with_fds(client, ping, {});
    REQUIRE(loop.run_until([&] { return recorder.fds_per_frame.size() == 2; }));
    CHECK(recorder.fds_per_frame == std::vector<std::size_t>{1, 0});
    CHECK(recorder.took_a_directory == std::vector<bool>{true, false});

    // More than max_received_fds at once: the connection goes.
    std::vector<int> many(Connection::max_received_fds + 1, directory);
    send_with_fds(client, ping, many);
    REQUIRE(loop.run_until([&] { return recorder.closed; }));
    CHECK(recorder.reason == "sent more than 4 descriptors");
    CHECK(recorder.fds_per_frame.size() == 2);

    ::close(directory);
    ::close(client);
    (*listener)->close();
    CHECK(loop.close());
}
