// SPDX-License-Identifier: MIT
#include "event/admission.h"

#include <doctest/doctest.h>

#include <string>

using namespace napster;

namespace {
ConnectionAdmission make(std::size_t max_pending, std::size_t max_per_address) {
    return ConnectionAdmission({max_pending, max_per_address}, "limits.max_pending", "limits.max_per_address");
}
} // namespace

TEST_CASE("no caps: everyone is admitted") {
    auto a = make(0, 0);
    for (int i = 0; i < 1000; ++i) {
        auto d = a.arrive("10.0.0.1");
        CHECK(d.admitted);
        CHECK(d.evicted.empty());
    }
    CHECK(a.pending() == 1000);
    CHECK(a.from("10.0.0.1") == 1000);
}

TEST_CASE("at max_pending the oldest pending connection makes room") {
    auto a = make(3, 0);
    auto first = *a.arrive("a").admitted;
    auto second = *a.arrive("b").admitted;
    auto third = *a.arrive("c").admitted;
    auto d = a.arrive("d");
    REQUIRE(d.admitted);
    CHECK(d.evicted == std::vector<ConnectionAdmission::Id>{first});
    CHECK(a.pending() == 3);
    // An established connection is never evicted: the next oldest goes.
    a.establish(second);
    CHECK(a.arrive("e").evicted.empty());
    auto f = a.arrive("f");
    CHECK(f.evicted == std::vector<ConnectionAdmission::Id>{third});
    CHECK(a.connections() == 4);
}

TEST_CASE("at max_per_address the address's own oldest pending goes, not anyone else's") {
    auto a = make(0, 2);
    auto other = *a.arrive("b").admitted;
    auto x1 = *a.arrive("a").admitted;
    a.arrive("a");
    auto d = a.arrive("a");
    REQUIRE(d.admitted);
    CHECK(d.evicted == std::vector<ConnectionAdmission::Id>{x1});
    CHECK(a.from("a") == 2);
    CHECK(a.from("b") == 1);
    a.leave(other);
    CHECK(a.from("b") == 0);
}

TEST_CASE("an address whose connections are all established is refused, naming the key") {
    auto a = make(0, 2);
    a.establish(*a.arrive("a").admitted);
    a.establish(*a.arrive("a").admitted);
    auto d = a.arrive("a");
    CHECK_FALSE(d.admitted);
    CHECK(d.evicted.empty());
    CHECK(d.refusal == "too many connections from a: limits.max_per_address is 2");
    CHECK(a.arrive("b").admitted);
}

TEST_CASE("leave of an evicted or unknown id changes nothing") {
    auto a = make(1, 0);
    auto first = *a.arrive("a").admitted;
    auto d = a.arrive("a");
    CHECK(d.evicted == std::vector<ConnectionAdmission::Id>{first});
    a.leave(first); // the evicted connection's close arrives later
    a.leave(12345);
    CHECK(a.pending() == 1);
    CHECK(a.from("a") == 1);
}

TEST_CASE("a flood from one address never keeps a newcomer out") {
    auto a = make(100, 50);
    for (int i = 0; i < 10000; ++i) {
        auto d = a.arrive("127.0.0.1");
        CHECK(d.admitted);
        CHECK(d.evicted.size() <= 2);
    }
    CHECK(a.from("127.0.0.1") == 50);
    CHECK(a.pending() == 50);
    auto newcomer = a.arrive("192.0.2.7");
    CHECK(newcomer.admitted);
    CHECK(newcomer.evicted.empty());
    auto same_address_newcomer = a.arrive("127.0.0.1");
    CHECK(same_address_newcomer.admitted);
    CHECK(same_address_newcomer.evicted.size() == 1);
}

TEST_CASE("both caps at once evict at most one each") {
    auto a = make(2, 2);
    a.arrive("a");
    a.arrive("b");
    auto d = a.arrive("c");
    CHECK(d.admitted);
    CHECK(d.evicted.size() == 1);
    CHECK(a.pending() == 2);
}

TEST_CASE("due_report: nothing to say, then the count, then silence for the interval") {
    auto a = make(1, 0);
    CHECK_FALSE(a.due_report(0));
    a.arrive("a");
    a.arrive("a"); // evicts one
    auto first = a.due_report(1000);
    REQUIRE(first);
    CHECK(*first == 1);
    a.arrive("a");
    CHECK_FALSE(a.due_report(5000)); // within 10 s of the last report
    auto later = a.due_report(11'000);
    REQUIRE(later);
    CHECK(*later == 1);
    CHECK_FALSE(a.due_report(30'000)); // nothing new
}
