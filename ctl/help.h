// SPDX-License-Identifier: MIT
#pragma once

// napctl's help texts: `napctl --help`, `napctl help COMMAND` and
// `napctl COMMAND --help` all come from the command table.

#include "ctl/command.h"

#include <string>

namespace napster::ctl {

std::string global_help();
std::string command_help(const CommandSpec& command);

// A help text as printed: as it is, or with --json one document
// {"schema", "command", "ok", "text"} (command empty: null).
std::string help_output(bool json, std::string_view command, std::string text);

} // namespace napster::ctl
