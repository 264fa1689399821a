// SPDX-License-Identifier: MIT
#pragma once

// What `napctl status` prints: "label: value" lines for people, one JSON
// document for scripts. Pure string building.

#include "protocol/control_messages.h"

#include <string>
#include <string_view>

namespace napster::ctl {

// "connected as peer 4 (127.0.0.1:5015)", "connecting to ...",
// "disconnected from ..., reconnecting in 3 s": status's index line, and
// watch's.
std::string index_link_text(protocol::IndexState state, std::uint32_t peer_id, std::string_view address,
                            std::uint32_t reconnect_in_ms);

// "12 files, 3.4 GiB left", or "done" when napeerd has hashed every
// shared file: the value of the "hashing:" line.
std::string hashing_text(const protocol::StatusResult& status);

// "from 2 holders: peer 3 (bob), peer 5 (carol)": each holder once, however
// many downloads pull from it.
std::string download_sources_text(const std::vector<protocol::TransferPeer>& sources);
std::string status_text(const protocol::StatusResult& status);
std::string status_json(const protocol::StatusResult& status);

} // namespace napster::ctl
