// SPDX-License-Identifier: MIT
#include "catalog/catalog.h"

#include "content/sha256.h"
#include "protocol/index_messages.h"
#include "protocol/protocol.h"
#include "util/text.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

using namespace napster;

namespace {

CatalogFile file(std::uint64_t id, std::string name, std::uint64_t size) {
    return CatalogFile{id, std::move(name), size, std::nullopt};
}

// A root whose every byte is `fill`: roots made this way sort as their fills do.
content::Digest root_of(std::uint8_t fill) {
    content::Digest root;
    root.fill(std::byte{fill});
    return root;
}

// Root number n, for tests that need more than 256: they sort as n does.
content::Digest numbered_root(std::uint32_t n) {
    content::Digest root{};
    for (std::size_t i = 0; i < 4; ++i)
        root[root.size() - 1 - i] = std::byte{static_cast<std::uint8_t>(n >> (8 * i))};
    return root;
}

// A file the peer has hashed.
CatalogFile hashed(std::uint64_t id, std::string name, std::uint64_t size, std::uint8_t fill) {
    return CatalogFile{id, std::move(name), size, root_of(fill)};
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

CatalogQuery by_root(std::uint8_t fill) {
    return CatalogQuery{"", root_of(fill), false, 0};
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

// (peer id, file id, the holder's name) of every holder sent with a hit.
using NamedHolders = std::vector<std::tuple<std::uint32_t, std::uint64_t, std::string>>;

NamedHolders named_holders_of(const CatalogHit& hit) {
    NamedHolders out;
    for (const auto& h : hit.holders)
        out.emplace_back(h.peer_id, h.file_id, std::string(hit.name_of(h)));
    return out;
}

// Every holder's peer is in the answer with its info, once, and every
// peer the answer has is one a holder is at.
bool peers_listed_once(const CatalogAnswer& r) {
    std::vector<bool> used(r.peers.size());
    for (const auto& hit : r.hits)
        for (const auto& h : hit.holders) {
            if (h.peer >= r.peers.size() || r.peer_of(h).id != h.peer_id) return false;
            used[h.peer] = true;
        }
    std::set<std::uint32_t> ids;
    for (const auto& info : r.peers)
        ids.insert(info->id);
    return ids.size() == r.peers.size() &&
           std::all_of(used.begin(), used.end(), [](bool u) { return u; });
}

// A holder as a SEARCH_RESULT lists it: its peer's info and its name for
// the file, whether the holder names it or the hit does.
protocol::Holder listed(const CatalogAnswer& r, std::size_t hit, std::size_t holder) {
    const CatalogHit& h = r.hits.at(hit);
    const CatalogHolder& at = h.holders.at(holder);
    const PeerInfo& info = r.peer_of(at);
    CHECK(info.id == at.peer_id);
    return {at.peer_id,       info.name,  info.address,
            info.upload_port, at.file_id, std::string(h.name_of(at))};
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
    CHECK(c.content_count() == 2);
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

TEST_CASE("add_files replaces an id already held, moving it to its new hit") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {file(5, "old.txt", 100)}).ok());
    REQUIRE(add(c, 2, {file(9, "old.txt", 100)}).ok());
    REQUIRE(c.content_count() == 1);

    SUBCASE("new name") {
        auto r = add(c, 1, {file(5, "new.txt", 100)});
        REQUIRE(r.ok());
        CHECK(r->added == 0);
        CHECK(r->replaced == 1);
        CHECK(c.file_count() == 2);
        CHECK(c.peer_file_count(1) == 1);
        CHECK(c.content_count() == 2);
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
    SUBCASE("the same entry again changes nothing, and is counted as unchanged") {
        auto r = add(c, 1, {file(5, "old.txt", 100)});
        REQUIRE(r.ok());
        CHECK(*r == AddOutcome{0, 0, 0, 1});
        CHECK(c.content_count() == 1);
        CHECK(c.search(exact("old.txt")).hits.at(0).holder_total == 2);
    }
    SUBCASE("the hit empties and is erased when its last holder moves") {
        REQUIRE(add(c, 2, {file(9, "other.txt", 100)}).ok());
        REQUIRE(add(c, 1, {file(5, "other.txt", 100)}).ok());
        CHECK(c.content_count() == 1);
        CHECK(c.name_count() == 1);
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
    CHECK(c.content_count() == 2);
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
    CHECK(c.content_count() == 0);
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
    CHECK(c.content_count() == 0);
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
    CHECK(c.content_count() == 1);
    CHECK(c.has_peer(1)); // removing every file keeps the peer
}

TEST_CASE("remove_peer drops that peer's files only") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {file(1, "shared.mp3", 5), file(2, "only1.mp3", 5)}).ok());
    REQUIRE(add(c, 2, {file(1, "shared.mp3", 5), file(2, "only2.mp3", 5)}).ok());
    REQUIRE(c.content_count() == 3);

    CHECK(c.remove_peer(1) == 2);
    CHECK_FALSE(c.has_peer(1));
    CHECK(c.peer_count() == 1);
    CHECK(c.file_count() == 2);
    CHECK(c.peer_file_count(1) == 0);
    CHECK(c.peer_file_count(2) == 2);
    CHECK(c.content_count() == 2);
    auto r = c.search(words("mp3"));
    CHECK(hit_names(r) == std::vector<std::string>{"only2.mp3", "shared.mp3"});
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[1].holder_total == 1);
    CHECK(r.hits[1].holders.at(0).peer_id == 2);

    CHECK(c.remove_peer(1) == 0);
    CHECK(c.remove_peer(2) == 2);
    CHECK(c.file_count() == 0);
    CHECK(c.content_count() == 0);
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
    CHECK(listed(r, 0, 0) == protocol::Holder{1, "renamed", "::1", 7000, 1, "song"});
}

