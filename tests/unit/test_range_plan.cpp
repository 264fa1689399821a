// SPDX-License-Identifier: MIT
#include "peer/range_plan.h"

#include <doctest/doctest.h>

#include <vector>

using napster::RangePlan;
using napster::range_blocks_for;
using Range = RangePlan::Range;

namespace {

// Verifies every block of the source's range, in order, as a holder that
// delivers it would.
RangePlan::Verified deliver(RangePlan& plan, RangePlan::SourceId source) {
    auto range = plan.range_of(source);
    REQUIRE(range);
    RangePlan::Verified last;
    for (std::uint64_t b = range->first; b < range->first + range->count; ++b) last = plan.block_verified(source, b);
    return last;
}

} // namespace

TEST_CASE("the missing blocks are cut into ranges, given out in file order") {
    RangePlan plan(std::vector<bool>(10, false), 4);
    CHECK(plan.missing_blocks() == 10);
    CHECK(plan.assign(0) == Range{0, 4});
    CHECK(plan.assign(1) == Range{4, 4});
    CHECK(plan.assign(2) == Range{8, 2}); // a file not a multiple of the range: the last is shorter
    CHECK(plan.unassigned_blocks() == 0);
    CHECK(plan.range_of(1) == Range{4, 4});
    CHECK_FALSE(plan.range_of(3));
}

TEST_CASE("a source that delivers its range is given the next one") {
    RangePlan plan(std::vector<bool>(12, false), 4);
    REQUIRE(plan.assign(0) == Range{0, 4});
    REQUIRE(plan.assign(1) == Range{4, 4});
    CHECK_FALSE(plan.block_verified(0, 0).range_done);
    CHECK(plan.range_of(0) == Range{1, 3}); // what it still has to send
    auto done = deliver(plan, 0);
    CHECK(done.range_done);
    CHECK(done.outrun.empty());
    CHECK_FALSE(plan.range_of(0));
    CHECK(plan.assign(0) == Range{8, 4});
    CHECK(plan.missing_blocks() == 8);
}

TEST_CASE("already verified blocks are never assigned, and split the ranges") {
    std::vector<bool> verified(8, false);
    verified[0] = verified[1] = verified[4] = true;
    RangePlan plan(verified, 16);
    CHECK(plan.missing_blocks() == 5);
    CHECK(plan.assign(0) == Range{2, 2});
    CHECK(plan.assign(1) == Range{5, 3});
    CHECK(plan.unassigned_blocks() == 0);
}

TEST_CASE("a fully verified file has nothing to assign") {
    RangePlan plan(std::vector<bool>(3, true), 4);
    CHECK(plan.complete());
    CHECK_FALSE(plan.assign(0));
}

TEST_CASE("a file of one block (the empty file is one empty block) is one range, copied once at most") {
    RangePlan plan(std::vector<bool>(1, false), 4);
    CHECK(plan.assign(0) == Range{0, 1});
    CHECK(plan.assign(1) == Range{0, 1}); // the endgame copy
    CHECK_FALSE(plan.assign(2));          // two sources on a range at most
    auto first = plan.block_verified(1, 0);
    CHECK(first.range_done);
    CHECK(first.outrun == std::vector<RangePlan::SourceId>{0});
    CHECK(plan.complete());
}

TEST_CASE("a source that fails gives its unverified blocks back") {
    RangePlan plan(std::vector<bool>(8, false), 4);
    REQUIRE(plan.assign(0) == Range{0, 4});
    REQUIRE(plan.assign(1) == Range{4, 4});
    plan.block_verified(0, 0);
    plan.block_verified(0, 1);
    plan.release(0); // the holder went after two blocks
    CHECK_FALSE(plan.range_of(0));
    CHECK(plan.unassigned_blocks() == 2);
    // The next idle source goes on from the first block not verified.
    deliver(plan, 1);
    CHECK(plan.assign(1) == Range{2, 2});
    deliver(plan, 1);
    CHECK(plan.complete());
}

