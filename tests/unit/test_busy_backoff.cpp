// SPDX-License-Identifier: MIT
#include "peer/busy_backoff.h"

#include <doctest/doctest.h>

using napster::BusyBackoff;

TEST_CASE("busy rounds wait twice as long each time, up to the cap") {
    BusyBackoff backoff({.first_ms = 500, .max_ms = 4'000, .give_up_ms = 60'000});
    // The largest random number gives the whole step, 0 gives half of it.
    CHECK(backoff.next_delay(0, 250) == 500);
    CHECK(backoff.next_delay(500, 500) == 1'000);
    CHECK(backoff.next_delay(1'500, 1'000) == 2'000);
    CHECK(backoff.next_delay(3'500, 2'000) == 4'000);
    CHECK(backoff.next_delay(7'500, 2'000) == 4'000); // capped
    CHECK(backoff.rounds() == 5);
    CHECK(backoff.waited_ms(11'500) == 11'500);
}

TEST_CASE("the jitter keeps a delay between half the step and the step") {
    BusyBackoff backoff({.first_ms = 1'000, .max_ms = 10'000, .give_up_ms = 60'000});
    CHECK(backoff.next_delay(0, 0) == 500);
    BusyBackoff other({.first_ms = 1'000, .max_ms = 10'000, .give_up_ms = 60'000});
    CHECK(other.next_delay(0, 123) == 623);
    for (std::uint32_t random : {0u, 1u, 77u, 999u, 4'294'967'295u}) {
        BusyBackoff b({.first_ms = 1'000, .max_ms = 10'000, .give_up_ms = 60'000});
        auto delay = b.next_delay(0, random);
        REQUIRE(delay);
        CHECK(*delay >= 500);
        CHECK(*delay <= 1'000);
    }
}

TEST_CASE("the holders being busy for give_up_ms ends the waiting") {
    BusyBackoff backoff({.first_ms = 500, .max_ms = 10'000, .give_up_ms = 30'000});
    CHECK(backoff.next_delay(1'000, 0));
    CHECK(backoff.next_delay(30'999, 0));
    CHECK_FALSE(backoff.next_delay(31'000, 0)); // 30 s after the first busy round
}

TEST_CASE("a holder that accepts starts the next busy spell from the first step") {
    BusyBackoff backoff({.first_ms = 500, .max_ms = 10'000, .give_up_ms = 30'000});
    CHECK(backoff.next_delay(0, 500));
    CHECK(backoff.next_delay(1'000, 500) == 1'000);
    backoff.reset();
    CHECK(backoff.rounds() == 0);
    CHECK(backoff.waited_ms(100'000) == 0);
    // Long after the first spell began: a new spell, not given up.
    CHECK(backoff.next_delay(100'000, 250) == 500);
    CHECK(backoff.waited_ms(100'400) == 400);
}
