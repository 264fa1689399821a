// SPDX-License-Identifier: MIT
#include "util/peer_environment.h"

#include "util/path_text.h"

#include <unistd.h>

#include <fmt/format.h>

#include <climits>
#include <cstdlib>

namespace napster {
namespace {

std::string host_name_of_process() {
    char buffer[HOST_NAME_MAX + 1] = {};
    if (gethostname(buffer, sizeof buffer - 1) != 0) return "";
    return buffer;
}

} // namespace

PeerEnvironment PeerEnvironment::from_process() {
    PeerEnvironment env;
    env.host_name = host_name_of_process();
    env.uid = geteuid();
    env.is_root = env.uid == 0;
    if (const char* dir = std::getenv("XDG_RUNTIME_DIR")) env.xdg_runtime_dir = dir;
    if (const char* dir = std::getenv("STATE_DIRECTORY")) env.state_directory = dir;
    if (const char* dir = std::getenv("XDG_STATE_HOME")) env.xdg_state_home = dir;
    if (const char* dir = std::getenv("HOME")) env.home = dir;
    return env;
}

std::string default_state_dir(const PeerEnvironment& env) {
    // systemd separates several directories with ':'.
    std::string systemd = env.state_directory.substr(0, env.state_directory.find(':'));
    if (systemd.starts_with('/')) return normalise_path(systemd);
    if (env.is_root) return "/var/lib/napster";
    // The XDG spec: a relative value is invalid and to be ignored.
    if (env.xdg_state_home.starts_with('/')) return join_path(normalise_path(env.xdg_state_home), "napster");
    if (env.home.starts_with('/')) return join_path(normalise_path(env.home), ".local/state/napster");
    return "";
}

std::string default_control_socket(const PeerEnvironment& env) {
    if (env.is_root) return std::string(system_control_socket);
    // The XDG spec requires an absolute path; a relative one, or one too long
    // for sun_path, is ignored rather than turned into a socket we cannot bind.
    if (env.xdg_runtime_dir.starts_with('/')) {
        std::string dir = normalise_path(env.xdg_runtime_dir);
        if (dir == "/") dir.clear();
        std::string path = dir + "/napster/napeerd.sock";
        if (path.size() <= max_socket_path_bytes) return path;
    }
    return fmt::format("/tmp/napster-{}/napeerd.sock", env.uid);
}

std::vector<std::string> control_socket_candidates(const PeerEnvironment& env) {
    std::vector<std::string> candidates{default_control_socket(env)};
    if (candidates.front() != system_control_socket) candidates.emplace_back(system_control_socket);
    return candidates;
}

} // namespace napster
