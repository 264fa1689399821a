// SPDX-License-Identifier: MIT
#include "catalog/catalog.h"

#include "protocol/protocol.h"
#include "util/text.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace napster;

namespace {

CatalogFile file(std::uint64_t id, std::string name, std::uint64_t size) {
    return CatalogFile{id, std::move(name), size, std::nullopt};
}

PeerInfo peer(std::uint32_t id) {
    return PeerInfo{id, fmt::format("peer{}", id), fmt::format("10.0.0.{}", id),
                    static_cast<std::uint16_t>(6000 + id)};
}

CatalogQuery words(std::string text, std::size_t max_hits = 0) {
    return CatalogQuery{std::move(text), std::nullopt, false, max_hits};
}

CatalogQuery exact(std::string text) {
    return CatalogQuery{std::move(text), std::nullopt, true, 0};
}

std::vector<std::string> hit_names(const CatalogAnswer& r) {
    std::vector<std::string> names;
    for (const auto& hit : r.hits)
        names.push_back(hit.name);
    return names;
}

// (peer id, file id) of every holder sent with a hit.
using HolderIds = std::vector<std::pair<std::uint32_t, std::uint64_t>>;

HolderIds holders_of(const CatalogHit& hit) {
    HolderIds out;
    for (const auto& h : hit.holders)
        out.emplace_back(h.peer_id, h.file_id);
    return out;
}

Result<AddOutcome> add(Catalog& c, std::uint32_t peer_id, std::vector<CatalogFile> files) {
    return c.add_files(peer_id, files);
}

std::size_t remove(Catalog& c, std::uint32_t peer_id, std::vector<std::uint64_t> ids) {
    return c.remove_files(peer_id, ids);
}

} // namespace

TEST_CASE("add_files adds new ids and counts them per peer") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    auto r = add(c, 1, {file(10, "a.txt", 1), file(11, "b.txt", 2)});
    REQUIRE(r.ok());
    CHECK(r->added == 2);
    CHECK(r->replaced == 0);
    CHECK(c.file_count() == 2);
    CHECK(c.peer_file_count(1) == 2);
    CHECK(c.peer_file_count(2) == 0);
    CHECK(c.peer_file_count(99) == 0);
    CHECK(c.peer_count() == 2);
    CHECK(c.group_count() == 2);
    CHECK(hit_names(c.search(words("txt"))) == std::vector<std::string>{"a.txt", "b.txt"});
}

TEST_CASE("add_files for an unknown peer fails and changes nothing") {
    Catalog c({});
    c.add_peer(peer(1));
    REQUIRE(add(c, 1, {file(1, "kept", 1)}).ok());
    auto r = add(c, 3, {file(1, "x", 1)});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::not_found);
    CHECK(r.error().message.find("peer 3") != std::string::npos);
    CHECK_FALSE(c.has_peer(3));
    CHECK(c.file_count() == 1);
    CHECK(c.search(words("x")).total_matches == 0);
}

TEST_CASE("add_files replaces an id already held, moving it to its new group") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {file(5, "old.txt", 100)}).ok());
    REQUIRE(add(c, 2, {file(9, "old.txt", 100)}).ok());
    REQUIRE(c.group_count() == 1);

    SUBCASE("new name") {
        auto r = add(c, 1, {file(5, "new.txt", 100)});
        REQUIRE(r.ok());
        CHECK(r->added == 0);
        CHECK(r->replaced == 1);
        CHECK(c.file_count() == 2);
        CHECK(c.peer_file_count(1) == 1);
        CHECK(c.group_count() == 2);
        auto old_hits = c.search(exact("old.txt"));
        REQUIRE(old_hits.hits.size() == 1);
        CHECK(holders_of(old_hits.hits[0]) == HolderIds{{2, 9}});
        auto new_hits = c.search(exact("new.txt"));
        REQUIRE(new_hits.hits.size() == 1);
        CHECK(holders_of(new_hits.hits[0]) == HolderIds{{1, 5}});
    }
    SUBCASE("new size only") {
        REQUIRE(add(c, 1, {file(5, "old.txt", 200)}).ok());
        auto r = c.search(exact("old.txt"));
        REQUIRE(r.hits.size() == 2);
        CHECK(r.hits[0].size == 100);
        CHECK(r.hits[0].holder_total == 1);
        CHECK(r.hits[1].size == 200);
        CHECK(r.hits[1].holders.at(0).peer_id == 1);
    }
    SUBCASE("the same entry again changes nothing but counts as replaced") {
        auto r = add(c, 1, {file(5, "old.txt", 100)});
        REQUIRE(r.ok());
        CHECK(r->replaced == 1);
        CHECK(c.group_count() == 1);
        CHECK(c.search(exact("old.txt")).hits.at(0).holder_total == 2);
    }
    SUBCASE("the group empties and is erased when its last holder moves") {
        REQUIRE(add(c, 2, {file(9, "other.txt", 100)}).ok());
        REQUIRE(add(c, 1, {file(5, "other.txt", 100)}).ok());
        CHECK(c.group_count() == 1);
        CHECK(c.search(words("old")).total_matches == 0);
        CHECK(c.search(exact("other.txt")).hits.at(0).holder_total == 2);
    }
}

