// SPDX-License-Identifier: MIT
#pragma once

// Choosing which peer to fetch from, as the seed's figures 3 and 11 do it:
// list the holders, ask for a peer ID (or, here, a peer name), 3 tries, an
// invalid answer costs one, "cancel" ends it; Enter alone takes the first
// holder listed, which the question names. The list never holds this peer
// itself (content_choice.h drops it). The
// holders are those of one content (ctl/content_choice.h), never of several.
// Works on any streams so that tests can drive it without a terminal.

#include "ctl/content_choice.h"

#include <cstdint>
#include <iosfwd>
#include <optional>
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

// The first holder listed: what Enter alone chooses.
const HolderChoice* default_holder(const HolderList& list);

// "Enter peer ID or name to fetch from [peer 1, bob] (or \"cancel\"): "
std::string peer_question(const HolderList& list);

// What one answer (not "cancel") chooses: a holder's peer ID, a holder's
// name (byte for byte, else ignoring ASCII case, and only when one holder
// has it; an ID is tried first), or nothing: then `why` says what was wrong.
struct ResolvedAnswer {
    std::optional<std::uint32_t> peer_id;
    std::string why;
};
ResolvedAnswer resolve_peer_answer(std::string_view file_name, const HolderList& list, std::string_view answer);

// Shows the holders on `out` and reads answers from `in`, one line each.
// End of input counts as "cancel". `file_name` is the name the fetch saves
// under: a holder's other names are shown beside it. Empty (a fetch by
// root alone), the content is named by its root and every holder's names
// are shown.
PeerChoice prompt_for_peer(std::string_view file_name, const HolderList& list, std::istream& in,
                           std::ostream& out);

} // namespace napster::ctl