TEST_CASE("an answer keeps the peers' info it listed, whatever the catalog does next") {
    // CatalogService lets an answer be used on a later turn: by then the
    // peer may have registered again under new info, or gone and its slot
    // gone to another peer.
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {file(1, "song", 3)}).ok());
    REQUIRE(add(c, 2, {file(5, "song", 3)}).ok());
    const CatalogAnswer before = c.search(exact("song"));

    c.add_peer(PeerInfo{1, "renamed", "::1", 7000});
    CHECK(c.remove_peer(2) == 1);
    c.add_peer(PeerInfo{9, "newcomer", "10.9.9.9", 9999});
    REQUIRE(add(c, 9, {file(1, "song", 3)}).ok());

    REQUIRE(before.hits.size() == 1);
    REQUIRE(before.hits[0].holders.size() == 2);
    CHECK(listed(before, 0, 0) == protocol::Holder{1, "peer1", "10.0.0.1", 6001, 1, "song"});
    CHECK(listed(before, 0, 1) == protocol::Holder{2, "peer2", "10.0.0.2", 6002, 5, "song"});
    const CatalogAnswer after = c.search(exact("song"));
    REQUIRE(after.hits.size() == 1);
    REQUIRE(after.hits[0].holders.size() == 2);
    CHECK(listed(after, 0, 0) == protocol::Holder{1, "renamed", "::1", 7000, 1, "song"});
    CHECK(listed(after, 0, 1) == protocol::Holder{9, "newcomer", "10.9.9.9", 9999, 1, "song"});
}

TEST_CASE("an answer lists each peer once, however many holders it has") {
    Catalog c({});
    for (std::uint32_t id : {4u, 2u, 7u})
        c.add_peer(peer(id));
    REQUIRE(add(c, 4, {file(1, "a.ogg", 1), file(2, "b.ogg", 1), file(3, "c.ogg", 1)}).ok());
    REQUIRE(add(c, 2, {file(1, "b.ogg", 1)}).ok());
    REQUIRE(add(c, 7, {file(1, "d.ogg", 1)}).ok());
    auto r = c.search(words("ogg"));
    REQUIRE(r.hits.size() == 4);
    CHECK(peers_listed_once(r));
    // In the order first listed: a.ogg's holder, then b.ogg's first.
    REQUIRE(r.peers.size() == 3);
    CHECK(*r.peers[0] == peer(4));
    CHECK(*r.peers[1] == peer(2));
    CHECK(*r.peers[2] == peer(7));
    CHECK(listed(r, 1, 0) == protocol::Holder{2, "peer2", "10.0.0.2", 6002, 1, "b.ogg"});
    CHECK(listed(r, 1, 1) == protocol::Holder{4, "peer4", "10.0.0.4", 6004, 2, "b.ogg"});
    // Searches do not leak into each other: the next lists its own peers.
    auto d = c.search(words("d.ogg"));
    REQUIRE(d.peers.size() == 1);
    CHECK(listed(d, 0, 0) == protocol::Holder{7, "peer7", "10.0.0.7", 6007, 1, "d.ogg"});
}

TEST_CASE("a holder names the file only when its name is not the hit's") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {hashed(1, "a.flac", 9, 1), file(2, "plain.flac", 4)}).ok());
    REQUIRE(add(c, 2, {hashed(1, "b.flac", 9, 1), file(2, "plain.flac", 4)}).ok());
    auto r = c.search(words("flac"));
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[0].name == "a.flac");
    REQUIRE(r.hits[0].holders.size() == 2);
    CHECK(r.hits[0].holders[0].name.empty());
    CHECK(r.hits[0].holders[1].name == "b.flac");
    CHECK(r.hits[0].name_of(r.hits[0].holders[0]) == "a.flac");
    for (const auto& h : r.hits[1].holders)
        CHECK(h.name.empty());
    CHECK(named_holders_of(r.hits[1]) == NamedHolders{{1, 2, "plain.flac"}, {2, 2, "plain.flac"}});
}

TEST_CASE("hit order is by every byte of the name, not only the first few") {
    // Names alike in their first 8 bytes, shorter and longer ones, and
    // bytes past 0x7f: the order is bytewise, then by size.
    const std::vector<std::string> names = {
        "abcdefgh", "abcdefg",  "abcdefghi",      "abcdefgh\x80", "abcdefgh\x01", "abcdefgi",
        "abcdefga", "\xff\xfe", "\xffzzzzzzzzzz", "abcdefghij",   "ab",           "abcdefghh"};
    Catalog c({});
    c.add_peer(peer(1));
    std::vector<CatalogFile> files;
    std::uint64_t id = 0;
    for (const auto& name : names)
        for (std::uint64_t size : {7u, 3u})
            files.push_back(file(++id, name + " x", size));
    REQUIRE(add(c, 1, files).ok());
    std::vector<std::pair<std::string, std::uint64_t>> sorted;
    for (const auto& f : files)
        sorted.emplace_back(f.name, f.size);
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t limit : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{13}}) {
        auto r = c.search(words("x", limit));
        const std::size_t want = limit == 0 ? sorted.size() : limit;
        REQUIRE(r.hits.size() == want);
        for (std::size_t i = 0; i < want; ++i) {
            CHECK(r.hits[i].name == sorted[i].first);
            CHECK(r.hits[i].size == sorted[i].second);
        }
    }
}