TEST_CASE("an id sent twice in one batch: the last entry wins and counts once") {
    Catalog c({});
    c.add_peer(peer(1));
    REQUIRE(add(c, 1, {file(1, "held", 1)}).ok());
    auto r = add(
        c, 1,
        {file(7, "first", 1), file(7, "second", 1), file(1, "held-a", 1), file(1, "held-b", 1)});
    REQUIRE(r.ok());
    CHECK(r->added == 1);
    CHECK(r->replaced == 1);
    CHECK(c.file_count() == 2);
    CHECK(c.peer_file_count(1) == 2);
    CHECK(c.group_count() == 2);
    CHECK(hit_names(c.search(words("s"))) == std::vector<std::string>{"second"});
    CHECK(c.search(words("first")).total_matches == 0);
    CHECK(hit_names(c.search(words("held"))) == std::vector<std::string>{"held-b"});
}

TEST_CASE("max_files_per_peer: the exact boundary passes, one more fails and changes nothing") {
    Catalog c(CatalogLimits{3, 100});
    c.add_peer(peer(3));
    c.add_peer(peer(4));
    REQUIRE(add(c, 3, {file(1, "one", 1), file(2, "two", 1)}).ok());

    // Duplicates of one new id count once: 2 held + 1 new = 3 is allowed.
    auto at_limit = add(c, 3, {file(3, "three", 1), file(3, "three", 1), file(3, "three", 1)});
    REQUIRE(at_limit.ok());
    CHECK(at_limit->added == 1);
    CHECK(c.peer_file_count(3) == 3);

    // Replacing at the limit adds nothing, so it is allowed.
    REQUIRE(add(c, 3, {file(1, "uno", 1)}).ok());

    // One new id past the limit: the replacement in the same batch must not happen.
    auto over = add(c, 3, {file(2, "renamed", 1), file(4, "four", 1)});
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().code == ErrorCode::limit_exceeded);
    CHECK(over.error().message == "peer 3 would hold 4 files, limits.max_files_per_peer is 3");
    CHECK(c.peer_file_count(3) == 3);
    CHECK(c.file_count() == 3);
    CHECK(c.search(words("renamed")).total_matches == 0);
    CHECK(c.search(exact("two")).total_matches == 1);
    CHECK(c.search(words("four")).total_matches == 0);

    // The limit is per peer: another peer still has room.
    CHECK(add(c, 4, {file(1, "a", 1), file(2, "b", 1), file(3, "c", 1)}).ok());
    CHECK(c.file_count() == 6);

    // Removing makes room again.
    CHECK(remove(c, 3, {1}) == 1);
    CHECK(add(c, 3, {file(4, "four", 1)}).ok());
    CHECK(c.peer_file_count(3) == 3);
}

TEST_CASE("a first batch larger than the limit is refused with the limit named") {
    Catalog c(CatalogLimits{5, 100});
    c.add_peer(peer(3));
    std::vector<CatalogFile> batch;
    for (std::uint64_t i = 0; i < 6; ++i)
        batch.push_back(file(i, "f", i % 2));
    auto r = c.add_files(3, batch);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::limit_exceeded);
    CHECK(r.error().message == "peer 3 would hold 6 files, limits.max_files_per_peer is 5");
    CHECK(c.file_count() == 0);
    CHECK(c.group_count() == 0);
}

