// SPDX-License-Identifier: MIT
// napindexd: the napster index daemon.

#include "build_config.h"
#include "config/index_config.h"
#include "event/service_notifier.h"
#include "event/service_run.h"
#include "index/index_server.h"
#include "index/loop_catalog.h"
#include "protocol/common_messages.h"
#include "util/daemon_args.h"
#include "util/fd_limit.h"
#include "util/log.h"

#include <fmt/format.h>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>

namespace {

constexpr const char* usage = R"(Usage: napindexd [OPTIONS]

The napster index daemon: peers register the files they share, and it
answers searches with the peers that hold each match.

Options:
  -c, --config FILE   read FILE instead of /etc/napster/index.toml
                      (a missing default file means built-in defaults)
      --check-config  validate the config, print the effective values, exit
  -h, --help          show this help and exit
  -V, --version       show the version and exit

Signals: SIGTERM and SIGINT stop it cleanly; SIGHUP re-reads the config and
applies log.level, limits.handshake_timeout, limits.max_pending and
limits.max_per_address; other changed keys are logged as needing a restart.
Under systemd it reports its state over $NOTIFY_SOCKET (Type=notify) and,
socket-activated (napindexd.socket), listens on the socket it is given
instead of listen.address and listen.port.
See napindexd(8) and napster.toml(5).
)";

} // namespace

int main(int argc, char** argv) {
    using namespace napster;
    std::signal(SIGPIPE, SIG_IGN);
    DaemonArgs args = parse_daemon_args({argv + 1, argv + argc}, default_index_config_path);
    if (!args.error.empty()) {
        fmt::print(stderr, "napindexd: {}\nTry 'napindexd --help'.\n", args.error);
        return 2;
    }
    if (args.help) {
        fmt::print("{}", usage);
        return 0;
    }
    if (args.version) {
        fmt::print("napindexd {} (protocol {})\n", NAPSTER_VERSION,
                   protocol::version_range_text(protocol::min_version, protocol::version));
        return 0;
    }
    auto config = load_index_config(args.config_path, !args.config_given);
    if (!config) {
        fmt::print(stderr, "napindexd: {}\n", config.error().message);
        return 1;
    }
    if (args.check_config) {
        fmt::print("{}", format_index_config(*config));
        return 0;
    }

    // Socket activation (sd_listen_fds): read and cleared before anything
    // else can see the variables.
    int inherited_fds = take_systemd_listen_fds();

    Logger log;
    log.set_level(config->log_level);
    // A descriptor a peer, and a few for the listener, the loop and logs.
    if (auto warning = raise_fd_limit(std::uint64_t{config->max_peers} + 64,
                                      fmt::format("limits.max_peers = {}", config->max_peers)))
        log.warn("{}", *warning);
    uv_loop_t loop;
    init_loop(&loop);
    int exit_code = 0;
    {
        IndexServer server(&loop, *config, log,
                           std::make_unique<LoopCatalog>(
                               &loop, CatalogLimits{config->max_files_per_peer, config->max_results,
                                                    config->max_counted_matches}));
        if (inherited_fds > 1) {
            // One index, one port: napindexd.socket has a single ListenStream=.
            log.warn("systemd passed {} sockets; using fd {} and closing the others", inherited_fds,
                     listen_fds_start);
            for (int fd = listen_fds_start + 1; fd < listen_fds_start + inherited_fds; ++fd)
                ::close(fd);
        }
        exit_code = run_service(
            &loop, log,
            ServiceHooks{
                .start = [&] { return server.start(inherited_fds > 0 ? listen_fds_start : -1); },
                .stop = [&] { server.stop(); },
                .summary = [&] { return server.summary(); },
                .reload = [&]() -> Status {
                    auto fresh = load_index_config(args.config_path, !args.config_given);
                    if (!fresh) return fresh.error();
                    server.reload(*fresh);
                    return Ok{};
                },
                .started =
                    [&] {
                        log.info("napindexd {} started ({})", NAPSTER_VERSION,
                                 config->source.empty() ? "built-in defaults" : config->source);
                    },
            });
    }
    finish_loop(&loop, log, exit_code);
    return exit_code;
}
