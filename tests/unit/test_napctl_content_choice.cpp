// SPDX-License-Identifier: MIT
// Which content a fetch means (ctl/content_choice.*): the hits a name
// stands for, byte for byte, grouped into contents; the one content with a
// root; and the usage failure that lists several contents instead of
// mixing them.

#include "ctl/content_choice.h"
#include "napctl_test_support.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace napster::ctl;
using namespace napster::napctl_test;
using napster::protocol::SearchHit;

// A hit without a root: every holder uses the hit's name.
SearchHit unhashed(std::string name, std::uint64_t size, std::vector<std::uint32_t> peers) {
    std::vector<napster::protocol::Holder> holders;
    for (auto peer : peers) holders.push_back(holder(peer, "p" + std::to_string(peer), "10.0.0.1", 6020, peer, name));
    auto total = static_cast<std::uint32_t>(peers.size());
    return hit(std::move(name), size, std::nullopt, total, std::move(holders));
}

std::vector<std::uint32_t> peers_of(const Content& content) {
    std::vector<std::uint32_t> ids;
    for (const auto& h : content.holders) ids.push_back(h.peer_id);
    return ids;
}

const std::string root_a = "4f1c2a9e0b3d";
const std::string root_b = "9a0b1c2d3e4f";

} // namespace

// ---------------------------------------------------------------- contents_named

TEST_CASE("contents_named matches the name byte for byte") {
    std::vector<SearchHit> hits = {
        unhashed("f.txt", 10, {1}),
        unhashed("F.TXT", 20, {2}),                   // other case
        unhashed("f.txt ", 30, {3}),                  // trailing space
        unhashed("f.tx", 40, {4}),                    // prefix
        unhashed("xf.txt", 50, {5}),                  // suffix
        unhashed("f.txt\xff", 60, {6}),               // extra byte
        unhashed(std::string("f.txt\0", 6), 70, {7}), // extra NUL
    };
    auto found = contents_named(hits, "f.txt");
    REQUIRE(found.size() == 1);
    CHECK(found[0].size == 10);
    CHECK(peers_of(found[0]) == std::vector<std::uint32_t>{1});

    CHECK(contents_named(hits, "F.TXT").at(0).size == 20);
    CHECK(contents_named(hits, "f.txt\xff").at(0).size == 60);
    CHECK(contents_named(hits, std::string_view("f.txt\0", 6)).at(0).size == 70);
    CHECK(contents_named(hits, "F.txt").empty());
    CHECK(contents_named(hits, "").empty());
    CHECK(contents_named({}, "f.txt").empty());

    // Unicode normalisation forms are different bytes: "é" precomposed vs
    // "e" + combining acute.
    std::vector<SearchHit> accents = {unhashed("caf\xc3\xa9", 1, {1}), unhashed("cafe\xcc\x81", 2, {2})};
    CHECK(contents_named(accents, "caf\xc3\xa9").at(0).size == 1);
    CHECK(contents_named(accents, "cafe\xcc\x81").at(0).size == 2);
}

// The lying-index regression (tests/integration/test_lying_index.py), here
// at napctl's own search: hits of other names are not the name's.
TEST_CASE("contents_named: hits of other names are never taken for the name") {
    std::vector<SearchHit> hits = {unhashed("other.txt", 5, {3}), unhashed("INNOCENT.TXT", 5, {3})};
    CHECK(contents_named(hits, "innocent.txt").empty());
}

TEST_CASE("contents_named: a hashed hit has the name when any holder shares it under that name") {
    SearchHit shared = hit("a.txt", 100, root_starting(root_a), 3,
                           {holder(1, "p1", "h", 1, 1, "a.txt"), holder(2, "p2", "h", 1, 1, "b.txt"),
                            holder(3, "p3", "h", 1, 1, "c.txt")});
    std::vector<SearchHit> hits = {shared};
    for (std::string name : {"a.txt", "b.txt", "c.txt"}) {
        CAPTURE(name);
        auto found = contents_named(hits, name);
        REQUIRE(found.size() == 1);
        // Every holder of the content counts, whatever its name for it.
        CHECK(peers_of(found[0]) == std::vector<std::uint32_t>{1, 2, 3});
        CHECK(found[0].name == "a.txt");
        CHECK(found[0].root == root_starting(root_a));
        CHECK(found[0].holder_total == 3);
    }
    CHECK(contents_named(hits, "d.txt").empty());
}

TEST_CASE("contents_named: each root is one content, and so is each size without a root") {
    std::vector<SearchHit> hits = {
        hit("f", 10, root_starting(root_a), 2, {holder(1, "p1", "h", 1, 1, "f"), holder(2, "p2", "h", 1, 1, "f")}),
        unhashed("f", 10, {3, 4}),                                            // same size, not hashed
        hit("f", 10, root_starting(root_b), 1, {holder(5, "p5", "h", 1, 1, "f")}), // same size, other bytes
        unhashed("f", 20, {6}),                                               // another size
        unhashed("f", 10, {7}),                                               // the unhashed 10 again
        hit("f", 10, root_starting(root_a), 5, {holder(2, "p2", "h", 1, 1, "f"), holder(8, "p8", "h", 1, 1, "f")}),
    };
    auto found = contents_named(hits, "f");
    REQUIRE(found.size() == 4);
    // In the order found; repeated contents merged into the first.
    CHECK(found[0].root == root_starting(root_a));
    CHECK(peers_of(found[0]) == std::vector<std::uint32_t>{1, 2, 8}); // peer 2's file once
    CHECK(found[0].holder_total == 7);                                // 2 + 5, as the index counted
    CHECK_FALSE(found[1].root.has_value());
    CHECK(found[1].size == 10);
    CHECK(peers_of(found[1]) == std::vector<std::uint32_t>{3, 4, 7});
    CHECK(found[1].holder_total == 3);
    CHECK(found[2].root == root_starting(root_b));
    CHECK_FALSE(found[3].root.has_value());
    CHECK(found[3].size == 20);
}

