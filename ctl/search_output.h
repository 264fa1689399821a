// SPDX-License-Identifier: MIT
#pragma once

// What `napctl search` prints: a table for people, one JSON document for
// scripts. Pure string building; command_search.cpp decides where it goes.

#include "protocol/index_messages.h"

#include <string>
#include <string_view>
#include <vector>

namespace napster::ctl {

// The names a hit's listed holders give its content besides hit.name (one
// content may be shared under several names): distinct, in the order found.
std::vector<std::string> other_names(const protocol::SearchHit& hit);

// NAME, SIZE, ROOT, HOLDERS, a hit a row; under a hit with other names a
// line "also as: x, y"; then "showing N of M matches" when the index capped
// the results.
std::string search_text(const protocol::SearchResult& result);

// Every distinct name the hits go by (theirs and their holders' other
// names), in natural order, one a line, raw bytes: for shell completion and
// scripts that want names only. A name holding a newline cannot be a line
// and is left out.
std::string search_names(const protocol::SearchResult& result);

// {"query", "exact", "total_matches", "files": [{"name", "size", "root",
// "holder_total", "holders": [{"peer_id", "peer_name", "address", "port",
// "file_id", "name"}]}]}
std::string search_json(std::string_view query, bool exact, const protocol::SearchResult& result);

} // namespace napster::ctl
