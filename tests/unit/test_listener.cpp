// SPDX-License-Identifier: MIT
#include "event/listener.h"

#include "loop_test_support.h"
#include "temp_dir.h"

#include <doctest/doctest.h>

#include <sys/stat.h>

using namespace napster;
using napster::test::TempDir;
using napster::test::TestLoop;

TEST_CASE("a TCP listener on port 0 reports the kernel's port and may be closed twice") {
    TestLoop loop;
    auto listener = Listener::listen_tcp(loop.get(), "127.0.0.1", 0, "listen.port", "",
                                         [](Connection* c) { c->close("not wanted"); });
    REQUIRE_MESSAGE(listener.ok(), listener.error().message);
    CHECK((*listener)->port() != 0);
    CHECK((*listener)->endpoint() == "127.0.0.1:" + std::to_string((*listener)->port()));
    (*listener)->close();
    (*listener)->close();
    CHECK(loop.close());
}

TEST_CASE("a listener that cannot be set up is closed and freed before the error returns") {
    TestLoop loop;
    auto first =
        Listener::listen_tcp(loop.get(), "127.0.0.1", 0, "listen.port", "", [](Connection*) {});
    REQUIRE(first.ok());
    auto second = Listener::listen_tcp(loop.get(), "127.0.0.1", (*first)->port(), "listen.port",
                                       "/etc/napster/index.toml", [](Connection*) {});
    REQUIRE(!second.ok());
    CHECK(second.error().message == "port " + std::to_string((*first)->port()) +
                                        " is in use (listen.port in /etc/napster/index.toml)");
    (*first)->close();
    CHECK(loop.close());
}

TEST_CASE("closing a Unix listener twice unlinks its socket once") {
    TestLoop loop;
    TempDir dir;
    std::string path = dir / "control.sock";
    auto listener =
        Listener::listen_unix(loop.get(), path, "control.socket", "", [](Connection*) {});
    REQUIRE_MESSAGE(listener.ok(), listener.error().message);
    struct stat st {};
    CHECK(lstat(path.c_str(), &st) == 0);
    (*listener)->close();
    CHECK(lstat(path.c_str(), &st) != 0);
    // Another listener takes the path before the first one's close has
    // completed: the second close() must leave its socket alone.
    auto next = Listener::listen_unix(loop.get(), path, "control.socket", "", [](Connection*) {});
    REQUIRE_MESSAGE(next.ok(), next.error().message);
    (*listener)->close();
    CHECK(lstat(path.c_str(), &st) == 0);
    (*next)->close();
    CHECK(loop.close());
}
