// SPDX-License-Identifier: MIT
#include "fs/rescan_policy.h"

#include <doctest/doctest.h>

using napster::RescanPolicy;
using Cause = RescanPolicy::Cause;

TEST_CASE("the watch limit is explained once and starts periodic rescans") {
    RescanPolicy policy(300);
    CHECK_FALSE(policy.degraded());
    auto first = policy.degrade(Cause::watch_limit);
    CHECK(first.explain_limit);
    CHECK(first.announce);
    CHECK(first.start_periodic);
    CHECK_FALSE(first.rescan_now); // the walk listed the files; only later changes are missed
    CHECK(policy.degraded());

    auto again = policy.degrade(Cause::watch_limit);
    CHECK_FALSE(again.explain_limit);
    CHECK_FALSE(again.announce);
    CHECK_FALSE(again.start_periodic);
}

TEST_CASE("an overflowed event queue rescans at once, every time") {
    RescanPolicy policy(300);
    auto first = policy.degrade(Cause::queue_overflow);
    CHECK(first.rescan_now);
    CHECK(first.start_periodic);
    CHECK_FALSE(first.explain_limit);
    auto second = policy.degrade(Cause::queue_overflow);
    CHECK(second.rescan_now);
    CHECK_FALSE(second.start_periodic);
    CHECK_FALSE(second.announce);
}

TEST_CASE("rescan_interval 0 never starts periodic rescans") {
    RescanPolicy policy(0);
    auto d = policy.degrade(Cause::no_inotify);
    CHECK(d.announce);
    CHECK_FALSE(d.start_periodic);
    CHECK(policy.degrade(Cause::queue_overflow).rescan_now);
}

TEST_CASE("the limit is explained even when another cause came first") {
    RescanPolicy policy(60);
    auto failed = policy.degrade(Cause::watch_failed);
    CHECK(failed.start_periodic);
    CHECK_FALSE(failed.explain_limit);
    auto limit = policy.degrade(Cause::watch_limit);
    CHECK(limit.explain_limit);
    CHECK_FALSE(limit.start_periodic);
}
