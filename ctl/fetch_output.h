// SPDX-License-Identifier: MIT
#pragma once

// What `napctl fetch` prints when the file is saved: one line for people,
// one JSON document for scripts. Pure string building.

#include "protocol/control_messages.h"

#include <string>

namespace napster::ctl {

// "saved PATH (SIZE, verified ROOT)", or "... not verified ..." with why:
// the holders had not hashed the file, or napeerd did not check it against
// the root it knows. One line, ending in a newline.
std::string fetch_done_text(const protocol::FetchDone& done);

// {"path", "size", "peer_id", "peer_name", "root", "verified"}
std::string fetch_done_json(const protocol::FetchDone& done);

} // namespace napster::ctl