TEST_CASE("contents_named: a hashed and an unhashed hit of one name and size are two contents") {
    std::vector<SearchHit> hits = {unhashed("f", 10, {1}), hit("f", 10, root_starting(root_a), 1,
                                                              {holder(2, "p2", "h", 1, 1, "f")})};
    CHECK(contents_named(hits, "f").size() == 2);
}

TEST_CASE("contents_named: holder totals that overflow stay at the largest count") {
    std::vector<SearchHit> hits = {hit("f", 1, root_starting(root_a), 0xFFFFFFF0u, {}),
                                   hit("f", 1, root_starting(root_a), 0x20, {})};
    auto found = contents_named(hits, "f");
    REQUIRE(found.size() == 1);
    CHECK(found[0].holder_total == 0xFFFFFFFFu);
}

// ---------------------------------------------------------------- content_with_root

TEST_CASE("content_with_root: only hits of exactly that root") {
    std::vector<SearchHit> hits = {
        hit("x", 10, root_starting(root_b), 1, {holder(9, "p9", "h", 1, 1, "x")}),
        hit("a", 10, root_starting(root_a), 1, {holder(1, "p1", "h", 1, 1, "a")}),
        unhashed("a", 10, {3}),
        hit("b", 10, root_starting(root_a), 1, {holder(2, "p2", "h", 1, 1, "b")}),
    };
    auto found = content_with_root(hits, root_starting(root_a));
    REQUIRE(found.has_value());
    CHECK(found->name == "a");
    CHECK(peers_of(*found) == std::vector<std::uint32_t>{1, 2});
    CHECK(found->holder_total == 2);
    CHECK_FALSE(content_with_root(hits, root_starting("77")).has_value());
    CHECK_FALSE(content_with_root({}, root_starting(root_a)).has_value());
}

// ---------------------------------------------------------------- ambiguous_name

TEST_CASE("ambiguous_name: a usage failure listing each content by its whole root") {
    std::vector<SearchHit> hits = {
        hit("file8_3.txt", 1234, root_starting(root_a), 3, {}),
        hit("file8_3.txt", 100'000'000, root_starting(root_b), 1, {}),
        unhashed("file8_3.txt", 1234, {4, 5}),
    };
    auto contents = contents_named(hits, "file8_3.txt");
    REQUIRE(contents.size() == 3);
    Failure f = ambiguous_name("file8_3.txt", contents);
    CHECK(f.status == exit_usage);
    CHECK(f.message == "fetch: \"file8_3.txt\" names 3 different files; choose one by its root with --hash:");
    const std::string a = root_a + std::string(52, '0');
    const std::string b = root_b + std::string(52, '0');
    CHECK(f.hint == "  " + a + "   1.2 KiB  3 holders\n"
                   "  " + b + "  95.4 MiB  1 holder\n"
                   "  unhashed                                                           1.2 KiB  2 holders\n"
                   "  (an unhashed one has no root to choose by until its holders have hashed it)");
}

TEST_CASE("ambiguous_name: no note when every content has a root; the name is escaped") {
    std::vector<Content> contents = {{"a", 1, root_starting(root_a), 1, {}}, {"a", 2, root_starting(root_b), 2, {}}};
    Failure f = ambiguous_name("a\n\x1b[2J", contents);
    CHECK(f.message == "fetch: \"a\\x0a\\x1b[2J\" names 2 different files; choose one by its root with --hash:");
    CHECK(f.hint.find("unhashed") == std::string::npos);
    CHECK(f.hint.back() != '\n'); // report() ends the line
    CHECK(f.hint.find(root_a) != std::string::npos);
}

TEST_CASE("this napeerd's own files are no holders, and a content only it holds is no choice") {
    // The download dir is shared: a file already there (or a copy this
    // peer holds) must not make a name look ambiguous, nor be offered.
    std::vector<SearchHit> hits = {unhashed("f.txt", 17, {4}), unhashed("f.txt", 100, {2, 4, 3})};
    auto found = contents_named(hits, "f.txt", 4u);
    REQUIRE(found.size() == 1);
    CHECK(found[0].size == 100);
    CHECK(peers_of(found[0]) == std::vector<std::uint32_t>{2, 3});
    CHECK(found[0].holder_total == 2);
    CHECK(contents_named(hits, "f.txt").size() == 2); // not registered: nothing is known to be ours
    CHECK(contents_named({hits.data(), 1}, "f.txt", 4u).empty());
}
