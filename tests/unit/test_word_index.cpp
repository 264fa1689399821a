// SPDX-License-Identifier: MIT
#include "catalog/word_index.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

using namespace napster;

namespace {

std::vector<std::string> words_of(std::string_view name) {
    std::vector<std::string> out;
    std::string buffer;
    WordIndex::for_each_word(name, buffer, [&](std::string_view w) { out.emplace_back(w); });
    return out;
}

std::set<std::string> containing(const WordIndex& index, std::string_view part) {
    std::set<std::string> out;
    index.for_each_word_containing(part, [&](WordIndex::WordId w) {
        CHECK(out.insert(std::string(index.text(w))).second); // each once
    });
    return out;
}

} // namespace

TEST_CASE("a name's words: split at ASCII white space, ASCII folded, each once") {
    CHECK(words_of("Artist Name - 07 - Title.MP3") ==
          std::vector<std::string>{"artist", "name", "-", "07", "title.mp3"});
    CHECK(words_of("  a\tb\nc\rd\ve\ff  ") == std::vector<std::string>{"a", "b", "c", "d", "e", "f"});
    CHECK(words_of("Love love LOVE") == std::vector<std::string>{"love"});
    CHECK(words_of("\xC3\x89T\xC3\x89 \xFF") == std::vector<std::string>{"\xC3\x89t\xC3\x89", "\xFF"});
    CHECK(words_of(" ").empty());
    CHECK(words_of(std::string(255, 'Q')) == std::vector<std::string>{std::string(255, 'q')});
}

TEST_CASE("words containing a part: inside words only, never across the packing") {
    WordIndex index;
    REQUIRE(index.add_posting("thunder", 1));
    REQUIRE(index.add_posting("hundred", 2));
    REQUIRE(index.add_posting("a", 3));
    REQUIRE(index.add_posting("thunder", 4));
    CHECK(index.word_count() == 3);
    CHECK(index.posting_count() == 4);
    CHECK(containing(index, "hund") == std::set<std::string>{"thunder", "hundred"});
    CHECK(containing(index, "d") == std::set<std::string>{"thunder", "hundred"});
    CHECK(containing(index, "a") == std::set<std::string>{"a"});
    CHECK(containing(index, "thunder") == std::set<std::string>{"thunder"});
    CHECK(containing(index, "rh").empty()); // "thunder" + "hundred" packed side by side
    CHECK(containing(index, "zz").empty());
}

TEST_CASE("a sweep drops dead postings, then empty words, and the text is repacked") {
    WordIndex index;
    for (std::uint32_t e = 0; e < 100; ++e) REQUIRE(index.add_posting(e % 2 ? "odd" : "even", e));
    REQUIRE(index.add_posting("lonely", 200));
    auto dead = [](std::uint32_t e) { return e >= 50; };
    for (WordIndex::WordId w = 0; w < index.word_capacity(); ++w) index.sweep_word(w, dead);
    CHECK(index.word_count() == 2);
    CHECK(index.posting_count() == 50);
    CHECK(containing(index, "lonely").empty());
    index.repack_if_sparse();
    CHECK(containing(index, "o") == std::set<std::string>{"odd"});
    // A dropped word's id is reused; the new word is found, the old is not.
    REQUIRE(index.add_posting("fresh", 300));
    CHECK(containing(index, "fresh") == std::set<std::string>{"fresh"});
    CHECK(containing(index, "lone").empty());
}

TEST_CASE("a long vocabulary: every word holding the part is found, also across 64 KiB windows") {
    // 30,000 words of 9 bytes and their NULs: 300,000 bytes of text, so
    // hits fall on and straddle every window boundary.
    WordIndex index;
    std::set<std::string> want;
    for (std::uint32_t i = 0; i < 30000; ++i) {
        std::string word = "w" + std::to_string(100000 + i) + "xy";
        REQUIRE(index.add_posting(word, i));
        if (word.find("9xy") != std::string::npos) want.insert(word);
    }
    CHECK(want.size() == 3000);
    CHECK(containing(index, "9xy") == want);
    CHECK(containing(index, "w").size() == 30000);
    CHECK(containing(index, "w129999xy") == std::set<std::string>{"w129999xy"});
    CHECK(containing(index, "yw").empty());
}

namespace {

// words_containing, which may answer from its cache, against a fresh scan.
void check_cached(const WordIndex& index, std::string_view part) {
    std::set<std::string> cached;
    for (WordIndex::WordId w : index.words_containing(part))
        CHECK(cached.insert(std::string(index.text(w))).second); // each once
    CHECK(cached == containing(index, part));
}

} // namespace

TEST_CASE("cached words containing a part follow adds, drops, reused ids and repacks") {
    WordIndex index;
    std::uint32_t entry = 0;
    REQUIRE(index.add_posting("thunder", entry++));
    check_cached(index, "hund");
    // Added since: found by the scan of the text past the cached end.
    REQUIRE(index.add_posting("hundred", entry++));
    REQUIRE(index.add_posting("chunder", entry++));
    check_cached(index, "hund");
    check_cached(index, "hund");
    // Dropped: its id is taken again by a word the part is not in.
    const std::uint32_t dropped_entry = 1;
    for (WordIndex::WordId w = 0; w < index.word_capacity(); ++w)
        index.sweep_word(w, [&](std::uint32_t e) { return e == dropped_entry; });
    REQUIRE(index.add_posting("zebra", entry++));
    check_cached(index, "hund");
    check_cached(index, "ebr");
    // A repack moves every word's text.
    for (int i = 0; i < 40; ++i) REQUIRE(index.add_posting("filler" + std::to_string(i), entry++));
    for (WordIndex::WordId w = 0; w < index.word_capacity(); ++w)
        index.sweep_word(w, [&](std::uint32_t e) { return e >= 4; });
    index.repack_if_sparse();
    check_cached(index, "hund");
    check_cached(index, "ebr");
    check_cached(index, "filler");
}

TEST_CASE("cached words containing a part: eviction past 16 parts, and parts too common to keep") {
    WordIndex index;
    for (std::uint32_t i = 0; i < 5000; ++i) REQUIRE(index.add_posting("k" + std::to_string(10000 + i), i));
    // 5000 words hold "k": more than the cache keeps, answered each time.
    for (int round = 0; round < 3; ++round) {
        check_cached(index, "k");
        for (int p = 0; p < 20; ++p) check_cached(index, "k1" + std::to_string(p % 10) + std::to_string(p / 10));
        REQUIRE(index.add_posting("k" + std::to_string(20000 + round), 9000 + static_cast<std::uint32_t>(round)));
    }
}
