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
