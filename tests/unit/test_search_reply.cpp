// SPDX-License-Identifier: MIT
// The SEARCH_RESULT a peer gets for a catalog's answer: the request id, the
// hit limit, the holder cap and the one-frame cap, whatever the catalog
// answered.

#include "index/search_reply.h"

#include "content/sha256.h"
#include "protocol/frame_codec.h"
#include "protocol/index_messages.h"
#include "protocol/message_codec.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace napster;

namespace {

// Adds a peer to the answer, as a catalog does for the first holder at it.
std::uint32_t add_peer(CatalogAnswer& answer, PeerInfo info) {
    answer.peers.push_back(std::make_shared<const PeerInfo>(std::move(info)));
    return static_cast<std::uint32_t>(answer.peers.size() - 1);
}

// A holder at a peer of its own, named `name` (empty: the hit's name).
CatalogHolder holder(CatalogAnswer& answer, std::uint32_t id, std::string peer_name,
                     std::string address, std::uint16_t port, std::uint64_t file_id,
                     std::string name = {}) {
    return CatalogHolder{
        id, add_peer(answer, PeerInfo{id, std::move(peer_name), std::move(address), port}), file_id,
        std::move(name)};
}

CatalogHit hit_with_holders(CatalogAnswer& answer, std::string name, std::uint64_t size,
                            std::uint32_t holders, std::size_t text_bytes = 8) {
    CatalogHit hit{name, size, std::nullopt, holders, {}};
    for (std::uint32_t id = 1; id <= holders; ++id)
        hit.holders.push_back(holder(answer, id, fmt::format("{:0{}}", id, text_bytes),
                                     fmt::format("{:0{}}", id, text_bytes),
                                     static_cast<std::uint16_t>(6000 + id), 100 + id));
    return hit;
}

content::Digest root_of(std::uint8_t fill) {
    content::Digest root;
    root.fill(std::byte{fill});
    return root;
}

// A hit with a root, as the catalog gives one: each holder names the
// content its own way, here with the longest name a holder can have.
CatalogHit hashed_hit_with_holders(CatalogAnswer& answer, std::string name, std::uint64_t size,
                                   std::uint32_t holders, std::size_t text_bytes,
                                   std::uint8_t fill) {
    CatalogHit hit = hit_with_holders(answer, std::move(name), size, holders, text_bytes);
    hit.root = root_of(fill);
    for (auto& h : hit.holders)
        h.name = fmt::format("{:05}", h.peer_id) + std::string(protocol::max_file_name - 5, 'h');
    return hit;
}

protocol::SearchResult decode_frame(const Bytes& bytes) {
    auto frame = protocol::parse_frame(bytes);
    REQUIRE(frame.status == protocol::FrameStatus::complete);
    REQUIRE(frame.consumed == bytes.size());
    REQUIRE(frame.frame.type == protocol::MessageType::search_result);
    auto decoded = protocol::decode_message<protocol::SearchResult>(frame.frame.payload);
    REQUIRE(decoded.ok());
    // Written straight from the answer, it is what SearchResult::write
    // makes of the same message, byte for byte.
    CHECK(protocol::encode_message(*decoded) == bytes);
    return *decoded;
}

// The reply, decoded; its hit count and total must be what the frame says.
protocol::SearchResult reply_to(std::uint32_t request_id, const CatalogAnswer& answer,
                                std::size_t max_hits) {
    SearchReply reply = search_reply(request_id, answer, max_hits);
    protocol::SearchResult result = decode_frame(reply.frame);
    CHECK(result.hits.size() == reply.hit_count);
    CHECK(result.total_matches == reply.total_matches);
    return result;
}

// An answer of one hit, with the peers its holders are at.
CatalogAnswer answer_of(const CatalogAnswer& from, const CatalogHit& hit) {
    CatalogAnswer one{{hit}, 1};
    one.peers = from.peers;
    return one;
}

} // namespace

TEST_CASE("search_hit_limit: the smallest of the request's, the index's and 65535") {
    CHECK(search_hit_limit(0, 100) == 100);
    CHECK(search_hit_limit(5, 100) == 5);
    CHECK(search_hit_limit(500, 100) == 100);
    CHECK(search_hit_limit(100, 100) == 100);
    CHECK(search_hit_limit(0, 70000) == 65535);
    CHECK(search_hit_limit(65535, 70000) == 65535);
}