TEST_CASE("equal name and size merge across peers; another size is another hit") {
    Catalog c({});
    for (std::uint32_t id : {3u, 1u, 2u})
        c.add_peer(peer(id));
    // Added out of order: holders still come back sorted by peer, then file id.
    REQUIRE(add(c, 3, {file(8, "file8_3.txt", 10)}).ok());
    REQUIRE(add(c, 1, {file(20, "file8_3.txt", 10), file(4, "file8_3.txt", 10)}).ok());
    REQUIRE(add(c, 2, {file(1, "file8_3.txt", 11)}).ok());
    CHECK(c.content_count() == 2);

    auto r = c.search(words("file8_3"));
    CHECK(r.total_matches == 2);
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[0].size == 10);
    CHECK(r.hits[0].holder_total == 3);
    CHECK(holders_of(r.hits[0]) == HolderIds{{1, 4}, {1, 20}, {3, 8}});
    CHECK(listed(r, 0, 2) == protocol::Holder{3, "peer3", "10.0.0.3", 6003, 8, "file8_3.txt"});
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
        CHECK(listed(r, 0, i) ==
              protocol::Holder{i + 1, fmt::format("peer{}", i + 1), fmt::format("10.0.0.{}", i + 1),
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
    // Names n0..n6 and sizes 0..2: at most 21 contents, and every one is a hit.
    CHECK(c.content_count() <= 21);
    CHECK(c.search(words("n")).total_matches == c.content_count());

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
    CHECK(c.content_count() == 0);
    CHECK(c.peer_count() == 0);
}

TEST_CASE("one content under two names is one hit listing both names and both holders") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 2, {hashed(7, "song.mp3", 100, 1)}).ok());
    REQUIRE(add(c, 1, {hashed(3, "Song (live).mp3", 100, 1)}).ok());
    CHECK(c.content_count() == 1);
    CHECK(c.name_count() == 2);
    const NamedHolders both{{1, 3, "Song (live).mp3"}, {2, 7, "song.mp3"}};

    // Both names match: one hit, by the smaller ('S' is 0x53, 's' 0x73).
    auto r = c.search(words("song"));
    CHECK(r.total_matches == 1);
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == "Song (live).mp3");
    CHECK(r.hits[0].size == 100);
    CHECK(r.hits[0].root == root_of(1));
    CHECK(r.hits[0].holder_total == 2);
    CHECK(named_holders_of(r.hits[0]) == both);
    CHECK(listed(r, 0, 1) == protocol::Holder{2, "peer2", "10.0.0.2", 6002, 7, "song.mp3"});

    // Only one name matches: the hit goes by it and still lists every holder.
    r = c.search(words("song.mp3"));
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == "song.mp3");
    CHECK(named_holders_of(r.hits[0]) == both);
    r = c.search(words("LIVE"));
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == "Song (live).mp3");
    CHECK(r.hits[0].holder_total == 2);

    // Exact on either name: that name, every holder.
    r = c.search(exact("song.mp3"));
    CHECK(r.total_matches == 1);
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == "song.mp3");
    CHECK(named_holders_of(r.hits[0]) == both);
    r = c.search(exact("Song (live).mp3"));
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == "Song (live).mp3");
    CHECK(named_holders_of(r.hits[0]) == both);
    CHECK(c.search(exact("Song.mp3")).total_matches == 0);

    // By root: the smallest of all its names.
    r = c.search(by_root(1));
    CHECK(r.total_matches == 1);
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == "Song (live).mp3");
    CHECK(named_holders_of(r.hits[0]) == both);
}

TEST_CASE("a search by root finds its content or nothing, whatever the text") {
    Catalog c({});
    c.add_peer(peer(1));
    REQUIRE(add(c, 1,
                {hashed(1, "b.ogg", 5, 2), hashed(2, "a.ogg", 5, 2), hashed(3, "c.ogg", 6, 3),
                 file(4, "d.ogg", 5)})
                .ok());
    auto r = c.search(by_root(2));
    CHECK(r.total_matches == 1);
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == "a.ogg");
    CHECK(r.hits[0].root == root_of(2));
    CHECK(named_holders_of(r.hits[0]) == NamedHolders{{1, 1, "b.ogg"}, {1, 2, "a.ogg"}});
    CHECK(hit_names(c.search(by_root(3))) == std::vector<std::string>{"c.ogg"});

    // Roots next to those held, and the zero root, find nothing.
    for (std::uint8_t fill : {0, 1, 4, 255}) {
        auto miss = c.search(by_root(fill));
        CHECK(miss.total_matches == 0);
        CHECK(miss.hits.empty());
    }
    // SEARCH never sends a root and a text; a catalog given both goes by the root.
    CatalogQuery both{"d.ogg", root_of(3), true, 0};
    CHECK(hit_names(c.search(both)) == std::vector<std::string>{"c.ogg"});
    // A root search is never an unhashed file's.
    c.add_peer(peer(2));
    REQUIRE(add(c, 2, {file(1, "zero", 0)}).ok());
    CHECK(c.search(by_root(0)).total_matches == 0);
}

TEST_CASE("the same name with other content is another hit, in root order") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {hashed(1, "clip.mp4", 10, 9), hashed(2, "clip.mp4", 10, 4)}).ok());
    REQUIRE(add(c, 2, {hashed(1, "clip.mp4", 11, 5)}).ok());
    CHECK(c.content_count() == 3);

    auto r = c.search(exact("clip.mp4"));
    CHECK(r.total_matches == 3);
    REQUIRE(r.hits.size() == 3);
    // By name, then size, then root bytes.
    CHECK(r.hits[0].size == 10);
    CHECK(r.hits[0].root == root_of(4));
    CHECK(holders_of(r.hits[0]) == HolderIds{{1, 2}});
    CHECK(r.hits[1].size == 10);
    CHECK(r.hits[1].root == root_of(9));
    CHECK(holders_of(r.hits[1]) == HolderIds{{1, 1}});
    CHECK(r.hits[2].size == 11);
    CHECK(r.hits[2].root == root_of(5));
    CHECK(c.search(words("CLIP")) == r);
}

TEST_CASE("a hashed and an unhashed file with the same name and size are two hits") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {hashed(1, "movie.mkv", 700, 200)}).ok());
    REQUIRE(add(c, 2, {file(1, "movie.mkv", 700)}).ok());
    CHECK(c.content_count() == 2);

    auto r = c.search(exact("movie.mkv"));
    CHECK(r.total_matches == 2);
    REQUIRE(r.hits.size() == 2);
    // Root none sorts first.
    CHECK_FALSE(r.hits[0].root.has_value());
    CHECK(named_holders_of(r.hits[0]) == NamedHolders{{2, 1, "movie.mkv"}});
    CHECK(r.hits[1].root == root_of(200));
    CHECK(named_holders_of(r.hits[1]) == NamedHolders{{1, 1, "movie.mkv"}});
    CHECK(c.search(words("movie")) == r);
    CHECK(c.search(by_root(200)).hits.at(0).holder_total == 1);
}

TEST_CASE("a root said with another size is a content of its own") {
    // A root fixes the bytes and so the size: another size for it is a peer's
    // mistake or a lie, and must not change the size the others' hit shows.
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {hashed(1, "true.iso", 4096, 7)}).ok());
    REQUIRE(add(c, 2, {hashed(1, "false.iso", 1, 7)}).ok());
    CHECK(c.content_count() == 2);
    auto r = c.search(by_root(7));
    CHECK(r.total_matches == 2);
    REQUIRE(r.hits.size() == 2);
    CHECK(r.hits[0].name == "false.iso");
    CHECK(r.hits[0].size == 1);
    CHECK(holders_of(r.hits[0]) == HolderIds{{2, 1}});
    CHECK(r.hits[1].name == "true.iso");
    CHECK(r.hits[1].size == 4096);
    CHECK(holders_of(r.hits[1]) == HolderIds{{1, 1}});
}

