// SPDX-License-Identifier: MIT
// napeerd: the napster peer daemon.

#include "build_config.h"
#include "config/peer_config.h"
#include "event/service_notifier.h"
#include "event/service_run.h"
#include "peer/peer_daemon.h"
#include "protocol/common_messages.h"
#include "util/daemon_args.h"
#include "util/fd_limit.h"
#include "util/log.h"

#include <fmt/format.h>

#include <csignal>
#include <cstdio>

namespace {

constexpr const char* usage = R"(Usage: napeerd [OPTIONS]

The napster peer daemon: shares directories through a napster index,
serves its files to other peers, downloads from them, and takes orders
from napctl on its control socket.

Options:
  -c, --config FILE   read FILE instead of /etc/napster/peer.toml
                      (a missing default file means built-in defaults)
      --check-config  validate the config, print the effective values, exit
  -h, --help          show this help and exit
  -V, --version       show the version and exit

Signals: SIGTERM and SIGINT stop it cleanly; SIGHUP re-reads the config as
'napctl reload' does: log level, limits, rate limits and share dirs apply at
once, a changed key that needs a restart is logged by name, and a config
that does not parse changes nothing.
Under systemd it reports its state over $NOTIFY_SOCKET (Type=notify).
See napeerd(8), napctl(1) and napster.toml(5).
)";

} // namespace

int main(int argc, char** argv) {
    using namespace napster;
    std::signal(SIGPIPE, SIG_IGN);
    DaemonArgs args = parse_daemon_args({argv + 1, argv + argc}, default_peer_config_path);
    if (!args.error.empty()) {
        fmt::print(stderr, "napeerd: {}\nTry 'napeerd --help'.\n", args.error);
        return 2;
    }
    if (args.help) {
        fmt::print("{}", usage);
        return 0;
    }
    if (args.version) {
        fmt::print("napeerd {} (protocol {})\n", NAPSTER_VERSION,
                   protocol::version_range_text(protocol::min_version, protocol::version));
        return 0;
    }
    PeerEnvironment env = PeerEnvironment::from_process();
    auto config = load_peer_config(args.config_path, !args.config_given, env);
    if (!config) {
        fmt::print(stderr, "napeerd: {}\n", config.error().message);
        return 1;
    }
    if (args.check_config) {
        fmt::print("{}", format_peer_config(*config));
        return 0;
    }

    Logger log;
    log.set_level(config->log_level);
    // Uploads, downloads and napctl connections each take a descriptor;
    // napeerd has no limit of its own on them yet, so ask for a generous
    // number (the unit sets LimitNOFILE=8192).
    if (auto warning = raise_fd_limit(1024, "napeerd's uploads, downloads and control connections"))
        log.warn("{}", *warning);
    uv_loop_t loop;
    init_loop(&loop);
    int exit_code = 0;
    {
        PeerDaemon daemon(&loop, *config, log);
        daemon.set_config_loader([&] { return load_peer_config(args.config_path, !args.config_given, env); });
        log.info("napeerd {} starting as {} ({})", NAPSTER_VERSION, config->name,
                 config->source.empty() ? "built-in defaults" : config->source);
        // READY=1 once the upload port and the control socket are bound:
        // napctl and other peers can connect; the share walk and the index
        // link go on in the background and show in STATUS=.
        exit_code = run_service(&loop, log,
                                ServiceHooks{
                                    .start = [&] { return daemon.start(); },
                                    .stop = [&] { daemon.stop(); },
                                    .summary = [&] { return daemon.summary(); },
                                    .reload = [&]() -> Status {
                                        auto reloaded = daemon.reload_from_file();
                                        if (!reloaded) return reloaded.error();
                                        return Ok{};
                                    },
                                    .started = nullptr,
                                });
    }
    finish_loop(&loop, log, exit_code);
    return exit_code;
}
