// SPDX-License-Identifier: MIT
#include "index/search_reply.h"

#include "protocol/frame_codec.h"
#include "protocol/index_messages.h"

#include <algorithm>
#include <limits>

namespace napster {
namespace {

std::uint32_t saturate_u32(std::size_t count) {
    return static_cast<std::uint32_t>(
        std::min<std::size_t>(count, std::numeric_limits<std::uint32_t>::max()));
}

std::size_t listed_holders(const CatalogHit& hit) {
    return std::min<std::size_t>(hit.holders.size(), protocol::max_holders_per_result);
}

protocol::SearchHitHeader header_of(const CatalogHit& hit) {
    const std::size_t listed = listed_holders(hit);
    return {hit.name, hit.size, hit.root, saturate_u32(std::max(hit.holder_total, listed)),
            static_cast<std::uint16_t>(listed)};
}

protocol::HolderFields fields_of(const CatalogAnswer& answer, const CatalogHit& hit,
                                 const CatalogHolder& holder) {
    const PeerInfo& peer = answer.peer_of(holder);
    return {holder.peer_id,   peer.name,      peer.address,
            peer.upload_port, holder.file_id, hit.name_of(holder)};
}

std::size_t encoded_size(const CatalogAnswer& answer, const CatalogHit& hit) {
    std::size_t size = protocol::encoded_size(header_of(hit));
    for (std::size_t i = 0; i < listed_holders(hit); ++i)
        size += protocol::encoded_size(fields_of(answer, hit, hit.holders[i]));
    return size;
}

} // namespace

std::size_t search_hit_limit(std::uint16_t requested, std::uint32_t index_max_results) {
    std::size_t limit = index_max_results;
    if (requested != 0) limit = std::min<std::size_t>(limit, requested);
    return std::min<std::size_t>(limit, std::numeric_limits<std::uint16_t>::max());
}

SearchReply search_reply(std::uint32_t request_id, const CatalogAnswer& answer,
                         std::size_t max_hits) {
    max_hits = std::min<std::size_t>(max_hits, std::numeric_limits<std::uint16_t>::max());
    // Sizes first: the hits that fit, and the frame's length, written before them.
    std::size_t frame_bytes = protocol::frame_header_size + protocol::search_result_header_size;
    SearchReply reply;
    for (const auto& hit : answer.hits) {
        if (reply.hit_count == max_hits) break;
        std::size_t size = encoded_size(answer, hit);
        if (frame_bytes + size > protocol::max_frame_length) break;
        frame_bytes += size;
        ++reply.hit_count;
    }
    reply.total_matches = saturate_u32(std::max(answer.total_matches, reply.hit_count));
    // A count past what a u32 holds is a lower bound too.
    const bool lower_bound = answer.total_is_lower_bound ||
                             answer.total_matches > std::numeric_limits<std::uint32_t>::max();

    reply.frame.reserve(frame_bytes);
    ByteWriter w(reply.frame);
    protocol::write_frame_header(w, protocol::MessageType::search_result,
                                 frame_bytes - protocol::frame_header_size);
    protocol::write_search_result_header(w, request_id, reply.total_matches, lower_bound,
                                         static_cast<std::uint16_t>(reply.hit_count));
    for (std::size_t i = 0; i < reply.hit_count; ++i) {
        const CatalogHit& hit = answer.hits[i];
        protocol::write_search_hit_header(w, header_of(hit));
        for (std::size_t k = 0; k < listed_holders(hit); ++k)
            protocol::write_holder(w, fields_of(answer, hit, hit.holders[k]));
    }
    return reply;
}

} // namespace napster
