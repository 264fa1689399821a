// SPDX-License-Identifier: MIT
// Which holders napeerd's FETCH uses (peer/fetch_choice.*): one content,
// of exactly the name or root asked for, never this peer itself.

#include "peer/fetch_choice.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace napster;
using protocol::Holder;
using protocol::SearchHit;

namespace {

content::Digest root_of(std::uint8_t fill) {
    content::Digest d{};
    d.fill(std::byte{fill});
    return d;
}

Holder holder(std::uint32_t peer, std::string name) {
    return Holder{peer, "p" + std::to_string(peer), "127.0.0.1", 6020, 100 + peer, std::move(name)};
}

SearchHit hit(std::string name, std::uint64_t size, protocol::RootHash root, std::vector<Holder> holders) {
    auto total = static_cast<std::uint32_t>(holders.size());
    return SearchHit{std::move(name), size, root, total, std::move(holders)};
}

protocol::Fetch by_name(std::string name, std::optional<std::uint32_t> peer = std::nullopt) {
    return protocol::Fetch{std::move(name), peer, "", std::nullopt};
}

protocol::Fetch by_root(std::uint8_t fill, std::string name = "") {
    return protocol::Fetch{std::move(name), std::nullopt, "", root_of(fill)};
}

std::vector<std::uint32_t> peers(const FetchChoice& choice) {
    std::vector<std::uint32_t> ids;
    for (const auto& h : choice.holders) ids.push_back(h.peer_id);
    return ids;
}

protocol::SearchResult answer(std::vector<SearchHit> hits) {
    return protocol::SearchResult{1, static_cast<std::uint32_t>(hits.size()), std::move(hits)};
}

} // namespace

TEST_CASE("the search: exact by name, or by root with an empty query") {
    auto name = fetch_search(by_name("a.txt"));
    CHECK(name.exact());
    CHECK(name.query == "a.txt");
    CHECK_FALSE(name.root);
    auto root = fetch_search(by_root(7, "saved.txt"));
    CHECK(root.query.empty());
    CHECK(root.root == root_of(7));
}

TEST_CASE("by name: only hits of exactly that name, with the content's root and every holder") {
    auto result = answer({hit("A.TXT", 5, root_of(1), {holder(2, "A.TXT")}),
                          hit("a.txt", 10, root_of(3), {holder(4, "a.txt"), holder(5, "b.txt")})});
    auto choice = choose_fetch(by_name("a.txt"), result, std::nullopt);
    REQUIRE(choice.ok());
    CHECK(choice->name == "a.txt");
    CHECK(choice->size == 10);
    CHECK(choice->root == root_of(3));
    CHECK(peers(*choice) == std::vector<std::uint32_t>{4, 5});
    CHECK(choice->holders[1].name == "b.txt"); // asked for under its own name
}

TEST_CASE("several contents of one name are refused, unless the chosen peer holds one") {
    auto result = answer({hit("a.txt", 10, std::nullopt, {holder(2, "a.txt")}),
                          hit("a.txt", 10, root_of(1), {holder(3, "a.txt")}),
                          hit("a.txt", 99, root_of(2), {holder(3, "a.txt"), holder(4, "a.txt")})});
    auto refused = choose_fetch(by_name("a.txt"), result, std::nullopt);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::invalid_argument);
    CHECK(refused.error().message ==
          "a.txt is shared as 3 different contents: unhashed (10 bytes, 1 holder), 010101010101 (10 bytes, 1 holder), "
          "020202020202 (99 bytes, 2 holders); fetch one by its root (napctl fetch --hash ROOT)");
    auto chosen = choose_fetch(by_name("a.txt", 4), result, std::nullopt);
    REQUIRE(chosen.ok());
    CHECK(chosen->root == root_of(2));
    CHECK(peers(*chosen) == std::vector<std::uint32_t>{4});
    CHECK_FALSE(choose_fetch(by_name("a.txt", 3), result, std::nullopt).ok()); // holds two of them
}

TEST_CASE("this napeerd is never a holder, and cannot be chosen") {
    auto result = answer({hit("a.txt", 10, root_of(1), {holder(1, "a.txt"), holder(2, "a.txt")}),
                          hit("a.txt", 17, std::nullopt, {holder(1, "a.txt")})});
    auto choice = choose_fetch(by_name("a.txt"), result, 1u);
    REQUIRE(choice.ok()); // its own 17-byte file does not make the name ambiguous
    CHECK(peers(*choice) == std::vector<std::uint32_t>{2});
    auto itself = choose_fetch(by_name("a.txt", 1), result, 1u);
    REQUIRE_FALSE(itself.ok());
    CHECK(itself.error().message == "peer 1 is this napeerd itself");
}

TEST_CASE("by root: only that root's holders, saved under the name given or the hit's") {
    auto result = answer({hit("x.bin", 10, root_of(9), {holder(2, "x.bin")}),
                          hit("a.bin", 10, root_of(5), {holder(3, "a.bin"), holder(4, "z.bin")})});
    auto choice = choose_fetch(by_root(5), result, std::nullopt);
    REQUIRE(choice.ok());
    CHECK(choice->name == "a.bin");
    CHECK(peers(*choice) == std::vector<std::uint32_t>{3, 4});
    CHECK(choose_fetch(by_root(5, "mine.bin"), result, std::nullopt)->name == "mine.bin");
    auto none = choose_fetch(by_root(6), result, std::nullopt);
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code == ErrorCode::not_found);
    CHECK(none.error().message.starts_with("no other peer holds content 0606"));
}

TEST_CASE("nothing to fetch from: not found, naming the peer when one was chosen") {
    auto result = answer({hit("a.txt", 10, root_of(1), {holder(2, "a.txt")})});
    CHECK(choose_fetch(by_name("b.txt"), result, std::nullopt).error().message == "no other peer holds b.txt");
    CHECK(choose_fetch(by_name("a.txt", 7), result, std::nullopt).error().message == "peer 7 does not hold a.txt");
    CHECK(choose_fetch(by_name("a.txt"), answer({}), std::nullopt).error().code == ErrorCode::not_found);
}
