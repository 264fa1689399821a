// SPDX-License-Identifier: MIT
#include "event/socket_address.h"

#include <doctest/doctest.h>

#include <netinet/in.h>

using namespace napster;

TEST_CASE("IP literals become addresses with their port") {
    auto v4 = ip_address("127.0.0.1", 5015);
    REQUIRE(v4);
    CHECK(v4->ss_family == AF_INET);
    CHECK(address_text(*v4) == "127.0.0.1");
    CHECK(address_port(*v4) == 5015);
    CHECK(endpoint_text(*v4) == "127.0.0.1:5015");

    auto v6 = ip_address("::1", 6699);
    REQUIRE(v6);
    CHECK(v6->ss_family == AF_INET6);
    CHECK(address_text(*v6) == "::1");
    CHECK(endpoint_text(*v6) == "[::1]:6699");
}

TEST_CASE("host names and malformed literals are not IP addresses") {
    CHECK(!ip_address("localhost", 1));
    CHECK(!ip_address("127.0.0", 1));
    CHECK(!ip_address("[::1]", 1));
    CHECK(!ip_address("", 1));
}

TEST_CASE("endpoints of configured hosts bracket IPv6 literals only") {
    CHECK(endpoint_text("index.example", 5015) == "index.example:5015");
    CHECK(endpoint_text("10.0.0.1", 0) == "10.0.0.1:0");
    CHECK(endpoint_text("fe80::1", 80) == "[fe80::1]:80");
}

TEST_CASE("an address of another family has no text and no port") {
    sockaddr_storage unix_address{};
    unix_address.ss_family = AF_UNIX;
    CHECK(address_text(unix_address).empty());
    CHECK(address_port(unix_address) == 0);
    CHECK(endpoint_text(unix_address) == "an address of family 1");
}

TEST_CASE("listener_reaches: the address the index advertises against the upload listener's") {
    auto at = [](const char* literal) {
        auto address = ip_address(literal, 6020);
        REQUIRE(address);
        return *address;
    };
    // Issue 12: the index reached over ::1 while uploads listen on
    // 127.0.0.1: other peers are sent to ::1, where nothing listens.
    CHECK(!listener_reaches(at("127.0.0.1"), at("::1")));
    CHECK(listener_reaches(at("127.0.0.1"), at("127.0.0.1")));
    CHECK(!listener_reaches(at("127.0.0.1"), at("127.0.0.2")));
    CHECK(!listener_reaches(at("192.0.2.7"), at("198.51.100.1")));
    // 0.0.0.0 takes every IPv4 address, and IPv4 only.
    CHECK(listener_reaches(at("0.0.0.0"), at("192.0.2.7")));
    CHECK(!listener_reaches(at("0.0.0.0"), at("::1")));
    CHECK(!listener_reaches(at("0.0.0.0"), at("2001:db8::1")));
    // :: takes both families (IPV6_V6ONLY off).
    CHECK(listener_reaches(at("::"), at("::1")));
    CHECK(listener_reaches(at("::"), at("127.0.0.1")));
    // A specific IPv6 address only itself.
    CHECK(listener_reaches(at("::1"), at("::1")));
    CHECK(!listener_reaches(at("::1"), at("127.0.0.1")));
    CHECK(!listener_reaches(at("2001:db8::1"), at("2001:db8::2")));
    // IPv4-mapped addresses are the IPv4 address they map, on either side.
    CHECK(listener_reaches(at("127.0.0.1"), at("::ffff:127.0.0.1")));
    CHECK(listener_reaches(at("0.0.0.0"), at("::ffff:192.0.2.7")));
    CHECK(listener_reaches(at("::ffff:127.0.0.1"), at("127.0.0.1")));
    CHECK(!listener_reaches(at("::1"), at("::ffff:127.0.0.1")));
    // Not an IP address: never reachable.
    sockaddr_storage none{};
    CHECK(!listener_reaches(at("0.0.0.0"), none));
    CHECK(!listener_reaches(none, at("127.0.0.1")));
}
