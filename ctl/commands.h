// SPDX-License-Identifier: MIT
#pragma once

// The handlers the command table points at, one file each.

#include "ctl/command.h"

namespace napster::ctl {

int run_cancel(const CommandContext& ctx, const CommandArgs& args);  // command_cancel.cpp
int run_fetch(const CommandContext& ctx, const CommandArgs& args);   // command_fetch.cpp
int run_help(const CommandContext& ctx, const CommandArgs& args);    // help.cpp
int run_reload(const CommandContext& ctx, const CommandArgs& args);  // command_reload.cpp
int run_rescan(const CommandContext& ctx, const CommandArgs& args);  // command_rescan.cpp
int run_search(const CommandContext& ctx, const CommandArgs& args);  // command_search.cpp
int run_shares(const CommandContext& ctx, const CommandArgs& args);  // command_shares.cpp
int run_status(const CommandContext& ctx, const CommandArgs& args);  // command_status.cpp
int run_transfers(const CommandContext& ctx, const CommandArgs& args); // command_transfers.cpp
int run_wait(const CommandContext& ctx, const CommandArgs& args);    // command_wait.cpp
int run_watch(const CommandContext& ctx, const CommandArgs& args);   // command_watch.cpp

} // namespace napster::ctl