TEST_CASE("announced again with its root, a file moves from its name's hit to its content's") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {file(5, "a.bin", 10)}).ok());
    REQUIRE(add(c, 2, {file(9, "a.bin", 10), file(3, "b.bin", 10)}).ok());
    REQUIRE(c.content_count() == 2);

    // Peer 1 has hashed its file: the unhashed hit keeps peer 2 only.
    auto r = add(c, 1, {hashed(5, "a.bin", 10, 1)});
    REQUIRE(r.ok());
    CHECK(*r == AddOutcome{0, 0, 1}); // a root where there was none: hashed, not changed
    CHECK(c.file_count() == 3);
    CHECK(c.content_count() == 3);
    auto hits = c.search(exact("a.bin"));
    REQUIRE(hits.hits.size() == 2);
    CHECK_FALSE(hits.hits[0].root.has_value());
    CHECK(holders_of(hits.hits[0]) == HolderIds{{2, 9}});
    CHECK(hits.hits[1].root == root_of(1));
    CHECK(holders_of(hits.hits[1]) == HolderIds{{1, 5}});

    // Peer 2 hashes both of its files: the same bytes under two names. The
    // unhashed hits are gone with their last files, their names with them.
    REQUIRE(add(c, 2, {hashed(9, "a.bin", 10, 1), hashed(3, "b.bin", 10, 1)}).ok());
    CHECK(c.content_count() == 1);
    CHECK(c.name_count() == 2);
    auto all = c.search(words("bin"));
    CHECK(all.total_matches == 1);
    REQUIRE(all.hits.size() == 1);
    CHECK(all.hits[0].name == "a.bin");
    CHECK(named_holders_of(all.hits[0]) ==
          NamedHolders{{1, 5, "a.bin"}, {2, 3, "b.bin"}, {2, 9, "a.bin"}});
    CHECK(hit_names(c.search(words("b.bin"))) == std::vector<std::string>{"b.bin"});

    SUBCASE("renamed within its content, a file keeps the one hit") {
        REQUIRE(add(c, 2, {hashed(3, "c.bin", 10, 1)}).ok());
        CHECK(c.content_count() == 1);
        CHECK(c.name_count() == 2);
        CHECK(c.search(words("b.bin")).total_matches == 0);
        CHECK(c.search(exact("b.bin")).total_matches == 0);
        CHECK(named_holders_of(c.search(words("c.bin")).hits.at(0)) ==
              NamedHolders{{1, 5, "a.bin"}, {2, 3, "c.bin"}, {2, 9, "a.bin"}});
    }
    SUBCASE("another root moves a file to another content") {
        REQUIRE(add(c, 1, {hashed(5, "a.bin", 10, 2)}).ok());
        CHECK(c.content_count() == 2);
        CHECK(holders_of(c.search(by_root(1)).hits.at(0)) == HolderIds{{2, 3}, {2, 9}});
        CHECK(holders_of(c.search(by_root(2)).hits.at(0)) == HolderIds{{1, 5}});
    }
    SUBCASE("the last name but one leaving makes the other the content's only name") {
        REQUIRE(remove(c, 2, {3}) == 1);
        CHECK(c.name_count() == 1);
        auto one = c.search(words("bin"));
        CHECK(one.total_matches == 1);
        CHECK(named_holders_of(one.hits.at(0)) == NamedHolders{{1, 5, "a.bin"}, {2, 9, "a.bin"}});
        // Back under another name: shared again.
        REQUIRE(add(c, 2, {hashed(3, "A.BIN", 10, 1)}).ok());
        auto again = c.search(words("bin"));
        CHECK(again.total_matches == 1);
        CHECK(again.hits.at(0).name == "A.BIN");
        CHECK(again.hits.at(0).holder_total == 3);
    }
    SUBCASE("the name left alone on either side goes with its content's last file") {
        // Names of one content sort by bytes: first drop the larger, then
        // the smaller, so the one left lies after or before the gap.
        std::vector<std::uint64_t> first, then;
        SUBCASE("b.bin first") {
            first = {3};
            then = {9};
        }
        SUBCASE("a.bin first") {
            first = {9};
            then = {3};
        }
        REQUIRE(remove(c, 2, first) == 1);
        CHECK(c.content_count() == 1);
        REQUIRE(remove(c, 1, {5}) == 1);
        CHECK(c.content_count() == 1);
        CHECK(c.search(words("bin")).total_matches == 1);
        REQUIRE(remove(c, 2, then) == 1);
        CHECK(c.content_count() == 0);
        CHECK(c.name_count() == 0);
        CHECK(c.search(by_root(1)).total_matches == 0);
    }
    SUBCASE("a root dropped again (the file changed) moves it back to its name") {
        REQUIRE(add(c, 2, {file(3, "b.bin", 10)}).ok());
        CHECK(c.content_count() == 2);
        auto b = c.search(exact("b.bin"));
        REQUIRE(b.hits.size() == 1);
        CHECK_FALSE(b.hits[0].root.has_value());
        CHECK(c.search(by_root(1)).hits.at(0).holder_total == 2);
    }
}

TEST_CASE("a content matched by several names counts once, and limits count contents") {
    Catalog c(CatalogLimits{1000, 3});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    // Content 1 under four names, content 2 under two, and two unhashed files.
    REQUIRE(add(c, 1,
                {hashed(1, "track d", 1, 1), hashed(2, "track b", 1, 1), hashed(3, "track e", 2, 2),
                 file(4, "track a", 1), file(5, "track f", 1)})
                .ok());
    REQUIRE(
        add(c, 2,
            {hashed(1, "track c", 1, 1), hashed(2, "track g", 1, 1), hashed(3, "track h", 2, 2)})
            .ok());
    CHECK(c.content_count() == 4);
    CHECK(c.name_count() == 8);

    auto r = c.search(words("track"));
    CHECK(r.total_matches == 4);
    // Hit order is by the names the contents go by: a, b (content 1), e
    // (content 2); f comes fourth and is cut by limits.max_results.
    CHECK(hit_names(r) == std::vector<std::string>{"track a", "track b", "track e"});
    CHECK(r.hits[1].holder_total == 4);
    CHECK(r.hits[2].holder_total == 2);
    CHECK(hit_names(c.search(words("track", 2))) == std::vector<std::string>{"track a", "track b"});

    // Other names matching move a content in the order.
    r = c.search(words("track g"));
    CHECK(r.total_matches == 1);
    CHECK(hit_names(r) == std::vector<std::string>{"track g"});
    c.add_peer(peer(3));
    REQUIRE(add(c, 3, {file(1, "track d", 1)}).ok()); // another "track d", unhashed
    r = c.search(words("d"));
    CHECK(r.total_matches == 2);
    REQUIRE(r.hits.size() == 2);
    // (name, size) tie: root none first.
    CHECK(r.hits[0].name == "track d");
    CHECK_FALSE(r.hits[0].root.has_value());
    CHECK(r.hits[1].name == "track d");
    CHECK(r.hits[1].root == root_of(1));
}