TEST_CASE("the reply carries the request id and the hits byte for byte") {
    const std::string latin1("Bj\xF6rk - J\xF3ga.MP3");
    const std::string raw("\xFF\xFE\x80\x01\x7F tail", 10);
    CatalogAnswer answer;
    answer.hits.push_back(
        CatalogHit{latin1, 9, std::nullopt, 1, {holder(answer, 3, "p3", "::1", 7000, 42)}});
    std::vector<CatalogHolder> two{holder(answer, 1, "p1", "10.0.0.1", 6001, 7),
                                   holder(answer, 2, "p2", "10.0.0.2", 6002, 8)};
    answer.hits.push_back(CatalogHit{raw, 10, std::nullopt, 2, two});
    // A peer with holders in two hits is in the answer once.
    answer.hits.push_back(
        CatalogHit{"again", 11, std::nullopt, 1, {CatalogHolder{2, two[1].peer, 9, ""}}});
    answer.total_matches = 3;

    auto r = reply_to(4242, answer, 100);
    CHECK(r.request_id == 4242);
    CHECK(r.total_matches == 3);
    REQUIRE(r.hits.size() == 3);
    CHECK(r.hits[0] ==
          protocol::SearchHit{
              latin1, 9, std::nullopt, 1, {protocol::Holder{3, "p3", "::1", 7000, 42, latin1}}});
    CHECK(r.hits[1].name == raw);
    CHECK(r.hits[1].holder_total == 2);
    CHECK(r.hits[1].holders.at(1) == protocol::Holder{2, "p2", "10.0.0.2", 6002, 8, raw});
    CHECK(r.hits[2].holders.at(0) == protocol::Holder{2, "p2", "10.0.0.2", 6002, 9, "again"});
}

TEST_CASE("a hit with a root carries it, and each holder its own name, byte for byte") {
    const std::string raw("\xFF\xFE\x80\x01\x7F tail", 10);
    const std::string longest(protocol::max_file_name, 'n');
    CatalogAnswer answer;
    // The catalog leaves a holder's name empty when it is the hit's.
    answer.hits.push_back(CatalogHit{"a.ogg",
                                     9,
                                     root_of(0x5a),
                                     3,
                                     {holder(answer, 1, "p1", "10.0.0.1", 6001, 7),
                                      holder(answer, 2, "p2", "::1", 6002, 8, raw),
                                      holder(answer, 3, "p3", "10.0.0.3", 6003, 9, longest)}});
    // The same name and size without a root: another hit, one name.
    answer.hits.push_back(CatalogHit{
        "a.ogg", 9, std::nullopt, 1, {holder(answer, 4, "p4", "10.0.0.4", 6004, 1, "a.ogg")}});
    answer.total_matches = 2;

    auto r = reply_to(5, answer, 100);
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[0] == protocol::SearchHit{"a.ogg", 9, root_of(0x5a), 3,
                                           {protocol::Holder{1, "p1", "10.0.0.1", 6001, 7, "a.ogg"},
                                            protocol::Holder{2, "p2", "::1", 6002, 8, raw},
                                            protocol::Holder{3, "p3", "10.0.0.3", 6003, 9,
                                                             longest}}});
    CHECK_FALSE(r.hits[1].root.has_value());
    CHECK(r.hits[1].holders.at(0).name == "a.ogg");
}

TEST_CASE("encoded_size is what a hit adds to the frame, root and holder names included") {
    auto bytes_of = [](std::vector<protocol::SearchHit> hits) {
        protocol::SearchResult result;
        result.request_id = 1;
        result.total_matches = static_cast<std::uint32_t>(hits.size());
        result.hits = std::move(hits);
        return protocol::encode_message(result).size();
    };
    const std::size_t empty = bytes_of({});
    CHECK(empty == protocol::frame_header_size + protocol::search_result_header_size);
    CatalogAnswer answer;
    std::vector<CatalogHit> hits = {
        hit_with_holders(answer, "plain", 1, 1),
        hit_with_holders(answer, std::string(protocol::max_file_name, 'z'), 2,
                         protocol::max_holders_per_result, protocol::max_peer_name),
        hashed_hit_with_holders(answer, "hashed", 3, 1, 8, 1),
        hashed_hit_with_holders(answer, "hashed", 4, protocol::max_holders_per_result,
                                protocol::max_peer_name, 2),
        CatalogHit{"no holders listed", 5, root_of(3), 40, {}},
    };
    std::vector<protocol::SearchHit> all;
    std::size_t sum = 0;
    for (const auto& hit : hits) {
        auto wire = reply_to(1, answer_of(answer, hit), 1).hits.at(0);
        INFO(wire.name.substr(0, 20), " ", wire.size);
        CHECK(protocol::encoded_size(wire) == bytes_of({wire}) - empty);
        sum += protocol::encoded_size(wire);
        all.push_back(wire);
    }
    CHECK(bytes_of(all) == empty + sum);
    // A root is 1 + 32 bytes where none is 1.
    auto with_root = reply_to(1, answer_of(answer, hits[2]), 1).hits.at(0);
    auto without_root = with_root;
    without_root.root.reset();
    CHECK(protocol::encoded_size(with_root) ==
          protocol::encoded_size(without_root) + content::digest_size);
}

