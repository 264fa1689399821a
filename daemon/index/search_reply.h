// SPDX-License-Identifier: MIT
#pragma once

// What a peer gets for its SEARCH: a catalog's answer cut to what the wire
// carries, decided here whatever catalog answered. Pure: no I/O, no state.

#include "catalog/catalog_service.h"
#include "util/byte_codec.h"

#include <cstddef>
#include <cstdint>

namespace napster {

// The hits a SEARCH may get: the smallest of its max_results (0: no limit
// of its own), the index's limits.max_results and 65535 (the hit count is
// a u16 on the wire).
std::size_t search_hit_limit(std::uint16_t requested, std::uint32_t index_max_results);

struct SearchReply {
    Bytes frame;                     // the whole SEARCH_RESULT frame, header included
    std::size_t hit_count = 0;       // it lists the answer's first hit_count hits
    std::uint32_t total_matches = 0; // as the frame says
};

// The SEARCH_RESULT for `request_id`: the answer's first hits, at most
// `max_hits`, each listing at most max_holders_per_result holders, and no
// more than fit one frame: the frame stays within max_frame_length, so it
// passes parse_frame on the index channel and when napeerd relays it to
// napctl. The first hit that would not fit ends the list. total_matches
// and holder_total keep the answer's counts (never fewer than are sent),
// saturated at 2^32 - 1. Encoded straight from the answer's strings: a
// SearchResult in between would copy each of them once more.
SearchReply search_reply(std::uint32_t request_id, const CatalogAnswer& answer,
                         std::size_t max_hits);

} // namespace napster
