// SPDX-License-Identifier: MIT
#pragma once

// What napeerd says about a reload, to napctl (RELOAD_RESULT) and in its
// log: one entry a changed key, share.dirs one entry a directory added or
// removed (a reordered list alone changes nothing). Pure: no I/O.

#include "config/config_diff.h"
#include "protocol/reload_messages.h"

#include <string>

namespace napster {

protocol::ReloadResult reload_result(const ConfigDiff& diff, const std::string& source);

} // namespace napster
