// SPDX-License-Identifier: MIT
#include "index/search_reply.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace napster {
namespace {

// SEARCH_RESULT's payload before its hits: request id, total matches,
// flags, hit count.
constexpr std::size_t search_result_fixed_size = 4 + 4 + 1 + 2;

std::uint32_t saturate_u32(std::size_t count) {
    return static_cast<std::uint32_t>(
        std::min<std::size_t>(count, std::numeric_limits<std::uint32_t>::max()));
}

protocol::SearchHit to_wire(CatalogHit&& hit) {
    protocol::SearchHit out;
    out.name = std::move(hit.name);
    out.size = hit.size;
    out.root = hit.root;
    std::size_t listed =
        std::min<std::size_t>(hit.holders.size(), protocol::max_holders_per_result);
    out.holder_total = saturate_u32(std::max(hit.holder_total, listed));
    out.holders.reserve(listed);
    for (std::size_t i = 0; i < listed; ++i) {
        CatalogHolder& h = hit.holders[i];
        out.holders.push_back(protocol::Holder{h.peer_id, std::move(h.peer_name),
                                               std::move(h.address), h.port, h.file_id,
                                               std::move(h.name)});
    }
    return out;
}

} // namespace

std::size_t search_hit_limit(std::uint16_t requested, std::uint32_t index_max_results) {
    std::size_t limit = index_max_results;
    if (requested != 0) limit = std::min<std::size_t>(limit, requested);
    return std::min<std::size_t>(limit, std::numeric_limits<std::uint16_t>::max());
}

protocol::SearchResult search_reply(std::uint32_t request_id, CatalogAnswer answer,
                                    std::size_t max_hits) {
    protocol::SearchResult result;
    result.request_id = request_id;
    max_hits = std::min<std::size_t>(max_hits, std::numeric_limits<std::uint16_t>::max());
    std::size_t frame_bytes = protocol::frame_header_size + search_result_fixed_size;
    for (auto& hit : answer.hits) {
        if (result.hits.size() == max_hits) break;
        auto wire = to_wire(std::move(hit));
        std::size_t size = protocol::encoded_size(wire);
        if (frame_bytes + size > protocol::max_frame_length) break;
        frame_bytes += size;
        result.hits.push_back(std::move(wire));
    }
    result.total_matches = saturate_u32(std::max(answer.total_matches, result.hits.size()));
    // A count past what a u32 holds is a lower bound too.
    result.total_is_lower_bound = answer.total_is_lower_bound ||
                                  answer.total_matches > std::numeric_limits<std::uint32_t>::max();
    return result;
}

} // namespace napster
