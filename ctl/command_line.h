// SPDX-License-Identifier: MIT
#pragma once

// napctl's command line: global options, the command, its arguments and
// options (which may come in any order after it). Pure: no I/O.

#include "ctl/command.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace napster::ctl {

struct CommandLine {
    enum class Action {
        run,          // run args.command
        global_help,  // napctl --help
        command_help, // napctl COMMAND --help
        version,      // napctl --version
    };
    Action action = Action::run;
    std::optional<std::string> socket; // --socket PATH
    bool json = false;
    CommandArgs args;
};

// What a command line that may not parse asks for, so that its usage error
// can be a --json document: whether "--json" is among its options, and the
// command it names, if any (null when unknown).
struct CommandLineIntent {
    bool json = false;
    const CommandSpec* command = nullptr;
};
CommandLineIntent command_line_intent(std::span<const std::string_view> arguments);

// `arguments` excludes the program name. Failures are usage errors
// (exit_usage) with a hint line.
Outcome<CommandLine> parse_command_line(std::span<const std::string_view> arguments);

} // namespace napster::ctl
