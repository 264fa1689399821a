// SPDX-License-Identifier: MIT
// The SEARCH_RESULT a peer gets for a catalog's answer: the request id, the
// hit limit, the holder cap and the one-frame cap, whatever the catalog
// answered.

#include "index/search_reply.h"

#include "protocol/frame_codec.h"
#include "protocol/message_codec.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace napster;

namespace {

CatalogHit hit_with_holders(std::string name, std::uint64_t size, std::uint32_t holders,
                            std::size_t text_bytes = 8) {
    CatalogHit hit{name, size, std::nullopt, holders, {}};
    for (std::uint32_t id = 1; id <= holders; ++id)
        hit.holders.push_back(CatalogHolder{id, fmt::format("{:0{}}", id, text_bytes),
                                            fmt::format("{:0{}}", id, text_bytes),
                                            static_cast<std::uint16_t>(6000 + id), 100 + id, name});
    return hit;
}

protocol::SearchResult decode_frame(const Bytes& bytes) {
    auto frame = protocol::parse_frame(bytes);
    REQUIRE(frame.status == protocol::FrameStatus::complete);
    REQUIRE(frame.consumed == bytes.size());
    REQUIRE(frame.frame.type == protocol::MessageType::search_result);
    auto decoded = protocol::decode_message<protocol::SearchResult>(frame.frame.payload);
    REQUIRE(decoded.ok());
    return *decoded;
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
        CatalogHit{latin1, 9, std::nullopt, 1, {CatalogHolder{3, "p3", "::1", 7000, 42, latin1}}});
    std::vector<CatalogHolder> two{CatalogHolder{1, "p1", "10.0.0.1", 6001, 7, raw},
                                   CatalogHolder{2, "p2", "10.0.0.2", 6002, 8, raw}};
    answer.hits.push_back(CatalogHit{raw, 10, std::nullopt, 2, two});
    answer.total_matches = 2;

    auto r = search_reply(4242, answer, 100);
    CHECK(r.request_id == 4242);
    CHECK(r.total_matches == 2);
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[0] ==
          protocol::SearchHit{
              latin1, 9, std::nullopt, 1, {protocol::Holder{3, "p3", "::1", 7000, 42, latin1}}});
    CHECK(r.hits[1].name == raw);
    CHECK(r.hits[1].holder_total == 2);
    CHECK(r.hits[1].holders.at(1) == protocol::Holder{2, "p2", "10.0.0.2", 6002, 8, raw});
    CHECK(decode_frame(protocol::encode_message(r)) == r);
}

TEST_CASE("nothing found is a reply with no hits, not an error") {
    auto r = search_reply(9, CatalogAnswer{}, 100);
    CHECK(r.request_id == 9);
    CHECK(r.total_matches == 0);
    CHECK(r.hits.empty());
    CHECK(decode_frame(protocol::encode_message(r)) == r);
}

TEST_CASE("at most max_hits hits go out; total_matches keeps the answer's count") {
    CatalogAnswer answer;
    for (int i = 0; i < 10; ++i)
        answer.hits.push_back(hit_with_holders(fmt::format("track{:02}", i), 1, 1));
    answer.total_matches = 250;

    auto r = search_reply(1, answer, 4);
    REQUIRE(r.hits.size() == 4);
    CHECK(r.hits.back().name == "track03");
    CHECK(r.total_matches == 250);
    CHECK(search_reply(1, answer, 100).hits.size() == 10);
    // A catalog that counted fewer than it listed: never fewer than are sent.
    answer.total_matches = 3;
    CHECK(search_reply(1, answer, 100).total_matches == 10);
    // More than a u32 counts: saturated, not wrapped.
    answer.total_matches = std::size_t{1} << 40;
    CHECK(search_reply(1, answer, 100).total_matches == std::numeric_limits<std::uint32_t>::max());
}

TEST_CASE("holders past max_holders_per_result are cut; holder_total counts them all") {
    constexpr std::uint32_t listed = protocol::max_holders_per_result + 5;
    CatalogAnswer answer;
    answer.hits.push_back(hit_with_holders("popular.mp3", 4242, listed));
    answer.hits[0].holder_total = 1000;
    answer.total_matches = 1;

    auto r = search_reply(1, answer, 100);
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].holder_total == 1000);
    REQUIRE(r.hits[0].holders.size() == protocol::max_holders_per_result);
    CHECK(r.hits[0].holders.back().peer_id == protocol::max_holders_per_result);
    CHECK(decode_frame(protocol::encode_message(r)) == r);

    // A holder_total below the holders listed is raised to them.
    answer.hits[0].holder_total = 2;
    CHECK(search_reply(1, answer, 100).hits[0].holder_total == protocol::max_holders_per_result);
}

TEST_CASE("a reply never grows past one frame, however many hits the answer has") {
    // 400 hits with 255-byte names, each with 32 holders whose names and
    // addresses are the longest the wire allows: about 4.9 KB a hit, so a
    // few hundred would pass 1 MiB.
    constexpr std::size_t hit_total = 400;
    CatalogAnswer answer;
    for (std::size_t i = 0; i < hit_total; ++i)
        answer.hits.push_back(hit_with_holders(fmt::format("{:03}", i) + std::string(252, 'z'), i,
                                               protocol::max_holders_per_result,
                                               protocol::max_peer_name));
    answer.total_matches = 5000;

    auto r = search_reply(77, answer, 60000);
    CHECK(r.total_matches == 5000);
    REQUIRE(r.hits.size() > 0);
    CHECK(r.hits.size() < hit_total);
    for (std::size_t i = 0; i < r.hits.size(); ++i)
        CHECK(r.hits[i].name == answer.hits[i].name); // the first ones, in order

    auto bytes = protocol::encode_message(r);
    CHECK(bytes.size() <= protocol::max_frame_length);
    // Not needlessly short either: the next hit would not have fitted.
    auto next = search_reply(77, CatalogAnswer{{answer.hits[r.hits.size()]}, 1}, 1);
    REQUIRE(next.hits.size() == 1);
    CHECK(bytes.size() + protocol::encoded_size(next.hits[0]) > protocol::max_frame_length);

    auto decoded = decode_frame(bytes);
    CHECK(decoded.request_id == 77);
    CHECK(decoded.total_matches == 5000);
    CHECK(decoded.hits == r.hits);
}
