// SPDX-License-Identifier: MIT
#include "util/daemon_args.h"

#include "util/text.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace napster {
namespace {

constexpr std::array<std::string_view, 7> known_options = {"--config", "--check-config", "--help", "--version",
                                                           "-c", "-h", "-V"};

} // namespace

DaemonArgs parse_daemon_args(const std::vector<std::string>& args, const std::string& default_config) {
    DaemonArgs out;
    out.config_path = default_config;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-c" || a == "--config") {
            if (i + 1 >= args.size()) {
                out.error = fmt::format("{} needs a file name", a);
                return out;
            }
            out.config_path = args[++i];
            out.config_given = true;
        } else if (a.size() > 2 && a.rfind("-c", 0) == 0) {
            out.config_path = a.substr(2); // -cFILE, as getopt takes it
            out.config_given = true;
        } else if (a.rfind("--config=", 0) == 0) {
            out.config_path = a.substr(9);
            out.config_given = true;
        } else if (a == "--check-config") {
            out.check_config = true;
        } else if (a == "-h" || a == "--help") {
            out.help = true;
        } else if (a == "-V" || a == "--version") {
            out.version = true;
        } else {
            out.error = fmt::format("unknown argument '{}'{}", a, a.rfind("-", 0) == 0 ? did_you_mean(a, known_options) : "");
            return out;
        }
    }
    if (out.config_given && out.config_path.empty()) out.error = "--config needs a file name";
    return out;
}

} // namespace napster
