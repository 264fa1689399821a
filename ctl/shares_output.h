// SPDX-License-Identifier: MIT
#pragma once

// What `napctl shares` prints: a table for people, one JSON document for
// scripts. Pure string building.

#include "protocol/index_messages.h"

#include <span>
#include <string>

namespace napster::ctl {

// NAME, SIZE, ROOT (its first 12 hex digits, "unhashed" until napeerd has
// hashed the file), PATH and ID, a file a row, then the count and total
// size; "no files shared" when there are none.
std::string shares_text(std::span<const protocol::FileEntry> files);

// {"total", "files": [{"name", "size", "rel_path", "file_id", "root"}]}
std::string shares_json(std::span<const protocol::FileEntry> files);

} // namespace napster::ctl