TEST_CASE("a slow source's last range is copied to an idle faster one, and the slow one is outrun") {
    RangePlan plan(std::vector<bool>(8, false), 4);
    REQUIRE(plan.assign(0) == Range{0, 4}); // slow
    REQUIRE(plan.assign(1) == Range{4, 4}); // fast
    plan.block_verified(0, 0);
    deliver(plan, 1);
    // Nothing is unassigned: the fast source gets what remains of the
    // slow one's range.
    CHECK(plan.assign(1) == Range{1, 3});
    CHECK(plan.block_verified(1, 1).outrun.empty());
    CHECK(plan.block_verified(1, 2).outrun.empty());
    auto last = plan.block_verified(1, 3);
    CHECK(last.range_done);
    CHECK(last.outrun == std::vector<RangePlan::SourceId>{0});
    CHECK_FALSE(plan.range_of(0));
    CHECK(plan.complete());
}

TEST_CASE("in the endgame the slowest source wins if it gets there first, and its copy is outrun") {
    RangePlan plan(std::vector<bool>(2, false), 1);
    REQUIRE(plan.assign(0) == Range{0, 1});
    REQUIRE(plan.assign(1) == Range{1, 1});
    deliver(plan, 0);
    REQUIRE(plan.assign(0) == Range{1, 1});
    auto verified = plan.block_verified(1, 1);
    CHECK(verified.range_done);
    CHECK(verified.outrun == std::vector<RangePlan::SourceId>{0});
    CHECK(plan.complete());
}

TEST_CASE("the endgame copies the range with the most blocks left") {
    RangePlan plan(std::vector<bool>(9, false), 3);
    REQUIRE(plan.assign(0) == Range{0, 3});
    REQUIRE(plan.assign(1) == Range{3, 3});
    REQUIRE(plan.assign(2) == Range{6, 3});
    plan.block_verified(0, 0);
    plan.block_verified(0, 1);
    plan.block_verified(1, 3);
    deliver(plan, 2);
    CHECK(plan.assign(2) == Range{4, 2});
    // Source 1's range has two sources now: the next idle one copies
    // source 0's.
    plan.release(2);
    CHECK(plan.assign(2) == Range{4, 2}); // given up and asked again: the same
    CHECK(plan.assign(3) == Range{2, 1});
    CHECK_FALSE(plan.assign(4));
}

TEST_CASE("a block a copy delivers after the other source verified it changes nothing") {
    RangePlan plan(std::vector<bool>(3, false), 3);
    REQUIRE(plan.assign(0) == Range{0, 3});
    REQUIRE(plan.assign(1) == Range{0, 3});
    plan.block_verified(0, 0);
    auto again = plan.block_verified(1, 0);
    CHECK_FALSE(again.range_done);
    CHECK(again.outrun.empty());
    CHECK(plan.missing_blocks() == 2);
    CHECK(plan.range_of(1) == Range{1, 2});
}

TEST_CASE("a failed copy leaves the range to the source that still fetches it") {
    RangePlan plan(std::vector<bool>(2, false), 2);
    REQUIRE(plan.assign(0) == Range{0, 2});
    REQUIRE(plan.assign(1) == Range{0, 2});
    plan.release(1);
    CHECK(plan.unassigned_blocks() == 0);
    CHECK(plan.range_of(0) == Range{0, 2});
    CHECK(plan.assign(1) == Range{0, 2}); // and a copy can be made again
}

TEST_CASE("ranges are a quarter of a source's share, between 1 and 16 blocks; one source gets all") {
    CHECK(range_blocks_for(1, 4) == 1);
    CHECK(range_blocks_for(12, 3) == 1);
    CHECK(range_blocks_for(100, 2) == 12);
    CHECK(range_blocks_for(64, 2) == 8);
    CHECK(range_blocks_for(10'000, 32) == 16);
    CHECK(range_blocks_for(100, 1) == 100);
    CHECK(range_blocks_for(5, 0) == 5);
}

TEST_CASE("a source that has not proved itself is given no copy") {
    RangePlan plan(std::vector<bool>(1, false), 4);
    REQUIRE(plan.assign(0) == Range{0, 1});
    CHECK_FALSE(plan.assign(1, false));
    CHECK_FALSE(plan.range_of(1));
    CHECK(plan.assign(1, true) == Range{0, 1});
}