TEST_CASE("names a SEARCH_RESULT could not carry are refused, changing nothing") {
    Catalog c({});
    c.add_peer(peer(1));
    std::string bad_name;
    SUBCASE("empty") {
        bad_name = "";
    }
    SUBCASE("slash") {
        bad_name = "a/b";
    }
    SUBCASE("dot dot") {
        bad_name = "..";
    }
    SUBCASE("256 bytes") {
        bad_name = std::string(256, 'n');
    }
    SUBCASE("NUL") {
        bad_name = std::string("a\0b", 3);
    }
    auto r = add(c, 1, {file(1, "good", 1), file(2, bad_name, 1)});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid_argument);
    CHECK(r.error().message.find("file id 2") != std::string::npos);
    CHECK(c.file_count() == 0);
    CHECK(c.group_count() == 0);
}

TEST_CASE("remove_files removes only held ids and ignores the rest") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {file(1, "a", 1), file(2, "b", 1), file(3, "c", 1)}).ok());
    REQUIRE(add(c, 2, {file(1, "a", 1)}).ok());

    CHECK(remove(c, 1, {1, 1, 42}) == 1);
    CHECK(c.file_count() == 3);
    CHECK(c.peer_file_count(1) == 2);
    CHECK(c.peer_file_count(2) == 1);
    auto a = c.search(exact("a"));
    REQUIRE(a.hits.size() == 1);
    CHECK(a.hits[0].holder_total == 1);
    CHECK(a.hits[0].holders.at(0).peer_id == 2);

    CHECK(remove(c, 9, {2}) == 0);
    CHECK(remove(c, 1, {}) == 0);
    CHECK(c.file_count() == 3);

    CHECK(remove(c, 1, {2, 3}) == 2);
    CHECK(c.file_count() == 1);
    CHECK(c.peer_file_count(1) == 0);
    CHECK(c.group_count() == 1);
    CHECK(c.has_peer(1)); // removing every file keeps the peer
}

TEST_CASE("remove_peer drops that peer's files only") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {file(1, "shared.mp3", 5), file(2, "only1.mp3", 5)}).ok());
    REQUIRE(add(c, 2, {file(1, "shared.mp3", 5), file(2, "only2.mp3", 5)}).ok());
    REQUIRE(c.group_count() == 3);

    CHECK(c.remove_peer(1) == 2);
    CHECK_FALSE(c.has_peer(1));
    CHECK(c.peer_count() == 1);
    CHECK(c.file_count() == 2);
    CHECK(c.peer_file_count(1) == 0);
    CHECK(c.peer_file_count(2) == 2);
    CHECK(c.group_count() == 2);
    auto r = c.search(words("mp3"));
    CHECK(hit_names(r) == std::vector<std::string>{"only2.mp3", "shared.mp3"});
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[1].holder_total == 1);
    CHECK(r.hits[1].holders.at(0).peer_id == 2);

    CHECK(c.remove_peer(1) == 0);
    CHECK(c.remove_peer(2) == 2);
    CHECK(c.file_count() == 0);
    CHECK(c.group_count() == 0);
    CHECK(c.search(words("mp3")).total_matches == 0);

    // A peer that comes back starts empty.
    c.add_peer(peer(1));
    CHECK(c.peer_file_count(1) == 0);
}

TEST_CASE("add_peer again replaces the info and keeps the files") {
    Catalog c({});
    c.add_peer(peer(1));
    REQUIRE(add(c, 1, {file(1, "song", 3)}).ok());
    c.add_peer(PeerInfo{1, "renamed", "::1", 7000});
    CHECK(c.peer_count() == 1);
    CHECK(c.peer_file_count(1) == 1);
    auto r = c.search(exact("song"));
    REQUIRE(r.hits.size() == 1);
    REQUIRE(r.hits[0].holders.size() == 1);
    CHECK(r.hits[0].holders[0] == CatalogHolder{1, "renamed", "::1", 7000, 1, "song"});
}

TEST_CASE("equal name and size merge across peers; another size is another hit") {
    Catalog c({});
    for (std::uint32_t id : {3u, 1u, 2u})
        c.add_peer(peer(id));
    // Added out of order: holders still come back sorted by peer, then file id.
    REQUIRE(add(c, 3, {file(8, "file8_3.txt", 10)}).ok());
    REQUIRE(add(c, 1, {file(20, "file8_3.txt", 10), file(4, "file8_3.txt", 10)}).ok());
    REQUIRE(add(c, 2, {file(1, "file8_3.txt", 11)}).ok());
    CHECK(c.group_count() == 2);

    auto r = c.search(words("file8_3"));
    CHECK(r.total_matches == 2);
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[0].size == 10);
    CHECK(r.hits[0].holder_total == 3);
    CHECK(holders_of(r.hits[0]) == HolderIds{{1, 4}, {1, 20}, {3, 8}});
    CHECK(r.hits[0].holders[2] == CatalogHolder{3, "peer3", "10.0.0.3", 6003, 8, "file8_3.txt"});
    CHECK(r.hits[1].size == 11);
    CHECK(holders_of(r.hits[1]) == HolderIds{{2, 1}});
}

