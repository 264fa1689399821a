// SPDX-License-Identifier: MIT
#pragma once

// The command line both daemons share: --config FILE, --check-config,
// --help, --version. Pure: parses argv, prints nothing.

#include <string>
#include <vector>

namespace napster {

struct DaemonArgs {
    std::string config_path;
    bool config_given = false; // a missing default file means defaults; a given one must exist
    bool check_config = false;
    bool help = false;
    bool version = false;
    std::string error; // non-empty: a usage error to print, exit 2
};

DaemonArgs parse_daemon_args(const std::vector<std::string>& args, const std::string& default_config);

} // namespace napster