TEST_CASE("holders of a content with many names are merged in order and capped") {
    constexpr std::uint32_t peers = protocol::max_holders_per_result + 8;
    Catalog c({});
    for (std::uint32_t id = peers; id >= 1; --id) {
        c.add_peer(peer(id));
        // Three names, given round the peers, so the listed holders interleave them.
        std::string name = fmt::format("popular-{}.mp3", id % 3);
        REQUIRE(add(c, id, {hashed(100 + id, name, 4242, 42)}).ok());
    }
    CHECK(c.name_count() == 3);
    auto r = c.search(words("popular"));
    CHECK(r.total_matches == 1);
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == "popular-0.mp3");
    CHECK(r.hits[0].holder_total == peers);
    REQUIRE(r.hits[0].holders.size() == protocol::max_holders_per_result);
    for (std::uint32_t i = 0; i < protocol::max_holders_per_result; ++i) {
        std::uint32_t id = i + 1;
        CHECK(listed(r, 0, i) == protocol::Holder{id, fmt::format("peer{}", id),
                                                  fmt::format("10.0.0.{}", id),
                                                  static_cast<std::uint16_t>(6000 + id), 100 + id,
                                                  fmt::format("popular-{}.mp3", id % 3)});
    }
    CHECK(c.search(by_root(42)).hits.at(0) == r.hits[0]);
}

TEST_CASE("remove_peer unlinks a peer's hashed files from every content") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    REQUIRE(add(c, 1, {hashed(1, "mine.flac", 9, 1), hashed(2, "solo.flac", 9, 2)}).ok());
    REQUIRE(add(c, 2, {hashed(1, "theirs.flac", 9, 1)}).ok());
    REQUIRE(c.content_count() == 2);

    CHECK(c.remove_peer(1) == 2);
    CHECK(c.content_count() == 1);
    CHECK(c.name_count() == 1);
    CHECK(c.search(words("mine")).total_matches == 0);
    CHECK(c.search(by_root(2)).total_matches == 0);
    auto r = c.search(words("flac"));
    CHECK(r.total_matches == 1);
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == "theirs.flac");
    CHECK(named_holders_of(r.hits[0]) == NamedHolders{{2, 1, "theirs.flac"}});
    CHECK(c.search(by_root(1)).hits.at(0) == r.hits[0]);

    CHECK(c.remove_peer(2) == 1);
    CHECK(c.content_count() == 0);
    CHECK(c.name_count() == 0);
    CHECK(c.search(by_root(1)).total_matches == 0);
    CHECK(c.search(words("flac")).total_matches == 0);
}

namespace {

// A brute-force model of the catalog, to compare against after random
// operations: what a search must return, computed the slow obvious way.
struct ModelFile {
    std::string name;
    std::uint64_t size;
    std::optional<content::Digest> root;
};
using Model = std::map<std::uint32_t, std::map<std::uint64_t, ModelFile>>;

std::string fold(std::string s) {
    for (char& ch : s)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    return s;
}

// A file of the model as a content lists it.
struct ModelHolder {
    std::uint32_t peer_id;
    std::uint64_t file_id;
    const ModelFile* file;
    std::string folded_name;
};
// Each content's files, by (peer id, file id).
using ModelContents = std::vector<std::vector<ModelHolder>>;

ModelContents model_contents(const Model& model) {
    // A content: root and size, or (no root) name and size.
    std::map<std::tuple<std::optional<content::Digest>, std::uint64_t, std::string>,
             std::vector<ModelHolder>>
        by_key;
    for (const auto& [peer_id, files] : model)
        for (const auto& [file_id, f] : files)
            by_key[{f.root, f.size, f.root ? "" : f.name}].push_back(
                ModelHolder{peer_id, file_id, &f, fold(f.name)});
    ModelContents contents;
    for (auto& [key, holders] : by_key)
        contents.push_back(std::move(holders));
    return contents;
}

struct ModelHit {
    std::string name;
    std::uint64_t size;
    std::optional<content::Digest> root;
    std::size_t holder_total;
    NamedHolders listed; // the first max_holders_per_result
};

// Every content some file of which `matches`, named by the smallest name
// that matched, in hit order.
std::vector<ModelHit> model_search(const ModelContents& contents,
                                   const std::function<bool(const ModelHolder&)>& matches) {
    std::vector<ModelHit> hits;
    for (const auto& holders : contents) {
        const std::string* best = nullptr;
        for (const auto& h : holders)
            if (matches(h) && (!best || h.file->name < *best)) best = &h.file->name;
        if (!best) continue;
        ModelHit hit{*best, holders[0].file->size, holders[0].file->root, holders.size(), {}};
        for (std::size_t i = 0; i < holders.size() && i < protocol::max_holders_per_result; ++i)
            hit.listed.emplace_back(holders[i].peer_id, holders[i].file_id, holders[i].file->name);
        hits.push_back(std::move(hit));
    }
    std::sort(hits.begin(), hits.end(), [](const ModelHit& a, const ModelHit& b) {
        return std::tie(a.name, a.size, a.root) < std::tie(b.name, b.size, b.root);
    });
    return hits;
}

// Every word occurs in the name, ignoring ASCII case.
bool model_words_match(const std::vector<std::string>& folded_words, const ModelHolder& h) {
    return !folded_words.empty() &&
           std::all_of(folded_words.begin(), folded_words.end(), [&](const std::string& w) {
               return h.folded_name.find(w) != std::string::npos;
           });
}

} // namespace