TEST_CASE("hits are sorted by name, then size") {
    Catalog c({});
    c.add_peer(peer(1));
    REQUIRE(
        add(c, 1,
            {file(1, "b", 5), file(2, "a", 9), file(3, "b", 1), file(4, "ab", 0), file(5, "a", 2)})
            .ok());
    auto r = c.search(words("a b"));
    CHECK(hit_names(r) == std::vector<std::string>{"ab"});
    r = c.search(words("b"));
    REQUIRE(r.hits.size() == 3);
    CHECK(r.hits[0].name == "ab");
    CHECK(r.hits[1].name == "b");
    CHECK(r.hits[1].size == 1);
    CHECK(r.hits[2].size == 5);
    r = c.search(exact("a"));
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[0].size == 2);
    CHECK(r.hits[1].size == 9);
}

TEST_CASE("exact search matches the whole name byte for byte; word search matches parts") {
    Catalog c({});
    c.add_peer(peer(1));
    REQUIRE(
        add(c, 1,
            {file(1, "file8_3.txt", 1), file(2, "file8_3.txt.bak", 1), file(3, "File8_3.txt", 1)})
            .ok());
    CHECK(hit_names(c.search(exact("file8_3.txt"))) == std::vector<std::string>{"file8_3.txt"});
    CHECK(hit_names(c.search(exact("File8_3.txt"))) == std::vector<std::string>{"File8_3.txt"});
    CHECK(c.search(exact("FILE8_3.TXT")).total_matches == 0);
    CHECK(c.search(exact("file8")).total_matches == 0);
    // Exact does not split on spaces or trim them.
    CHECK(c.search(exact("file8_3.txt ")).total_matches == 0);
    CHECK(c.search(words("file8_3.txt")).total_matches == 3);
    CHECK(c.search(words("bak")).total_matches == 1);
}

TEST_CASE("word search ignores ASCII case only") {
    Catalog c({});
    c.add_peer(peer(1));
    REQUIRE(add(c, 1,
                {file(1, "file8_3.txt", 1), file(2, "README.md", 1),
                 file(3, "caf\xC3\xA9.txt", 1)}) // "café.txt", lower-case é
                .ok());
    CHECK(hit_names(c.search(words("FILE8"))) == std::vector<std::string>{"file8_3.txt"});
    CHECK(hit_names(c.search(words("readme"))) == std::vector<std::string>{"README.md"});
    CHECK(hit_names(c.search(words("CAF"))) == std::vector<std::string>{"caf\xC3\xA9.txt"});
    CHECK(hit_names(c.search(words("\xC3\xA9"))) == std::vector<std::string>{"caf\xC3\xA9.txt"});
    // Folding is ASCII-only by design: "É" (C3 89) does not find "é" (C3 A9).
    // Unicode case folding would need tables and normalisation the index does
    // not carry; users type names as they are stored.
    CHECK(c.search(words("CAF\xC3\x89")).total_matches == 0);
    CHECK(c.search(words("\xC3\x89")).total_matches == 0);
}

TEST_CASE("every word must occur, in any order; blank queries match nothing") {
    Catalog c({});
    c.add_peer(peer(1));
    REQUIRE(add(c, 1,
                {file(1, "pink floyd - money.flac", 1), file(2, "money for nothing.mp3", 1),
                 file(3, "floyd.txt", 1)})
                .ok());
    CHECK(hit_names(c.search(words("money floyd"))) ==
          std::vector<std::string>{"pink floyd - money.flac"});
    CHECK(hit_names(c.search(words("  FLOYD\tmoney\n"))) ==
          std::vector<std::string>{"pink floyd - money.flac"});
    CHECK(c.search(words("money")).total_matches == 2);
    CHECK(c.search(words("money floyd zeppelin")).total_matches == 0);
    // No name holds NUL, so a query word with one matches nothing, even
    // where two stored names meet ("...money.flac" then "money for...").
    CHECK(c.search(words(std::string("flac\0money", 10))).total_matches == 0);
    CHECK(c.search(words(std::string("\0", 1))).total_matches == 0);
    auto blank = c.search(words(" \t "));
    CHECK(blank.total_matches == 0);
    CHECK(blank.hits.empty());
}

