// SPDX-License-Identifier: MIT
#include "event/timer.h"

#include "loop_test_support.h"

#include <doctest/doctest.h>

#include <optional>

using namespace napster;
using napster::test::TestLoop;

TEST_CASE("a Timer fires once, and again when restarted from its callback") {
    TestLoop loop;
    int fired = 0;
    {
        Timer timer(loop.get());
        std::function<void()> again = [&] {
            if (++fired < 3) timer.start_once(0, again);
        };
        timer.start_once(0, again);
        CHECK(timer.active());
        CHECK(loop.run_until([&] { return fired == 3; }));
        CHECK(!timer.active());
        CHECK(timer.due_in_ms() == 0);
    }
    CHECK(loop.close());
}

TEST_CASE("destroying a running Timer stops it and frees its handle") {
    TestLoop loop;
    bool fired = false;
    {
        Timer timer(loop.get());
        timer.start_repeating(1, [&] { fired = true; });
    }
    CHECK(loop.close());
    CHECK(!fired);
}

TEST_CASE("a Timer may be destroyed from its own callback") {
    TestLoop loop;
    std::optional<Timer> timer(std::in_place, loop.get());
    int fired = 0;
    timer->start_repeating(1, [&] {
        ++fired;
        timer.reset();
    });
    CHECK(loop.run_until([&] { return !timer; }));
    CHECK(loop.close());
    CHECK(fired == 1);
}

TEST_CASE("a SignalWatch closes its three handles and leaves the loop closable") {
    TestLoop loop;
    {
        SignalWatch signals(
            loop.get(), [] {}, [] {});
    }
    CHECK(loop.close());
}
