// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "fs/partial_name.h"
#include "protocol/name_rules.h"
#include "protocol/protocol.h"

#include <set>
#include <string>

using namespace napster;

TEST_CASE("partial_name has the documented shape") {
    CHECK(partial_name("a", 42) == ".napster-000000000000002a-a.part");
    CHECK(partial_name("file8_3.txt", 0xFFFFFFFFFFFFFFFFULL) == ".napster-ffffffffffffffff-file8_3.txt.part");
}

TEST_CASE("partial_name stays a safe name of at most 255 bytes") {
    for (std::size_t len = 1; len <= protocol::max_file_name; ++len) {
        CAPTURE(len);
        std::string name(len, 'n');
        std::string part = partial_name(name, 0x0123456789ABCDEFULL);
        CHECK(part.size() <= protocol::max_file_name);
        CHECK(is_safe_file_name(part));
        CHECK(is_partial_name(part));
        CHECK(part != name);
    }
    std::string part = partial_name(std::string(255, 'n'), 1);
    CHECK(part.size() == 255);
    CHECK(part.substr(0, 26) == ".napster-0000000000000001-");
    CHECK(part.substr(part.size() - 5) == ".part");
}

TEST_CASE("partial_name keeps non-UTF-8 bytes and stays distinct per unique") {
    std::string name("\xff\xfe", 2);
    std::string a = partial_name(name, 1);
    std::string b = partial_name(name, 2);
    CHECK(a != b);
    CHECK(a.find(name) != std::string::npos);
    CHECK(is_partial_name(a));
    std::set<std::string> seen;
    for (unsigned long long u = 0; u < 100; ++u) seen.insert(partial_name(std::string(255, 'x'), u));
    CHECK(seen.size() == 100);
}

TEST_CASE("is_partial_name recognises only partial names") {
    CHECK_FALSE(is_partial_name(""));
    CHECK_FALSE(is_partial_name("a.part"));
    CHECK_FALSE(is_partial_name("file8_3.txt"));
    CHECK_FALSE(is_partial_name(".napster-"));
    CHECK_FALSE(is_partial_name(".napster-x.part"));
    CHECK_FALSE(is_partial_name(".napster-000000000000002a-a.txt"));
    CHECK_FALSE(is_partial_name("napster-000000000000002a-aa.part"));
    CHECK(is_partial_name(".napster-000000000000002a-a.part"));
}
