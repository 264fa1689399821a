// SPDX-License-Identifier: MIT
#pragma once

// A content root on the wire (version 3): a str8 of 0 bytes (no root known
// or asked for) or of exactly 32 bytes, the root of content/hash_tree.h.
// One encoding each: any other length is refused.

#include "content/sha256.h"
#include "util/byte_codec.h"

#include <optional>

namespace napster::protocol {

using RootHash = std::optional<content::Digest>;

void write_root(ByteWriter& w, const RootHash& root);
RootHash read_root(ByteReader& r, const char* field);

// Bytes write_root adds.
inline std::size_t root_size(const RootHash& root) { return 1 + (root ? content::digest_size : 0); }

} // namespace napster::protocol
