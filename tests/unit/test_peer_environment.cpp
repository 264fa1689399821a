// SPDX-License-Identifier: MIT
#include "util/peer_environment.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace napster;

TEST_CASE("default_control_socket follows the environment") {
    const PeerEnvironment user{.host_name = "box", .xdg_runtime_dir = "/run/user/1000", .uid = 1000};
    PeerEnvironment env = user;
    env.is_root = true;
    env.uid = 0;
    CHECK(default_control_socket(env) == "/run/napster/napeerd.sock");

    env = user;
    CHECK(default_control_socket(env) == "/run/user/1000/napster/napeerd.sock");
    env.xdg_runtime_dir = "/run/user/1000/";
    CHECK(default_control_socket(env) == "/run/user/1000/napster/napeerd.sock");
    env.xdg_runtime_dir = "/";
    CHECK(default_control_socket(env) == "/napster/napeerd.sock");

    env.xdg_runtime_dir = "";
    CHECK(default_control_socket(env) == "/tmp/napster-1000/napeerd.sock");

    // The XDG spec requires an absolute path; anything else is ignored.
    env.xdg_runtime_dir = "run/user/1000";
    CHECK(default_control_socket(env) == "/tmp/napster-1000/napeerd.sock");

    // A socket path that cannot fit in sun_path would fail at bind().
    env.xdg_runtime_dir = "/" + std::string(100, 'r');
    CHECK(default_control_socket(env) == "/tmp/napster-1000/napeerd.sock");
    env.xdg_runtime_dir = "/" + std::string(85, 'r'); // 86 + 21 = 107 bytes: fits
    CHECK(default_control_socket(env) == env.xdg_runtime_dir + "/napster/napeerd.sock");
}

TEST_CASE("PeerEnvironment::from_process reads this process") {
    PeerEnvironment env = PeerEnvironment::from_process();
    CHECK(env.uid == geteuid());
    CHECK(env.is_root == (geteuid() == 0));
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    CHECK(env.xdg_runtime_dir == (xdg ? xdg : ""));
    char host[256] = {};
    REQUIRE(gethostname(host, sizeof host - 1) == 0);
    CHECK(env.host_name == host);
}

TEST_CASE("default_state_dir: systemd's, then root's, then the user's XDG state dir") {
    PeerEnvironment env{.host_name = "box", .xdg_runtime_dir = "/run/user/1000", .uid = 1000};
    CHECK(default_state_dir(env).empty());
    env.home = "/home/alice";
    CHECK(default_state_dir(env) == "/home/alice/.local/state/napster");
    env.home = "home/alice"; // not absolute: ignored
    CHECK(default_state_dir(env).empty());
    env.xdg_state_home = "/home/alice/.state/";
    CHECK(default_state_dir(env) == "/home/alice/.state/napster");
    env.is_root = true;
    CHECK(default_state_dir(env) == "/var/lib/napster");
    env.state_directory = "/var/lib/napster/one";
    CHECK(default_state_dir(env) == "/var/lib/napster/one");
    env.state_directory = "/var/lib/a:/var/lib/b";
    CHECK(default_state_dir(env) == "/var/lib/a");
    env.state_directory = "relative";
    CHECK(default_state_dir(env) == "/var/lib/napster");
}

TEST_CASE("control_socket_candidates: a user's own socket, then the system daemon's; root only the system one") {
    PeerEnvironment env{.host_name = "box", .xdg_runtime_dir = "/run/user/1001", .uid = 1001};
    CHECK(control_socket_candidates(env) ==
          std::vector<std::string>{"/run/user/1001/napster/napeerd.sock", "/run/napster/napeerd.sock"});
    env.xdg_runtime_dir = "";
    CHECK(control_socket_candidates(env) ==
          std::vector<std::string>{"/tmp/napster-1001/napeerd.sock", "/run/napster/napeerd.sock"});
    env.is_root = true;
    env.uid = 0;
    CHECK(control_socket_candidates(env) == std::vector<std::string>{"/run/napster/napeerd.sock"});
}