namespace {

struct RandomRun {
    std::uint32_t seed = 20240601;
    CatalogLimits limits{100000, 1000, 1000000};
    int rounds = 60;
    std::uint32_t id_range = 2000; // file ids drawn from 0..id_range-1
    // Peers leave through begin_remove_peer and work() in slices of this
    // many units, with another peer's batch added in the middle; 0: at once.
    std::size_t work_budget = 0;
    int check_every = 1; // rounds between two rounds of checks
};

// Random adds, replaces, removes and peers leaving, each followed by every
// kind of search, compared with a brute-force model. Returns what ran, so
// a caller can see the paths it meant to exercise were taken.
struct RandomRunSeen {
    std::size_t sweeps = 0;
    std::size_t lower_bounds = 0; // answers flagged total_is_lower_bound
};
RandomRunSeen run_random_model(const RandomRun& run) {
    RandomRunSeen seen;
    // Long names and many of them, so the packed name storage fills several
    // chunks, compacts them and reuses emptied ones along the way. Half the
    // files have a root: half of those one of a few, so those contents
    // gather hundreds of names, the rest one of many, so contents often go
    // from one name to two and back; files move between contents as they
    // are replaced. A few short names recur, so contents share names too.
    std::mt19937 rng(run.seed); // fixed seed: deterministic
    Catalog c(run.limits);
    Model model;
    auto pick = [&](std::uint32_t n) {
        return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng);
    };
    auto random_name = [&] {
        static const char* short_names[] = {"a.mp3", "A.mp3", "beta.ogg", "x", "\xFF\xFE"};
        if (pick(5) == 0) return std::string(short_names[pick(5)]);
        static const char* parts[] = {"Alpha", "beta", "GAMMA", "delta", "\xC3\xA9t\xC3\xA9",
                                      "\xFF",  "-",    "\t",    "a b"};
        std::string name = fmt::format("{}-", pick(50));
        std::size_t words = 1 + pick(20);
        for (std::size_t i = 0; i < words; ++i)
            name += fmt::format("{}{}{}", parts[pick(9)], pick(9), pick(3) == 0 ? "" : " ");
        if (pick(10) == 0) name += std::string(255, 'z'); // cut to exactly 255 below
        return name.substr(0, protocol::max_file_name);
    };
    // Roots 1..3 popular, 4..254 not; a file's size is its root's fill, but
    // for a few liars.
    auto random_file = [&](std::uint64_t id) {
        CatalogFile f = file(id, random_name(), pick(3));
        if (pick(2) == 0) {
            auto fill = static_cast<std::uint8_t>(pick(2) == 0 ? 1 + pick(3) : 4 + pick(251));
            f.root = root_of(fill);
            f.size = pick(20) == 0 ? 1000 + pick(2) : fill;
        }
        return f;
    };
    auto add_batch = [&](std::uint32_t peer_id) {
        std::vector<CatalogFile> batch;
        for (std::uint32_t i = 0, n = 1 + pick(300); i < n; ++i)
            batch.push_back(random_file(pick(run.id_range)));
        REQUIRE(c.add_files(peer_id, batch).ok());
        for (const auto& f : batch)
            model[peer_id][f.file_id] = ModelFile{f.name, f.size, f.root};
    };
    const std::vector<std::uint8_t> root_queries = {0, 1, 2, 3, 4, 77, 254, 255};

    // "\xFF" and "1" apart: "\xFF1" would be one (invalid) hex escape.
    // Queries of one and two bytes, shorter than most words; words that
    // span punctuation ("7-"); a word that is a whole name ("x"). Several
    // words: common ones that meet often (stamped), a rare one with a
    // common one (names read), three at once, one twice.
    const std::vector<std::string> word_queries = {
        "alpha3", "\xC3\xA9T\xC3\xA9", std::string("\xFF") + "1", "7-", "a", "GAMMA8 beta", "mp3",
        "x",      "zz",             "-",                        "\xFE", "3-a", "a.MP3 a", "A B",
        "alpha beta gAMma", "delta DELTA"};
    const std::vector<std::string> exact_queries = {"a.mp3", "A.mp3", "beta.ogg", "x"};

    for (int round = 0; round < run.rounds; ++round) {
        std::uint32_t peer_id = 1 + pick(6);
        if (!c.has_peer(peer_id)) c.add_peer(peer(peer_id));
        model[peer_id];
        switch (pick(4)) {
        case 0:
        case 1:
            add_batch(peer_id);
            break;
        case 2: {
            std::vector<std::uint64_t> ids;
            for (std::uint32_t i = 0, n = 1 + pick(400); i < n; ++i)
                ids.push_back(pick(run.id_range));
            std::size_t expected = 0;
            for (auto id : ids)
                expected += model[peer_id].erase(id);
            CHECK(c.remove_files(peer_id, ids) == expected);
            break;
        }
        default:
            if (pick(3) != 0) break;
            if (run.work_budget == 0) {
                CHECK(c.remove_peer(peer_id) == model[peer_id].size());
            } else {
                CHECK(c.begin_remove_peer(peer_id) == model[peer_id].size());
                CHECK(!c.has_peer(peer_id));
                CHECK(c.removing_peer(peer_id));
                CHECK(!add(c, peer_id, {file(1, "late", 1)}).ok());
                c.work(pick(static_cast<std::uint32_t>(run.work_budget)));
                std::uint32_t other = peer_id % 6 + 1;
                if (c.has_peer(other)) add_batch(other);
                while (c.removing_peer(peer_id)) c.work(1 + pick(static_cast<std::uint32_t>(run.work_budget)));
            }
            model.erase(peer_id);
        }
        // Sweeps run in slices too, between checks.
        if (run.work_budget != 0)
            while (c.work(1 + pick(static_cast<std::uint32_t>(run.work_budget)))) {}
        if (round % run.check_every != 0 && round + 1 != run.rounds) continue;

        std::size_t files = 0;
        for (const auto& [id, held] : model) {
            CHECK(c.peer_file_count(id) == held.size());
            files += held.size();
        }
        REQUIRE(c.file_count() == files);
        CHECK(c.peer_count() == model.size());
        auto contents = model_contents(model);
        CHECK(c.content_count() == contents.size());

        std::size_t limit = run.limits.max_results;
        auto check = [&](const CatalogQuery& query,
                         const std::function<bool(const ModelHolder&)>& matches) {
            auto expected = model_search(contents, matches);
            auto r = c.search(query);
            REQUIRE(peers_listed_once(r));
            auto same = [&](const CatalogHit& got, const ModelHit& want) {
                return std::tie(got.name, got.size, got.root, got.holder_total) ==
                           std::tie(want.name, want.size, want.root, want.holder_total) &&
                       named_holders_of(got) == want.listed;
            };
            if (r.total_is_lower_bound) {
                ++seen.lower_bounds;
                // Stopped counting: fewer found than match, each hit one of
                // them and whole, in hit order.
                REQUIRE(r.total_matches <= expected.size());
                REQUIRE(r.hits.size() == std::min(r.total_matches, limit));
                for (std::size_t i = 0; i < r.hits.size(); ++i) {
                    if (i > 0)
                        REQUIRE(std::tie(r.hits[i - 1].name, r.hits[i - 1].size, r.hits[i - 1].root) <
                                std::tie(r.hits[i].name, r.hits[i].size, r.hits[i].root));
                    // A content with several names goes by the smallest
                    // of those it saw match: no smaller than the model's.
                    const CatalogHit& got = r.hits[i];
                    auto at = std::find_if(expected.begin(), expected.end(), [&](const ModelHit& want) {
                        return got.root ? std::tie(want.size, want.root) == std::tie(got.size, got.root)
                                        : std::tie(want.name, want.size, want.root) ==
                                              std::tie(got.name, got.size, got.root);
                    });
                    REQUIRE(at != expected.end());
                    CHECK(got.name >= at->name);
                    REQUIRE(got.holder_total == at->holder_total);
                    REQUIRE(named_holders_of(got) == at->listed);
                }
                return;
            }
            REQUIRE(r.total_matches == expected.size());
            REQUIRE(r.hits.size() == std::min(expected.size(), limit));
            for (std::size_t i = 0; i < r.hits.size(); ++i) REQUIRE(same(r.hits[i], expected[i]));
        };
        for (const auto& text : word_queries) {
            auto folded_words = split_words(fold(text));
            check(words(text),
                  [&](const ModelHolder& h) { return model_words_match(folded_words, h); });
        }
        for (const auto& text : exact_queries)
            check(exact(text), [&](const ModelHolder& h) { return h.file->name == text; });
        for (std::uint8_t fill : root_queries)
            check(by_root(fill),
                  [&](const ModelHolder& h) { return h.file->root == root_of(fill); });
    }
    CHECK(c.file_count() > 0); // the run exercised a populated catalog
    seen.sweeps = c.sweep_count();
    return seen;
}

} // namespace

