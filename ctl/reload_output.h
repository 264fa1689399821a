// SPDX-License-Identifier: MIT
#pragma once

// What `napctl reload` prints from RELOAD_RESULT. Pure: no I/O.

#include "protocol/reload_messages.h"

#include <string>

namespace napster::ctl {

// "reloaded /etc/napster/peer.toml:\n  log.level is now ..." or
// "reloaded /etc/napster/peer.toml: nothing changed\n"
std::string reload_text(const protocol::ReloadResult& result);

// {"source": ..., "changes": [{"key", "applied", "before", "after"}],
//  "restart_needed": [keys], "left_out": n}
std::string reload_json(const protocol::ReloadResult& result);

} // namespace napster::ctl
