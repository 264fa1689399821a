// SPDX-License-Identifier: MIT
#include "index/search_log.h"

#include <doctest/doctest.h>

using napster::SearchLogBudget;

TEST_CASE("the first searches of each second get their own line, the rest are summed up") {
    SearchLogBudget budget(3);
    CHECK(!budget.summary_due());
    CHECK(budget.admit(10'000, true));
    CHECK(budget.admit(10'100, false));
    CHECK(budget.admit(10'200, true));
    CHECK(!budget.summary_due()); // nothing counted yet
    CHECK(!budget.admit(10'300, true));
    CHECK(!budget.admit(10'400, false));
    CHECK(!budget.admit(10'999, false));
    REQUIRE(budget.summary_due());
    CHECK(*budget.summary_due() == 11'000); // the end of the second that began at 10,000

    auto summary = budget.take_summary(11'000);
    REQUIRE(summary);
    CHECK(summary->searches == 3);
    CHECK(summary->not_found == 2);
    CHECK(summary->span_ms == 1000);
    CHECK(!budget.take_summary(11'000)); // summed up once
    CHECK(!budget.summary_due());

    // A new second: three lines again.
    CHECK(budget.admit(11'000, true));
    CHECK(budget.admit(11'001, true));
    CHECK(budget.admit(11'002, true));
    CHECK(!budget.admit(11'003, true));
}

TEST_CASE("a second begins with the first search after the last one ended, not on a fixed grid") {
    SearchLogBudget budget(1);
    CHECK(budget.admit(5'000, true));
    CHECK(!budget.admit(5'999, true));
    // Quiet for a while: the next search starts a second of its own.
    CHECK(budget.admit(9'500, true));
    CHECK(!budget.admit(10'000, true));
    CHECK(budget.admit(10'500, true));
}

TEST_CASE("a summary taken late covers every search counted since the first of them") {
    SearchLogBudget budget(1);
    CHECK(budget.admit(0, true));
    CHECK(!budget.admit(1, false));
    CHECK(budget.admit(1'000, true)); // its second began: it gets a line
    CHECK(!budget.admit(1'001, true));
    // The owner's timer fired late, at 2,500 instead of 1,000.
    auto summary = budget.take_summary(2'500);
    REQUIRE(summary);
    CHECK(summary->searches == 2);
    CHECK(summary->not_found == 1);
    CHECK(summary->span_ms == 2'500);
}

TEST_CASE("zero lines a second: every search is only counted") {
    SearchLogBudget budget(0);
    for (int i = 0; i < 1000; ++i) CHECK(!budget.admit(static_cast<std::uint64_t>(i), i % 2 == 0));
    auto summary = budget.take_summary(1'000);
    REQUIRE(summary);
    CHECK(summary->searches == 1000);
    CHECK(summary->not_found == 500);
}

TEST_CASE("a search line names its peers once each, by ID, the first ten, then counts the rest") {
    using napster::peers_for_log;
    CHECK(peers_for_log({}) == "");
    CHECK(peers_for_log({4, 1, 4}) == "1, 4");
    std::vector<std::uint32_t> many;
    for (std::uint32_t id = 30; id > 0; --id) many.push_back(id % 15); // 0..14, each twice
    CHECK(peers_for_log(many) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 5 more");
    CHECK(peers_for_log({3, 2, 1}, 3) == "1, 2, 3");
    CHECK(peers_for_log({3, 2, 1}, 2) == "1, 2 and 1 more");
}
