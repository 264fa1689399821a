// SPDX-License-Identifier: MIT
#pragma once

// What `napctl fetch` prints when the file is saved: the final path on
// standard output (napctl(1): scripts take it from there), a summary for
// people on standard error, or one JSON document. Pure string building.

#include "protocol/control_messages.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace napster::ctl {

// "PATH\n", escaped as every name napctl prints.
std::string fetch_done_text(const protocol::FetchDone& done);

// "SIZE, verified ROOT", or "SIZE, not verified ..." with why: the holders
// had not hashed the file, or napeerd did not check it against the root
// it knows. With the time napeerd spent: "SIZE in 2.5 s (1.2 MiB/s),
// verified ROOT". One line, ending in a newline.
std::string fetch_done_summary(const protocol::FetchDone& done, std::optional<std::uint64_t> elapsed_ms = {},
                               std::optional<std::uint64_t> average_rate = {});

// "0.4 s", "12.5 s", "2 min 5 s".
std::string elapsed_text(std::uint64_t ms);

// --background: "fetching NAME as transfer 7; napctl wait 7 follows it,
// napctl cancel 7 stops it" (stderr), and {"transfer_id": 7}.
std::string background_text(std::string_view printable_name, protocol::TransferId id);
std::string background_json(protocol::TransferId id);

// {"path", "size", "peer_id", "peer_name", "root", "verified"}
std::string fetch_done_json(const protocol::FetchDone& done);

} // namespace napster::ctl