TEST_CASE("random adds, replaces and removes agree with a brute-force model") {
    CHECK(run_random_model(RandomRun{}).lower_bounds == 0);
}

TEST_CASE("a small counting limit: either the exact answer, or a lower bound whose hits are all matches") {
    RandomRun run;
    run.seed = 7;
    run.limits = CatalogLimits{100000, 20, 50};
    CHECK(run_random_model(run).lower_bounds > 0);
}

TEST_CASE("peers leaving in slices, with sweeps between, agree with a brute-force model") {
    // Enough churn over a wide id range that dead names pass the sweep's
    // threshold several times and their ids are reused.
    RandomRun run;
    run.seed = 99;
    run.rounds = 150;
    run.id_range = 20000;
    run.work_budget = 300;
    run.check_every = 6;
    CHECK(run_random_model(run).sweeps > 0);
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
    Catalog c(CatalogLimits{100000, 10, 1000000});
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
    CHECK(c.content_count() == 800);

    // Re-adding what was removed finds its names again.
    c.add_peer(peer(1));
    add_many(c, 1, "one", 1000);
    CHECK(c.search(words("one0500")).total_matches == 1);
    CHECK(c.search(words("x")).total_matches == 1800);
}

TEST_CASE("names of hashed contents stay right while chunks are emptied, compacted and reused") {
    // 250-byte names, as above; each content i is held by peer 1 as
    // "one<i>-x..." and by peer 2 as "two<i>-x...".
    auto long_name = [](const char* prefix, std::uint32_t i) {
        std::string name = fmt::format("{}{:04}-", prefix, i);
        return name + std::string(250 - name.size(), 'x');
    };
    auto add_named = [&](Catalog& c, std::uint32_t peer_id, const char* prefix,
                         const std::vector<std::uint32_t>& contents, bool with_root) {
        std::vector<CatalogFile> files;
        for (auto i : contents) {
            files.push_back(file(i, long_name(prefix, i), 1));
            if (with_root) files.back().root = numbered_root(i);
        }
        auto added = c.add_files(peer_id, files);
        INFO((added.ok() ? "" : added.error().message));
        REQUIRE(added.ok());
    };
    std::vector<std::uint32_t> all, even, odd;
    for (std::uint32_t i = 0; i < 600; ++i) {
        all.push_back(i);
        (i % 2 ? odd : even).push_back(i);
    }
    Catalog c(CatalogLimits{100000, 10, 1000000});
    for (std::uint32_t id = 1; id <= 3; ++id)
        c.add_peer(peer(id));
    add_named(c, 1, "one", all, true);
    add_named(c, 2, "two", all, true);
    CHECK(c.content_count() == 600);
    CHECK(c.name_count() == 1200);
    auto r = c.search(words("x"));
    CHECK(r.total_matches == 600);
    REQUIRE(r.hits.size() == 10);
    CHECK(r.hits[0].name == long_name("one", 0));
    CHECK(r.hits[0].holder_total == 2);

    CHECK(c.remove_peer(1) == 600); // empties the chunks of the "one" names
    CHECK(c.name_count() == 600);
    CHECK(c.search(words("one")).total_matches == 0);
    r = c.search(words("x"));
    CHECK(r.total_matches == 600);
    CHECK(r.hits.at(0).name == long_name("two", 0));
    CHECK(r.hits.at(0).holder_total == 1);

    // Unhashed names fill the emptied chunks, then half of them go.
    add_named(c, 3, "three", all, false);
    std::vector<std::uint64_t> odd_ids(odd.begin(), odd.end());
    CHECK(c.remove_files(3, odd_ids) == 300);
    // Peer 1 comes back with the even contents only.
    c.add_peer(peer(1));
    add_named(c, 1, "one", even, true);
    CHECK(c.content_count() == 900);
    CHECK(c.name_count() == 1200);
    r = c.search(words("X"));
    CHECK(r.total_matches == 900);
    for (std::size_t i = 0; i < r.hits.size(); ++i)
        CHECK(r.hits[i].name == long_name("one", static_cast<std::uint32_t>(2 * i)));
    CHECK(c.search(words("two")).total_matches == 600);
    CHECK(c.search(words("three")).total_matches == 300);
    CHECK(c.search(words("three0001-")).total_matches == 0);

    // A content under two names, one of them compacted about: both found.
    r = c.search(exact(long_name("two", 598)));
    REQUIRE(r.hits.size() == 1);
    CHECK(named_holders_of(r.hits[0]) ==
          NamedHolders{{1, 598, long_name("one", 598)}, {2, 598, long_name("two", 598)}});
    r = c.search(CatalogQuery{"", numbered_root(599), false, 0});
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].name == long_name("two", 599));
    CHECK(c.search(CatalogQuery{"", numbered_root(600), false, 0}).total_matches == 0);
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
          CatalogHit{"song.mp3", 5, std::nullopt, 1, {CatalogHolder{1, 0, 1, ""}}});
    CHECK(listed(*answer, 0, 0) == protocol::Holder{1, "peer1", "10.0.0.1", 6001, 1, "song.mp3"});

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

