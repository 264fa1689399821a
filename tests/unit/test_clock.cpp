// SPDX-License-Identifier: MIT
#include "event/clock.h"

#include "event/timer.h"
#include "loop_test_support.h"

#include <doctest/doctest.h>

using namespace napster;
using napster::test::TestLoop;

TEST_CASE("now_ms is the loop's time, the clock its timers run on") {
    TestLoop loop;
    std::uint64_t started = now_ms(loop.get());
    CHECK(started == uv_now(loop.get()));
    std::uint64_t fired_at = 0;
    Timer timer(loop.get());
    timer.start_once(5, [&] { fired_at = now_ms(loop.get()); });
    REQUIRE(loop.run_until([&] { return fired_at != 0; }));
    CHECK(fired_at >= started + 5);
}
