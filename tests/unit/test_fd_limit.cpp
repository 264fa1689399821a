// SPDX-License-Identifier: MIT
#include "util/fd_limit.h"

#include <doctest/doctest.h>

using namespace napster;

TEST_CASE("the soft limit goes up to the hard one") {
    FdLimitPlan plan = plan_fd_limit(rlimit{1024, 524288}, 10064, "limits.max_peers is 10000");
    CHECK(plan.soft == 524288);
    CHECK_FALSE(plan.warning);
}

TEST_CASE("a hard limit below the need is raised to and warned about") {
    FdLimitPlan plan = plan_fd_limit(rlimit{1024, 4096}, 10064, "limits.max_peers is 10000");
    CHECK(plan.soft == 4096);
    REQUIRE(plan.warning);
    CHECK(*plan.warning ==
          "open-file limit is 4096, but limits.max_peers is 10000 needs about 10064; raise it (LimitNOFILE= in "
          "the unit, or ulimit -n) or lower the setting");
}

TEST_CASE("an unlimited hard limit is taken and never warned about") {
    FdLimitPlan plan = plan_fd_limit(rlimit{1024, RLIM_INFINITY}, 1u << 30, "x");
    CHECK(plan.soft == RLIM_INFINITY);
    CHECK_FALSE(plan.warning);
}

TEST_CASE("a soft limit already at the hard one stays") {
    FdLimitPlan plan = plan_fd_limit(rlimit{65536, 65536}, 100, "x");
    CHECK(plan.soft == 65536);
    CHECK_FALSE(plan.warning);
}

TEST_CASE("raise_fd_limit leaves this process at its hard limit") {
    auto warning = raise_fd_limit(16, "a test");
    CHECK_FALSE(warning);
    rlimit now{};
    REQUIRE(getrlimit(RLIMIT_NOFILE, &now) == 0);
    CHECK(now.rlim_cur == now.rlim_max);
}
