// SPDX-License-Identifier: MIT
#pragma once

// Which content a fetch means. Since protocol version 3 search hits are
// contents: a hit with a root is every file with that root, whatever name
// each holder gives it; a hit without one is the unhashed files of one name
// and size. A fetch by name must not mix contents, so it goes ahead only
// when the name stands for exactly one; otherwise the person chooses one by
// its root (--hash). Pure: no I/O.

#include "ctl/failure.h"
#include "protocol/index_messages.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace napster::ctl {

struct Content {
    std::string name;               // the hit's name
    std::uint64_t size = 0;
    protocol::RootHash root;        // none: its holders have not hashed it yet
    std::uint32_t holder_total = 0; // as the index counted them
    std::vector<protocol::Holder> holders;
};

// The contents `name` stands for among `hits`: the hits with that name, byte
// for byte, as their own or as a listed holder's (the index is not trusted
// to have sent only those). Hits of one content (one root; or no root and
// one size) are merged. In the order the index sent them. `self` is this
// napeerd's peer id, if registered: its own files are no holders to fetch
// from, and a content only it holds is none to choose.
std::vector<Content> contents_named(std::span<const protocol::SearchHit> hits, std::string_view name,
                                    std::optional<std::uint32_t> self = std::nullopt);

// The content with `root` among `hits`, merged as above; none when no hit
// has that root (with a holder other than `self`).
std::optional<Content> content_with_root(std::span<const protocol::SearchHit> hits, const content::Digest& root,
                                         std::optional<std::uint32_t> self = std::nullopt);

// The usage failure of a fetch whose `name` stands for several contents:
// says so and lists them (whole root, size, holders) to choose from with
// --hash.
Failure ambiguous_name(std::string_view name, std::span<const Content> contents);

} // namespace napster::ctl
