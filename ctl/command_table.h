// SPDX-License-Identifier: MIT
#pragma once

// Every napctl command, in one table sorted by name (checked at compile
// time), and the options every command accepts.

#include "ctl/command.h"

#include <span>
#include <string_view>

namespace napster::ctl {

std::span<const CommandSpec> all_commands();
const CommandSpec* find_command(std::string_view name);

// Accepted before and after the command name.
std::span<const OptionSpec> global_options();

} // namespace napster::ctl
