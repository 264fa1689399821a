// SPDX-License-Identifier: MIT
// The current rate and time left of a transfer (util/rate_meter.*), with
// the time given by the test.

#include "util/rate_meter.h"

#include <doctest/doctest.h>

using napster::RateMeter;

TEST_CASE("rate: none until half a second of history, then bytes a second") {
    RateMeter meter;
    CHECK_FALSE(meter.rate());
    meter.sample(1000, 0);
    CHECK_FALSE(meter.rate());
    meter.sample(1400, 400);
    CHECK_FALSE(meter.rate()); // 400 ms: mostly the connection setup
    meter.sample(2000, 1000);
    REQUIRE(meter.rate());
    CHECK(*meter.rate() == 1000);
}

TEST_CASE("rate: the current rate follows a change, the average does not") {
    RateMeter meter;
    // 10 s at 1000 B/s, then 10 s at 100 B/s, sampled every 250 ms.
    std::uint64_t bytes = 0;
    for (std::uint64_t ms = 0; ms <= 10'000; ms += 250) meter.sample(ms, bytes = ms);
    CHECK(*meter.rate() == 1000);
    for (std::uint64_t ms = 10'250; ms <= 20'000; ms += 250) meter.sample(ms, bytes += 25);
    CHECK(*meter.rate() == 100);
    CHECK(*meter.average() == (10'000 + 1'000) / 20);
}

TEST_CASE("rate: a stall brings the current rate to 0 and the ETA to none") {
    RateMeter meter;
    meter.sample(0, 0);
    meter.sample(1000, 5000);
    CHECK(*meter.eta_seconds(10'000) == 1);
    for (std::uint64_t ms = 1250; ms <= 7000; ms += 250) meter.sample(ms, 5000);
    CHECK(*meter.rate() == 0);
    CHECK_FALSE(meter.eta_seconds(10'000));
}

TEST_CASE("ETA: rounded up, 0 once done") {
    RateMeter meter;
    meter.sample(0, 0);
    meter.sample(1000, 300);
    CHECK(*meter.eta_seconds(1000) == 3); // 700 left at 300 B/s: 2.33 s
    CHECK(*meter.eta_seconds(300) == 0);
}

TEST_CASE("rate: samples closer than the spacing replace the latest, history stays short") {
    RateMeter meter;
    for (std::uint64_t ms = 0; ms <= 60'000; ms += 1) meter.sample(ms, ms * 2);
    CHECK(*meter.rate() == 2000);
    CHECK(*meter.average() == 2000);
}

TEST_CASE("rate: fewer bytes than before (the file started again) starts the history again") {
    RateMeter meter;
    meter.sample(0, 0);
    meter.sample(1000, 9000);
    meter.sample(1100, 100);
    CHECK_FALSE(meter.rate());
    meter.sample(2100, 1100);
    CHECK(*meter.rate() == 1000);
}