TEST_CASE("non-UTF-8 and 255-byte names are found and returned byte-exact") {
    Catalog c({});
    c.add_peer(peer(1));
    const std::string latin1("Bj\xF6rk - J\xF3ga.MP3");     // ISO-8859-1, not UTF-8
    const std::string raw("\xFF\xFE\x80\x01\x7F tail", 10); // bytes a terminal would mangle
    std::string longest(250, 'x');
    longest += "Q.ogg"; // 255 bytes, the most a Linux name can hold
    REQUIRE(longest.size() == 255);
    REQUIRE(add(c, 1, {file(1, latin1, 1), file(2, raw, 2), file(3, longest, 3)}).ok());

    auto r = c.search(words("j\xF3GA"));
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == latin1);
    // The 0xF6 byte is not ASCII: folding must not touch it.
    CHECK(c.search(words("bj\xD6rk")).total_matches == 0);

    r = c.search(words("\xFF\xFE"));
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == raw);
    r = c.search(exact(raw));
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == raw);

    r = c.search(words("q.OGG"));
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == longest);
    CHECK(c.search(exact(longest)).total_matches == 1);
}

TEST_CASE("limits.max_results and the query's max_hits cap the hits, total_matches counts all") {
    Catalog c(CatalogLimits{1000, 4});
    c.add_peer(peer(1));
    std::vector<CatalogFile> files;
    for (std::uint64_t i = 0; i < 10; ++i)
        files.push_back(file(i, fmt::format("track{:02}", i), i));
    files.push_back(file(99, "other", 1));
    REQUIRE(c.add_files(1, files).ok());

    auto r = c.search(words("track"));
    CHECK(r.total_matches == 10);
    CHECK(hit_names(r) == std::vector<std::string>{"track00", "track01", "track02", "track03"});

    r = c.search(words("track", 2));
    CHECK(r.total_matches == 10);
    CHECK(hit_names(r) == std::vector<std::string>{"track00", "track01"});

    // Asking for more than the catalog allows gets the catalog's limit.
    r = c.search(words("track", 50));
    CHECK(r.total_matches == 10);
    CHECK(r.hits.size() == 4);

    // Fewer matches than the limit: all of them.
    r = c.search(words("track0 9"));
    CHECK(r.total_matches == 1);
    CHECK(hit_names(r) == std::vector<std::string>{"track09"});

    Catalog wide(CatalogLimits{1000, 1000});
    wide.add_peer(peer(1));
    REQUIRE(wide.add_files(1, files).ok());
    CHECK(wide.search(words("track")).hits.size() == 10);
    CHECK(wide.search(words("track", 3)).hits.size() == 3);
}

TEST_CASE("holders are capped at max_holders_per_result, holder_total counts all") {
    constexpr std::uint32_t peers = protocol::max_holders_per_result + 8;
    Catalog c({});
    for (std::uint32_t id = peers; id >= 1; --id) {
        c.add_peer(peer(id));
        REQUIRE(add(c, id, {file(100 + id, "popular.mp3", 4242)}).ok());
    }
    auto r = c.search(words("popular"));
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].holder_total == peers);
    REQUIRE(r.hits[0].holders.size() == protocol::max_holders_per_result);
    for (std::uint32_t i = 0; i < protocol::max_holders_per_result; ++i) {
        const auto& h = r.hits[0].holders[i];
        CHECK(h == CatalogHolder{i + 1, fmt::format("peer{}", i + 1),
                                 fmt::format("10.0.0.{}", i + 1),
                                 static_cast<std::uint16_t>(6001 + i), 101 + i, "popular.mp3"});
    }

    // When a listed holder leaves, the next one moves up.
    CHECK(c.remove_peer(1) == 1);
    r = c.search(words("popular"));
    CHECK(r.hits.at(0).holder_total == peers - 1);
    CHECK(r.hits.at(0).holders.at(0).peer_id == 2);
    CHECK(r.hits.at(0).holders.back().peer_id == protocol::max_holders_per_result + 1);
}

