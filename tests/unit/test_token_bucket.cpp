// SPDX-License-Identifier: MIT
#include "util/token_bucket.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

using napster::TokenBucket;

TEST_CASE("no rate is no limit") {
    TokenBucket bucket;
    CHECK_FALSE(bucket.limited());
    CHECK(bucket.available(0) == std::numeric_limits<std::uint64_t>::max());
    bucket.take(0, std::uint64_t{1} << 50);
    CHECK(bucket.wait_ms(0, 1'000'000) == 0);
}

TEST_CASE("a full bucket holds a tenth of a second, refills at the rate, and caps there") {
    TokenBucket bucket;
    bucket.set_rate(10'000'000, 1000); // 10 MB/s: a burst of 1 MB
    CHECK(bucket.available(1000) == 1'000'000);
    bucket.take(1000, 1'000'000);
    CHECK(bucket.available(1000) == 0);
    CHECK(bucket.available(1001) == 10'000);
    CHECK(bucket.available(1050) == 500'000);
    CHECK(bucket.available(5000) == 1'000'000); // never past the burst
    // Time that goes backwards gives nothing and takes nothing.
    CHECK(bucket.available(4000) == 1'000'000);
}

TEST_CASE("a small rate still grants a minimum burst, and fractions of a byte per ms add up") {
    TokenBucket bucket;
    bucket.set_rate(1500, 0); // 1.5 bytes a millisecond
    CHECK(bucket.available(0) == TokenBucket::min_burst);
    bucket.take(0, TokenBucket::min_burst);
    for (std::uint64_t t = 1; t <= 1000; ++t) (void)bucket.available(t); // a refill every millisecond
    CHECK(bucket.available(1000) == 1500); // not 1000: the half bytes carried over
}

TEST_CASE("debt from a read is paid before more is granted, and wait_ms says how long") {
    TokenBucket bucket;
    bucket.set_rate(1'000'000, 0); // burst 100,000
    bucket.take(0, 400'000);       // a read larger than what was there: 300,000 in debt
    CHECK(bucket.available(0) == 0);
    CHECK(bucket.wait_ms(0, 1) == 301); // 300,001 bytes at 1,000 a ms
    CHECK(bucket.available(300) == 0);
    CHECK(bucket.available(301) == 1000);
    CHECK(bucket.wait_ms(301, 1000) == 0);
    // Asking for more than a burst waits only for a burst.
    CHECK(bucket.wait_ms(301, 10'000'000) == 99);
}

TEST_CASE("over a long run the bytes granted follow the rate") {
    // A sender that takes whatever is there every 7 ms for 5 s.
    TokenBucket bucket;
    bucket.set_rate(2'000'000, 0);
    std::uint64_t sent = 0;
    for (std::uint64_t t = 0; t <= 5000; t += 7) {
        std::uint64_t n = bucket.available(t);
        bucket.take(t, n);
        sent += n;
    }
    // 5 s at 2 MB/s plus the first burst.
    CHECK(sent >= 9'900'000);
    CHECK(sent <= 10'000'000 + 200'000);
}

TEST_CASE("a new rate starts from a full bucket of its own burst") {
    TokenBucket bucket;
    bucket.set_rate(1'000'000, 0);
    bucket.take(0, 5'000'000);
    bucket.set_rate(20'000'000, 10);
    CHECK(bucket.available(10) == 2'000'000);
    bucket.set_rate(0, 20);
    CHECK_FALSE(bucket.limited());
    CHECK(bucket.wait_ms(20, 1) == 0);
}
