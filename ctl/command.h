// SPDX-License-Identifier: MIT
#pragma once

// What a napctl command is: its entry in the command table, the arguments
// it was given and the context it runs in.

#include "ctl/failure.h"

#include <cstddef>
#include <iosfwd>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace napster::ctl {

struct CommandSpec;

// Where a command runs: passed explicitly so that a test can run a command
// with string streams and a socket of its own.
struct CommandContext {
    // The control sockets to try, in order (ControlClient::connect).
    std::vector<std::string> socket_paths;
    bool json = false;
    // The command's name for --json documents; empty when none was parsed.
    std::string_view command = {};
    bool stdin_is_terminal = false;
    bool stdout_is_terminal = false;
    bool stderr_is_terminal = false;
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
};

struct CommandArgs {
    const CommandSpec* command = nullptr;
    std::vector<std::string> positional;
    // In command-line order; a repeated option's last value wins.
    std::vector<std::pair<std::string, std::string>> options;

    bool has(std::string_view option) const { return value(option).has_value(); }
    std::optional<std::string> value(std::string_view option) const {
        for (auto it = options.rbegin(); it != options.rend(); ++it)
            if (it->first == option) return it->second;
        return std::nullopt;
    }
};

// Returns the exit status; the handler prints its own output and errors.
using CommandHandler = int (*)(const CommandContext&, const CommandArgs&);

struct OptionSpec {
    std::string_view name;     // with the dashes: "--peer"
    std::string_view argument; // "ID", or empty for a flag
    std::string_view help;
    std::string_view short_name = {}; // "-q", or empty
};

inline constexpr std::size_t unlimited_args = std::numeric_limits<std::size_t>::max();

struct CommandSpec {
    std::string_view name;
    std::size_t min_args;
    std::size_t max_args;
    CommandHandler handler;
    std::string_view summary;
    std::string_view arguments; // for the usage line: "NAME", "WORD..."
    std::span<const OptionSpec> options;
    std::string_view details;   // the rest of `napctl help COMMAND`
};

// "usage: napctl fetch NAME [--peer ID] [--output DIR] [--json]"
std::string usage_line(const CommandSpec& command);

// A usage error of `command`: the message, then its usage line.
Failure usage_failure(const CommandSpec& command, std::string message);

// Prints "napctl: MESSAGE" (and the hint) on ctx.err, and with --json the
// failure's document on ctx.out (holding the fields of `fields`, one JSON
// object); returns the status.
int report(const CommandContext& ctx, const Failure& failure, std::string_view fields = "{}");

} // namespace napster::ctl
