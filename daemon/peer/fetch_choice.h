// SPDX-License-Identifier: MIT
#pragma once

// Which holders a FETCH uses, from the index's answer. Pure: no I/O.
//
// By name: only hits whose name is exactly the name asked for (a lying or
// buggy index may answer others); by root: only the hit with that root.
// One content only: when several contents match (the same name with other
// roots, or hashed and not yet hashed copies), the fetch is refused with a
// list to choose from by root, unless the chosen peer holds just one of
// them. Never this peer itself.

#include "protocol/control_messages.h"
#include "protocol/index_messages.h"
#include "util/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace napster {

struct FetchChoice {
    std::string name; // to save as: the name asked for, else the hit's
    std::uint64_t size = 0;
    protocol::RootHash root;
    std::vector<protocol::Holder> holders; // in the index's order
};

// `own_id`: this napeerd's peer id at the index, if registered.
Result<FetchChoice> choose_fetch(const protocol::Fetch& request, const protocol::SearchResult& answer,
                                 std::optional<std::uint32_t> own_id);

// The search that finds the holders for `request`.
protocol::Search fetch_search(const protocol::Fetch& request);

// "4f1c2a9e0b3d" (the first 12 hex digits), or "unhashed".
std::string root_prefix(const protocol::RootHash& root);

} // namespace napster
