// SPDX-License-Identifier: MIT
#pragma once

// One SEARCH on its own control connection: what `napctl search` shows and
// what `napctl fetch` asks first to find the holders of a name, or of a
// content by its root.

#include "ctl/failure.h"
#include "protocol/index_messages.h"

#include <span>
#include <string>

namespace napster::ctl {

// The request id napctl uses: one request per connection, so any fixed
// value works, and the reply must echo it.
inline constexpr std::uint32_t search_request_id = 1;

Outcome<protocol::SearchResult> search_request(std::span<const std::string> socket_paths, std::string query,
                                               bool exact);

// By content: a SEARCH with the root and an empty query.
Outcome<protocol::SearchResult> root_search_request(std::span<const std::string> socket_paths, const content::Digest& root);

} // namespace napster::ctl