TEST_CASE("nothing found is a reply with no hits, not an error") {
    auto r = reply_to(9, CatalogAnswer{}, 100);
    CHECK(r.request_id == 9);
    CHECK(r.total_matches == 0);
    CHECK(r.hits.empty());
}

TEST_CASE("at most max_hits hits go out; total_matches keeps the answer's count") {
    CatalogAnswer answer;
    for (int i = 0; i < 10; ++i)
        answer.hits.push_back(hit_with_holders(answer, fmt::format("track{:02}", i), 1, 1));
    answer.total_matches = 250;

    auto r = reply_to(1, answer, 4);
    REQUIRE(r.hits.size() == 4);
    CHECK(r.hits.back().name == "track03");
    CHECK(r.total_matches == 250);
    CHECK(reply_to(1, answer, 100).hits.size() == 10);
    // A catalog that counted fewer than it listed: never fewer than are sent.
    answer.total_matches = 3;
    CHECK(reply_to(1, answer, 100).total_matches == 10);
    // More than a u32 counts: saturated, not wrapped.
    answer.total_matches = std::size_t{1} << 40;
    CHECK(reply_to(1, answer, 100).total_matches == std::numeric_limits<std::uint32_t>::max());
}

TEST_CASE("holders past max_holders_per_result are cut; holder_total counts them all") {
    constexpr std::uint32_t listed = protocol::max_holders_per_result + 5;
    CatalogAnswer answer;
    answer.hits.push_back(hit_with_holders(answer, "popular.mp3", 4242, listed));
    answer.hits[0].holder_total = 1000;
    answer.total_matches = 1;

    auto r = reply_to(1, answer, 100);
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].holder_total == 1000);
    REQUIRE(r.hits[0].holders.size() == protocol::max_holders_per_result);
    CHECK(r.hits[0].holders.back().peer_id == protocol::max_holders_per_result);

    // A holder_total below the holders listed is raised to them.
    answer.hits[0].holder_total = 2;
    CHECK(reply_to(1, answer, 100).hits[0].holder_total == protocol::max_holders_per_result);
}

TEST_CASE("a reply never grows past one frame, however many hits the answer has") {
    // 400 hits with 255-byte names, each with 32 holders whose names and
    // addresses are the longest the wire allows: about 4.9 KB a hit, so a
    // few hundred would pass 1 MiB. With a root each holder also has a
    // 255-byte name of its own: about 13 KB a hit.
    constexpr std::size_t hit_total = 400;
    CatalogAnswer answer;
    bool hashed = false;
    SUBCASE("without roots") {
        hashed = false;
    }
    SUBCASE("with roots and holder names") {
        hashed = true;
    }
    for (std::size_t i = 0; i < hit_total; ++i) {
        std::string name = fmt::format("{:03}", i) + std::string(252, 'z');
        answer.hits.push_back(
            hashed ? hashed_hit_with_holders(answer, name, i, protocol::max_holders_per_result,
                                             protocol::max_peer_name, static_cast<std::uint8_t>(i))
                   : hit_with_holders(answer, name, i, protocol::max_holders_per_result,
                                      protocol::max_peer_name));
    }
    answer.total_matches = 5000;

    SearchReply reply = search_reply(77, answer, 60000);
    CHECK(reply.frame.size() <= protocol::max_frame_length);
    auto r = decode_frame(reply.frame);
    CHECK(r.request_id == 77);
    CHECK(r.total_matches == 5000);
    REQUIRE(r.hits.size() > 0);
    CHECK(r.hits.size() == reply.hit_count);
    CHECK(r.hits.size() < hit_total);
    for (std::size_t i = 0; i < r.hits.size(); ++i)
        CHECK(r.hits[i].name == answer.hits[i].name); // the first ones, in order

    // Not needlessly short either: the next hit would not have fitted.
    auto next = reply_to(77, answer_of(answer, answer.hits[r.hits.size()]), 1);
    REQUIRE(next.hits.size() == 1);
    CHECK(reply.frame.size() + protocol::encoded_size(next.hits[0]) > protocol::max_frame_length);
}

TEST_CASE("a total the catalog stopped counting stays flagged a lower bound") {
    CatalogAnswer counted{{}, 7};
    CHECK_FALSE(reply_to(1, counted, 100).total_is_lower_bound);
    CatalogAnswer capped{{}, 20000, true};
    auto reply = reply_to(1, capped, 100);
    CHECK(reply.total_matches == 20000);
    CHECK(reply.total_is_lower_bound);
    // A count a u32 cannot carry is a lower bound too.
    CatalogAnswer huge{{}, std::size_t{1} << 33};
    reply = reply_to(1, huge, 100);
    CHECK(reply.total_matches == 0xFFFFFFFFu);
    CHECK(reply.total_is_lower_bound);
}
