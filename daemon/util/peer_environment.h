// SPDX-License-Identifier: MIT
#pragma once

// What napeerd's defaults depend on, and where its control socket is when
// none is configured. Apart from config/ because napctl needs the same
// default socket and links no TOML parser.

#include <sys/un.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace napster {

// sun_path holds the path and its terminating NUL.
inline constexpr std::size_t max_socket_path_bytes = sizeof(sockaddr_un::sun_path) - 1;

// What the defaults depend on, gathered by the caller so parsing stays pure.
struct PeerEnvironment {
    std::string host_name;       // default for `name`
    bool is_root = false;        // root: /run/napster/napeerd.sock
    std::string xdg_runtime_dir; // otherwise $XDG_RUNTIME_DIR/napster/napeerd.sock
    unsigned uid = 0;            // and without it: /tmp/napster-UID/napeerd.sock
    std::string state_directory{}; // $STATE_DIRECTORY (systemd's StateDirectory=)
    std::string xdg_state_home{};  // else $XDG_STATE_HOME/napster for a user
    std::string home{};            // else $HOME/.local/state/napster

    static PeerEnvironment from_process(); // reads gethostname, geteuid, getenv
};

// The control socket path a peer uses when none is configured: also what
// napctl tries when given no --socket and no $NAPSTER_SOCKET.
std::string default_control_socket(const PeerEnvironment& env);

// The system daemon's socket (the unit's RuntimeDirectory=napster), the
// default for root.
inline constexpr std::string_view system_control_socket = "/run/napster/napeerd.sock";

// The sockets napctl tries, in order, when given no --socket and no
// $NAPSTER_SOCKET: root has only the system one; any other user first the
// one its own napeerd would use, then the system daemon's, which members
// of its group may drive (README.Debian's `usermod -aG napster`).
std::vector<std::string> control_socket_candidates(const PeerEnvironment& env);

// Where napeerd keeps its hash cache and its partial downloads' state when
// no state_dir is configured: systemd's StateDirectory= (the first, if it
// names several), else /var/lib/napster for root, else the XDG state dir
// of the user. Empty when none of them is known (no HOME): napeerd then
// keeps no state and says so.
std::string default_state_dir(const PeerEnvironment& env);

} // namespace napster