TEST_CASE("a batch tells new, changed and just hashed files apart") {
    Catalog c({});
    c.add_peer(peer(1));
    REQUIRE(add(c, 1, {file(1, "a.bin", 10), file(2, "b.bin", 10), hashed(3, "c.bin", 10, 3)}).ok());
    // 1 gains a root; 2 gains a root and a new size (a change); 3 a new
    // root (a change); 4 is new.
    auto r = add(c, 1, {hashed(1, "a.bin", 10, 1), hashed(2, "b.bin", 11, 2), hashed(3, "c.bin", 10, 4),
                        file(4, "d.bin", 1)});
    REQUIRE(r.ok());
    CHECK(*r == AddOutcome{1, 2, 1});
    // The same entry again changes nothing.
    CHECK(*add(c, 1, {hashed(1, "a.bin", 10, 1)}) == AddOutcome{0, 0, 0, 1});
}

TEST_CASE("two common words meet range by range: exact when it reads all, a lower bound when it stops, "
          "and right with ids reused out of order") {
    // Enough names for many ranges of ids. "alpha" in every 3rd name,
    // "beta" in every 5th (and "betamax", which contains it, in every 7th):
    // both are common and meet often, so the search takes the ranged way.
    auto name_of = [](std::uint32_t i) {
        std::string name = fmt::format("n{}", i);
        if (i % 3 == 0) name += " alpha";
        if (i % 5 == 0) name += " beta";
        if (i % 7 == 0) name += " betamax";
        return name;
    };
    auto matches = [](std::uint32_t i) { return i % 3 == 0 && (i % 5 == 0 || i % 7 == 0); };
    constexpr std::uint32_t count = 120'000;
    for (std::uint32_t limit : {1'000'000u, 500u}) {
        CAPTURE(limit);
        Catalog c(CatalogLimits{1'000'000, 100, limit});
        c.add_peer(peer(1));
        std::vector<CatalogFile> batch;
        for (std::uint32_t i = 0; i < count; ++i) batch.push_back(file(i, name_of(i), 1));
        REQUIRE(c.add_files(1, batch).ok());
        std::size_t expected = 0;
        for (std::uint32_t i = 0; i < count; ++i) expected += matches(i);

        auto check = [&](std::size_t want) {
            auto r = c.search(words("ALPHA beta"));
            if (limit >= want) {
                CHECK(!r.total_is_lower_bound);
                CHECK(r.total_matches == want);
            } else {
                CHECK(r.total_is_lower_bound);
                CHECK(r.total_matches == limit);
            }
            REQUIRE(r.hits.size() == 100);
            for (const auto& hit : r.hits) {
                CHECK(hit.name.find("alpha") != std::string::npos);
                CHECK(hit.name.find("beta") != std::string::npos);
            }
        };
        check(expected);

        // Drop the first half, sweep, and add matching names again: they
        // take the freed low ids, appended after high ones in the lists.
        std::vector<std::uint64_t> gone;
        for (std::uint32_t i = 0; i < count / 2; ++i) gone.push_back(i);
        c.remove_files(1, gone);
        while (c.work(1'000'000)) {}
        std::size_t after = expected;
        for (std::uint32_t i = 0; i < count / 2; ++i) after -= matches(i);
        check(after);
        batch.clear();
        for (std::uint32_t i = 0; i < 3000; ++i) batch.push_back(file(count + i, fmt::format("late{} alpha beta", i), 2));
        REQUIRE(c.add_files(1, batch).ok());
        check(after + 3000);
    }
}

TEST_CASE("tables that grew are settled by work(), giving their old copies back") {
    Catalog c({});
    c.add_peer(peer(1));
    c.add_peer(peer(2));
    // 1,600 files take the peer's file table past 3/4 of 2048 slots: the
    // old copy moves over a few slots an insert, so most of it is left.
    std::vector<CatalogFile> batch;
    for (std::uint32_t i = 0; i < 1600; ++i) batch.push_back(file(i, fmt::format("track{} settle", i), 7));
    REQUIRE(c.add_files(1, batch).ok());
    REQUIRE(c.add_files(2, std::vector<CatalogFile>{file(1, "other settle", 3)}).ok());
    CHECK(c.has_work());
    const std::size_t before = c.memory_bytes();
    while (c.work(100)) {
        // Searches are right at every step of the move.
        REQUIRE(c.search(exact("track1599 settle")).hits.size() == 1);
    }
    CHECK(!c.has_work());
    // At least the peer's old table (2048 slots of 8 bytes) went back.
    CHECK(c.memory_bytes() + 2048 * 8 <= before);
    for (std::uint32_t i = 0; i < 1600; i += 97) CHECK(c.search(exact(fmt::format("track{} settle", i))).hits.size() == 1);
    // And the file ids still resolve: replacing and removing find them.
    REQUIRE(c.add_files(1, std::vector<CatalogFile>{file(5, "renamed settle", 7)}).ok());
    CHECK(c.search(exact("track5 settle")).hits.empty());
    CHECK(c.remove_files(1, std::vector<std::uint64_t>{6, 7, 99999}) == 2);
    CHECK(c.peer_file_count(1) == 1598);
}

TEST_CASE("a peer that leaves while its table settles leaves every file") {
    Catalog c({});
    c.add_peer(peer(1));
    std::vector<CatalogFile> batch;
    for (std::uint32_t i = 0; i < 1600; ++i) batch.push_back(file(i, fmt::format("gone{} leaving", i), 7));
    REQUIRE(c.add_files(1, batch).ok());
    CHECK(c.begin_remove_peer(1) == 1600);
    while (c.work(50)) {}
    CHECK(!c.removing_peer(1));
    CHECK(c.file_count() == 0);
    CHECK(c.search(words("leaving")).hits.empty());
}
