// SPDX-License-Identifier: MIT
#pragma once

// Choosing which peer to fetch from, as the seed's figures 3 and 11 do it:
// list the holders, ask for a peer ID, 3 tries, "cancel" ends it. Works on
// any streams so that tests can drive it without a terminal.

#include "protocol/index_messages.h"

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace napster::ctl {

// One peer holding the wanted name, in any of the sizes found.
struct HolderChoice {
    std::uint32_t peer_id = 0;
    std::string peer_name;
    std::string address;
    std::uint16_t port = 0;
    std::vector<std::uint64_t> sizes; // distinct, in the order found
};

struct HolderList {
    std::vector<HolderChoice> holders; // sorted by peer_id, one per peer
    bool more_unlisted = false;        // the index named fewer holders than it counted
};

// The distinct holders of hits named exactly `name` (byte for byte).
HolderList collect_holders(std::span<const protocol::SearchHit> hits, std::string_view name);

inline constexpr int peer_prompt_tries = 3;

struct PeerChoice {
    enum class Kind { chosen, cancelled, no_valid_choice };
    Kind kind = Kind::cancelled;
    std::uint32_t peer_id = 0; // when chosen
};

// Shows the holders on `out` and reads answers from `in`, one line each.
// End of input counts as "cancel".
PeerChoice prompt_for_peer(std::string_view file_name, const HolderList& list, std::istream& in,
                           std::ostream& out);

} // namespace napster::ctl
