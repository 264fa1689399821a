// SPDX-License-Identifier: MIT
// napctl: drives the local napeerd over its Unix control socket.

#include "build_config.h"
#include "ctl/command_line.h"
#include "ctl/help.h"
#include "util/peer_environment.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <unistd.h>
#include <vector>

namespace {

using namespace napster::ctl;

// --socket, else $NAPSTER_SOCKET, each tried alone: a socket named is the
// one meant. Else where napeerd puts it by default, then the system one.
std::vector<std::string> control_socket_paths(const CommandLine& line) {
    if (line.socket) return {*line.socket};
    if (const char* env = std::getenv("NAPSTER_SOCKET"); env && *env) return {env};
    return napster::control_socket_candidates(napster::PeerEnvironment::from_process());
}

int run(int argc, char** argv) {
    std::vector<std::string_view> arguments(argv + 1, argv + argc);
    auto parsed = parse_command_line(arguments);

    // A line that did not parse, or stopped at --help or --version, may
    // have --json still ahead: the intent says.
    CommandLineIntent intent = command_line_intent(arguments);
    if (parsed) {
        intent.command = parsed->args.command;
        if (parsed->action == CommandLine::Action::run) intent.json = parsed->json;
    }
    CommandContext ctx{
        .socket_paths = {},
        .json = intent.json,
        .command = intent.command ? intent.command->name : std::string_view{},
        .stdin_is_terminal = ::isatty(STDIN_FILENO) == 1,
        .stdout_is_terminal = ::isatty(STDOUT_FILENO) == 1,
        .stderr_is_terminal = ::isatty(STDERR_FILENO) == 1,
        .in = std::cin,
        .out = std::cout,
        .err = std::cerr,
    };
    if (!parsed) return report(ctx, parsed.failure());

    const CommandLine& line = *parsed;
    switch (line.action) {
    case CommandLine::Action::global_help: std::cout << help_output(ctx.json, {}, global_help()); return exit_success;
    case CommandLine::Action::command_help:
        std::cout << help_output(ctx.json, ctx.command, command_help(*line.args.command));
        return exit_success;
    case CommandLine::Action::version:
        std::cout << help_output(ctx.json, {}, fmt::format("napctl {}\n", NAPSTER_VERSION));
        return exit_success;
    case CommandLine::Action::run: break;
    }
    if (line.args.command->name != "help") ctx.socket_paths = control_socket_paths(line);
    return line.args.command->handler(ctx, line.args);
}

} // namespace

int main(int argc, char** argv) {
    int status = run(argc, argv);
    // Output that never arrived (a full disk, a closed pipe with SIGPIPE
    // ignored) must not look like success to a script.
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "napctl: cannot write to stdout: " << std::strerror(errno) << '\n';
        if (status == exit_success) status = exit_failure;
    }
    return status;
}