TEST_CASE("an answer is not cut to a frame: that is the reply's business") {
    // 40 peers with the longest names and addresses the wire allows, each
    // holding the same 400 files with 255-byte names: about 4.9 KB a hit,
    // more than one SEARCH_RESULT frame could carry (index/search_reply).
    constexpr std::uint32_t peer_total = 40;
    constexpr std::uint64_t file_total = 400;
    Catalog c(CatalogLimits{1000000, 60000});
    std::vector<CatalogFile> files;
    for (std::uint64_t i = 0; i < file_total; ++i)
        files.push_back(file(i, fmt::format("{:03}", i) + std::string(252, 'z'), i));
    for (std::uint32_t id = 1; id <= peer_total; ++id) {
        c.add_peer(PeerInfo{id, fmt::format("{:064}", id), fmt::format("{:064}", id), 1});
        REQUIRE(c.add_files(id, files).ok());
    }
    REQUIRE(c.file_count() == peer_total * file_total);

    auto r = c.search(words("zzz"));
    CHECK(r.total_matches == file_total);
    REQUIRE(r.hits.size() == file_total);
    for (const auto& hit : r.hits) {
        CHECK(hit.holder_total == peer_total);
        CHECK(hit.holders.size() == protocol::max_holders_per_result);
    }
    CHECK(c.search(words("zzz", 7)).hits.size() == 7);
}

TEST_CASE("bookkeeping stays consistent through a mix of operations") {
    Catalog c(CatalogLimits{50, 100});
    for (std::uint32_t id = 1; id <= 5; ++id)
        c.add_peer(peer(id));
    std::size_t expected = 0;
    for (std::uint32_t id = 1; id <= 5; ++id) {
        std::vector<CatalogFile> files;
        for (std::uint64_t f = 0; f < 10 * id && f < 50; ++f)
            files.push_back(file(f, fmt::format("n{}", f % 7), f % 3));
        REQUIRE(c.add_files(id, files).ok());
        expected += files.size();
        CHECK(c.peer_file_count(id) == files.size());
        CHECK(c.file_count() == expected);
    }
    // Names n0..n6 and sizes 0..2: at most 21 groups, and every one is a hit.
    CHECK(c.group_count() <= 21);
    CHECK(c.search(words("n")).total_matches == c.group_count());

    CHECK(remove(c, 5, {0, 1, 2, 3, 4, 1000}) == 5);
    expected -= 5;
    CHECK(c.file_count() == expected);
    CHECK(c.peer_file_count(5) == 45);

    expected -= c.peer_file_count(4);
    CHECK(c.remove_peer(4) == 40);
    CHECK(c.file_count() == expected);

    for (std::uint32_t id : {1u, 2u, 3u, 5u})
        expected -= c.remove_peer(id);
    CHECK(expected == 0);
    CHECK(c.file_count() == 0);
    CHECK(c.group_count() == 0);
    CHECK(c.peer_count() == 0);
}

namespace {

// A brute-force model of the catalog, to compare against after random
// operations: what a search must return, computed the slow obvious way.
struct ModelFile {
    std::string name;
    std::uint64_t size;
};
using Model = std::map<std::uint32_t, std::map<std::uint64_t, ModelFile>>;

std::string fold(std::string s) {
    for (char& ch : s)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return s;
}

// Sorted (name, size) -> holder count of every group matching `word`.
std::map<std::pair<std::string, std::uint64_t>, std::uint32_t>
model_search(const Model& model, const std::string& word) {
    std::map<std::pair<std::string, std::uint64_t>, std::uint32_t> groups;
    for (const auto& [peer_id, files] : model)
        for (const auto& [file_id, f] : files)
            if (fold(f.name).find(fold(word)) != std::string::npos) ++groups[{f.name, f.size}];
    return groups;
}

} // namespace

