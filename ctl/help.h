// SPDX-License-Identifier: MIT
#pragma once

// napctl's help texts: `napctl --help`, `napctl help COMMAND` and
// `napctl COMMAND --help` all come from the command table.

#include "ctl/command.h"

#include <string>

namespace napster::ctl {

std::string global_help();
std::string command_help(const CommandSpec& command);

} // namespace napster::ctl
