// SPDX-License-Identifier: MIT
#include "event/loop_turns.h"
#include "event/service_run.h"
#include "event/timer.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace napster;

TEST_CASE("a turn that keeps the loop busy is measured, waiting for events is not") {
    uv_loop_t loop;
    init_loop(&loop);
    {
        LoopTurnWatch watch(&loop);
        Timer idle(&loop), busy(&loop);
        // 60 ms of waiting, then one callback that works for 40 ms.
        idle.start_once(60, [&] {
            CHECK(watch.take_longest_us() < 20'000); // waiting is not a turn's work
            busy.start_once(1, [] { std::this_thread::sleep_for(std::chrono::milliseconds(40)); });
        });
        uv_run(&loop, UV_RUN_DEFAULT);
        std::uint64_t longest = watch.take_longest_us();
        CHECK(longest >= 40'000);
        CHECK(watch.longest_ever_us() >= 40'000);
        CHECK(watch.take_longest_us() == 0); // taken: afresh
    }
    uv_run(&loop, UV_RUN_DEFAULT); // the closes
    CHECK(uv_loop_close(&loop) == 0);
}