TEST_CASE("random adds, replaces and removes agree with a brute-force model") {
    // Long names and many of them, so the packed name storage fills several
    // chunks, compacts them and reuses emptied ones along the way.
    std::mt19937 rng(20240601); // fixed seed: deterministic
    Catalog c(CatalogLimits{100000, 1000});
    Model model;
    auto pick = [&](std::uint32_t n) {
        return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng);
    };
    auto random_name = [&] {
        static const char* parts[] = {"Alpha", "beta", "GAMMA", "delta", "\xC3\xA9t\xC3\xA9",
                                      "\xFF"};
        std::string name = fmt::format("{}-", pick(50));
        std::size_t words = 1 + pick(20);
        for (std::size_t i = 0; i < words; ++i)
            name += fmt::format("{}{} ", parts[pick(6)], pick(9));
        return name.substr(0, protocol::max_file_name);
    };

    // "\xFF" and "1" apart: "\xFF1" would be one (invalid) hex escape.
    const std::vector<std::string> queries = {
        "alpha3", "\xC3\xA9T\xC3\xA9", std::string("\xFF") + "1", "7-", "a", "GAMMA8 beta"};

    for (int round = 0; round < 60; ++round) {
        std::uint32_t peer_id = 1 + pick(6);
        if (!c.has_peer(peer_id)) c.add_peer(peer(peer_id));
        model[peer_id];
        switch (pick(4)) {
        case 0:
        case 1: {
            std::vector<CatalogFile> batch;
            for (std::uint32_t i = 0, n = 1 + pick(300); i < n; ++i)
                batch.push_back(file(pick(2000), random_name(), pick(3)));
            REQUIRE(c.add_files(peer_id, batch).ok());
            for (const auto& f : batch)
                model[peer_id][f.file_id] = ModelFile{f.name, f.size};
            break;
        }
        case 2: {
            std::vector<std::uint64_t> ids;
            for (std::uint32_t i = 0, n = 1 + pick(400); i < n; ++i)
                ids.push_back(pick(2000));
            std::size_t expected = 0;
            for (auto id : ids)
                expected += model[peer_id].erase(id);
            CHECK(c.remove_files(peer_id, ids) == expected);
            break;
        }
        default:
            if (pick(3) == 0) {
                CHECK(c.remove_peer(peer_id) == model[peer_id].size());
                model.erase(peer_id);
            }
        }

        std::size_t files = 0;
        for (const auto& [id, held] : model) {
            CHECK(c.peer_file_count(id) == held.size());
            files += held.size();
        }
        REQUIRE(c.file_count() == files);

        for (const auto& word : queries) {
            auto query_words = split_words(word);
            // The model matches one word; intersect for multi-word queries.
            auto expected = model_search(model, query_words[0]);
            for (std::size_t i = 1; i < query_words.size(); ++i) {
                auto more = model_search(model, query_words[i]);
                std::erase_if(expected, [&](const auto& g) { return more.count(g.first) == 0; });
            }
            auto r = c.search(words(word));
            REQUIRE(r.total_matches == expected.size());
            REQUIRE(r.hits.size() == std::min<std::size_t>(expected.size(), 1000));
            std::vector<std::tuple<std::string, std::uint64_t, std::uint32_t>> want, got;
            for (const auto& [key, holders] : expected) {
                if (want.size() == r.hits.size()) break;
                want.emplace_back(key.first, key.second, holders);
            }
            for (const auto& hit : r.hits)
                got.emplace_back(hit.name, hit.size, hit.holder_total);
            CHECK(got == want);
        }
    }
    CHECK(c.file_count() > 0); // the run exercised a populated catalog
}

TEST_CASE("searches stay right while names are packed, emptied, compacted and reused") {
    // 250-byte names: a few hundred fill one 64 KiB chunk of the name store.
    auto long_name = [](const char* prefix, int i) {
        std::string name = fmt::format("{}{:04}-", prefix, i);
        return name + std::string(250 - name.size(), 'x');
    };
    auto add_many = [&](Catalog& c, std::uint32_t peer_id, const char* prefix, int count) {
        std::vector<CatalogFile> files;
        for (int i = 0; i < count; ++i)
            files.push_back(file(static_cast<std::uint64_t>(i), long_name(prefix, i), 1));
        auto added = c.add_files(peer_id, files);
        INFO((added.ok() ? "" : added.error().message));
        REQUIRE(added.ok());
    };
    Catalog c(CatalogLimits{100000, 10});
    for (std::uint32_t id = 1; id <= 3; ++id)
        c.add_peer(peer(id));

    add_many(c, 1, "one", 1000);
    add_many(c, 2, "two", 300);
    CHECK(c.remove_peer(1) == 1000); // empties whole chunks
    CHECK(c.search(words("one")).total_matches == 0);
    add_many(c, 3, "three", 1000); // lands in the emptied ones
    std::vector<std::uint64_t> odd;
    for (std::uint64_t i = 1; i < 1000; i += 2)
        odd.push_back(i);
    CHECK(c.remove_files(3, odd) == 500); // leaves chunks half dead

    auto r = c.search(words("TWO"));
    CHECK(r.total_matches == 300);
    CHECK(hit_names(r).front() == long_name("two", 0));
    r = c.search(words("three"));
    CHECK(r.total_matches == 500);
    REQUIRE(r.hits.size() == 10);
    for (int i = 0; i < 10; ++i)
        CHECK(r.hits[static_cast<std::size_t>(i)].name == long_name("three", 2 * i));
    CHECK(c.search(words("three0998-")).total_matches == 1);
    CHECK(c.search(words("three0999-")).total_matches == 0);
    CHECK(c.search(words("two0299- xxx")).total_matches == 1);
    CHECK(c.group_count() == 800);

    // Re-adding what was removed finds its names again.
    c.add_peer(peer(1));
    add_many(c, 1, "one", 1000);
    CHECK(c.search(words("one0500")).total_matches == 1);
    CHECK(c.search(words("x")).total_matches == 1800);
}

