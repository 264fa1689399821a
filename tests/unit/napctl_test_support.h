// SPDX-License-Identifier: MIT
#pragma once

// Builders the napctl tests share: content roots from readable hex, search
// hits and their holders as the index sends them in protocol version 3.

#include "content/sha256.h"
#include "protocol/index_messages.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace napster::napctl_test {

// A root whose hex starts with `prefix` and continues with zeros, so that a
// test can spell the 12 digits napctl shows.
inline content::Digest root_starting(std::string_view prefix) {
    REQUIRE(prefix.size() <= 2 * content::digest_size);
    std::string text(prefix);
    text.resize(2 * content::digest_size, '0');
    auto digest = content::parse_digest(text);
    REQUIRE(digest.ok());
    return *digest;
}

// A holder of a file named `file_name` (in a hit without a root, every
// holder's name is the hit's).
inline protocol::Holder holder(std::uint32_t peer_id, std::string peer_name, std::string address,
                               std::uint16_t port, std::uint64_t file_id, std::string file_name) {
    return {peer_id, std::move(peer_name), std::move(address), port, file_id, std::move(file_name)};
}

inline protocol::SearchHit hit(std::string name, std::uint64_t size, protocol::RootHash root,
                               std::uint32_t holder_total, std::vector<protocol::Holder> holders) {
    return {std::move(name), size, root, holder_total, std::move(holders)};
}

} // namespace napster::napctl_test
