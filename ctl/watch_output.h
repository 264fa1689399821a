// SPDX-License-Identifier: MIT
#pragma once

// What `napctl watch` prints for each WATCH_UPDATE: the index link and the
// transfers table, or one JSON object a line. Pure string building.

#include "protocol/transfer_list_messages.h"

#include <string>

namespace napster::ctl {

// "index: connected as peer 4 (127.0.0.1:5015)\n" (and "last error: ..."
// when not connected), then transfers_text.
std::string watch_text(const protocol::WatchUpdate& update);

// {"index": {"state", "peer_id", "address", "reconnect_in_ms",
// "last_error"}, "transfers": [...], "more"} and a newline; peer_id is
// null unless connected, last_error null when there is none.
std::string watch_json(const protocol::WatchUpdate& update);

// On a terminal: cursor home and clear the screen before each update
// (VT100), so the view is redrawn in place.
inline constexpr std::string_view redraw_screen = "\x1b[H\x1b[2J";

} // namespace napster::ctl