TEST_CASE("through CatalogService, Catalog answers every call before it returns") {
    Catalog c(CatalogLimits{3, 100});
    CatalogService& service = c;
    service.add_peer(peer(1));
    service.add_peer(peer(2));
    CHECK(service.peer_count() == 2);

    std::optional<Result<AddOutcome>> added;
    service.add_files(1, {file(1, "song.mp3", 5), file(2, "tune.ogg", 7)},
                      [&](Result<AddOutcome> r) { added = std::move(r); });
    REQUIRE(added.has_value());
    REQUIRE(added->ok());
    CHECK(**added == AddOutcome{2, 0});
    CHECK(service.file_count() == 2);

    std::optional<CatalogAnswer> answer;
    service.search(words("SONG"), [&](CatalogAnswer a) { answer = std::move(a); });
    REQUIRE(answer.has_value());
    CHECK(answer->total_matches == 1);
    REQUIRE(answer->hits.size() == 1);
    CHECK(answer->hits[0] ==
          CatalogHit{"song.mp3", 5, std::nullopt, 1,
                     {CatalogHolder{1, "peer1", "10.0.0.1", 6001, 1, "song.mp3"}}});

    std::optional<std::size_t> removed;
    service.remove_files(1, {2, 99}, [&](std::size_t n) { removed = n; });
    CHECK(removed == 1u);

    std::optional<std::size_t> dropped;
    service.remove_peer(1, [&](std::size_t n) { dropped = n; });
    CHECK(dropped == 1u);
    service.remove_peer(7, [&](std::size_t n) { dropped = n; });
    CHECK(dropped == 0u);
    CHECK(service.peer_count() == 1);
    CHECK(service.file_count() == 0);
}

TEST_CASE("through CatalogService, refusals carry the code that names why") {
    Catalog c(CatalogLimits{2, 100});
    CatalogService& service = c;
    service.add_peer(peer(1));
    std::vector<Error> errors;
    auto keep_error = [&](Result<AddOutcome> r) {
        REQUIRE_FALSE(r.ok());
        errors.push_back(r.error());
    };
    service.add_files(1, {file(1, "a", 1), file(2, "b", 1), file(3, "c", 1)}, keep_error);
    service.add_files(1, {file(1, "bad/name", 1)}, keep_error);
    service.add_files(5, {file(1, "a", 1)}, keep_error);
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].code == ErrorCode::limit_exceeded);
    CHECK(errors[0].message == "peer 1 would hold 3 files, limits.max_files_per_peer is 2");
    CHECK(errors[1].code == ErrorCode::invalid_argument);
    CHECK(errors[2].code == ErrorCode::not_found);
    CHECK(c.file_count() == 0);
}

TEST_CASE("through CatalogService, calls apply in the order made") {
    Catalog c({});
    CatalogService& service = c;
    std::vector<std::string> seen;
    service.add_peer(peer(4));
    service.add_files(4, {file(1, "first.txt", 1), file(2, "second.txt", 2)},
                      [&](Result<AddOutcome> r) { seen.push_back(r.ok() ? "added" : "refused"); });
    service.remove_files(4, {1},
                         [&](std::size_t n) { seen.push_back(fmt::format("removed {}", n)); });
    service.add_files(4, {file(2, "second-renamed.txt", 2)}, [&](Result<AddOutcome> r) {
        seen.push_back(r.ok() ? "replaced" : "refused");
    });
    service.search(words("txt"), [&](CatalogAnswer a) {
        for (const auto& hit : a.hits)
            seen.push_back(hit.name);
    });
    CHECK(seen == std::vector<std::string>{"added", "removed 1", "replaced", "second-renamed.txt"});
}
