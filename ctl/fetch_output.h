// SPDX-License-Identifier: MIT
#pragma once

// What `napctl fetch` prints when the file is saved: the final path on
// standard output (napctl(1): scripts take it from there), a summary for
// people on standard error, or one JSON document. Pure string building.

#include "protocol/control_messages.h"

#include <string>

namespace napster::ctl {

// "PATH\n", escaped as every name napctl prints.
std::string fetch_done_text(const protocol::FetchDone& done);

// "SIZE, verified ROOT", or "SIZE, not verified ..." with why: the holders
// had not hashed the file, or napeerd did not check it against the root
// it knows. One line, ending in a newline.
std::string fetch_done_summary(const protocol::FetchDone& done);

// {"path", "size", "peer_id", "peer_name", "root", "verified"}
std::string fetch_done_json(const protocol::FetchDone& done);

} // namespace napster::ctl
