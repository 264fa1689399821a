// SPDX-License-Identifier: MIT
#pragma once

// Choosing which peer to fetch from, as the seed's figures 3 and 11 do it:
// list the holders, ask for a peer ID, 3 tries, "cancel" ends it. The
// holders are those of one content (ctl/content_choice.h), never of several.
// Works on any streams so that tests can drive it without a terminal.

#include "ctl/content_choice.h"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace napster::ctl {

// One peer holding the content, under one name or more.
struct HolderChoice {
    std::uint32_t peer_id = 0;
    std::string peer_name;
    std::string address;
    std::uint16_t port = 0;
    std::vector<std::string> names; // its names for the file: distinct, in the order found
};

struct HolderList {
    std::uint64_t size = 0;
    protocol::RootHash root;
    std::vector<HolderChoice> holders; // sorted by peer_id, one per peer
    bool more_unlisted = false;        // the index named fewer holders than it counted
};

// The distinct holders of `content`.
HolderList collect_holders(const Content& content);

inline constexpr int peer_prompt_tries = 3;

struct PeerChoice {
    enum class Kind { chosen, cancelled, no_valid_choice };
    Kind kind = Kind::cancelled;
    std::uint32_t peer_id = 0; // when chosen
};

// Shows the holders on `out` and reads answers from `in`, one line each.
// End of input counts as "cancel". `file_name` is the name the fetch saves
// under: a holder's other names are shown beside it. Empty (a fetch by
// root alone), the content is named by its root and every holder's names
// are shown.
PeerChoice prompt_for_peer(std::string_view file_name, const HolderList& list, std::istream& in,
                           std::ostream& out);

} // namespace napster::ctl
