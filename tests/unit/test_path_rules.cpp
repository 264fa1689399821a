// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "fs/path_rules.h"
#include "protocol/protocol.h"

#include <set>
#include <string>

using namespace napster;

// ---------------------------------------------------------------- file names

TEST_CASE("file_name_problem accepts any single component of 1..255 bytes") {
    CHECK_FALSE(file_name_problem("a"));
    CHECK_FALSE(file_name_problem("file8_3.txt"));
    CHECK_FALSE(file_name_problem(std::string(255, 'n')));
    CHECK_FALSE(file_name_problem("..."));
    CHECK_FALSE(file_name_problem(".hidden"));
    CHECK_FALSE(file_name_problem("..a"));
    CHECK_FALSE(file_name_problem("a.."));
    CHECK_FALSE(file_name_problem(" "));
    CHECK_FALSE(file_name_problem("back\\slash"));
    CHECK_FALSE(file_name_problem("new\nline"));
    CHECK_FALSE(file_name_problem("\xff\xfe"));
    CHECK_FALSE(file_name_problem("\xc0\xaf")); // overlong '/': bytes, not a slash
    CHECK_FALSE(file_name_problem("日本語.txt"));
    CHECK(is_safe_file_name("a"));
}

TEST_CASE("file_name_problem refuses unsafe names with a reason") {
    auto refused = [](std::string_view name, std::string_view reason) {
        CAPTURE(name);
        auto problem = file_name_problem(name);
        REQUIRE(problem);
        CHECK(problem->find(reason) != std::string::npos);
        CHECK_FALSE(is_safe_file_name(name));
    };
    refused("", "empty");
    refused(std::string(256, 'n'), "256 bytes");
    refused(std::string(4096, 'n'), "at most 255");
    refused(".", "not allowed");
    refused("..", "not allowed");
    refused("/", "'/'");
    refused("a/b", "'/'");
    refused("a/", "'/'");
    refused("/a", "'/'");
    refused(std::string("a\0b", 3), "NUL");
    refused(std::string("\0", 1), "NUL");
}

TEST_CASE("file name limit follows the protocol's max_file_name") {
    CHECK(protocol::max_file_name == 255);
    CHECK(is_safe_file_name(std::string(protocol::max_file_name, 'x')));
    CHECK_FALSE(is_safe_file_name(std::string(protocol::max_file_name + 1, 'x')));
}

// ---------------------------------------------------------------- relative paths

TEST_CASE("relative_path_problem accepts relative paths of safe components") {
    CHECK_FALSE(relative_path_problem("a"));
    CHECK_FALSE(relative_path_problem("a/b/c.txt"));
    CHECK_FALSE(relative_path_problem("...x/.y/z.."));
    CHECK_FALSE(relative_path_problem("\xff/\xfe"));
    CHECK_FALSE(relative_path_problem(std::string(255, 'a') + "/" + std::string(255, 'b')));
}

TEST_CASE("relative_path_problem refuses what could leave the root") {
    auto refused = [](std::string_view path, std::string_view reason) {
        CAPTURE(path);
        auto problem = relative_path_problem(path);
        REQUIRE(problem);
        CHECK(problem->find(reason) != std::string::npos);
    };
    refused("", "empty");
    refused("/", "absolute");
    refused("/etc/passwd", "absolute");
    refused("..", "not allowed");
    refused("../a", "not allowed");
    refused("a/../../b", "not allowed");
    refused("a/..", "not allowed");
    refused("./a", "not allowed");
    refused("a/.", "not allowed");
    refused("a//b", "empty");
    refused("a/", "empty");
    refused(std::string("a/b\0c", 5), "NUL");
    refused("a/" + std::string(256, 'n'), "256 bytes");
}

TEST_CASE("relative_path_problem length limit is exact") {
    // 2048 * "d/" would end in '/': 2047 of them and a 2-byte name is 4096.
    std::string path;
    for (int i = 0; i < 2047; ++i) path += "d/";
    path += "nn";
    REQUIRE(path.size() == protocol::max_rel_path);
    CHECK_FALSE(relative_path_problem(path));
    auto problem = relative_path_problem(path + "n");
    REQUIRE(problem);
    CHECK(problem->find("4097") != std::string::npos);
}

// ---------------------------------------------------------------- base_name, join_path

TEST_CASE("base_name") {
    CHECK(base_name("a/b/c.txt") == "c.txt");
    CHECK(base_name("c.txt") == "c.txt");
    CHECK(base_name("/abs/x") == "x");
    CHECK(base_name("dir/") == "");
    CHECK(base_name("") == "");
    CHECK(base_name("a/\xff\xfe") == "\xff\xfe");
}

TEST_CASE("join_path") {
    CHECK(join_path("a", "b") == "a/b");
    CHECK(join_path("a/", "b") == "a/b");
    CHECK(join_path("/srv/share", "x.txt") == "/srv/share/x.txt");
    CHECK(join_path("/", "x") == "/x");
    CHECK(join_path("/srv", "a/b") == "/srv/a/b");
    CHECK(join_path("/srv", "\xff") == "/srv/\xff");
}

// ---------------------------------------------------------------- path_is_within

TEST_CASE("path_is_within compares whole components") {
    CHECK(path_is_within("/srv/share", "/srv/share"));
    CHECK(path_is_within("/srv/share/a", "/srv/share"));
    CHECK(path_is_within("/srv/share/a/b/c", "/srv/share"));
    CHECK(path_is_within("/srv/share/", "/srv/share"));
    CHECK_FALSE(path_is_within("/srv/share2", "/srv/share"));
    CHECK_FALSE(path_is_within("/srv/share2/a", "/srv/share"));
    CHECK_FALSE(path_is_within("/srv/sharea", "/srv/share"));
    CHECK_FALSE(path_is_within("/srv/shar", "/srv/share"));
    CHECK_FALSE(path_is_within("/srv", "/srv/share"));
    CHECK_FALSE(path_is_within("/other/share", "/srv/share"));
    CHECK_FALSE(path_is_within("", "/srv/share"));
    CHECK_FALSE(path_is_within("srv/share/a", "/srv/share"));
}

TEST_CASE("path_is_within ignores trailing slashes on the root") {
    CHECK(path_is_within("/srv/share/a", "/srv/share/"));
    CHECK(path_is_within("/srv/share", "/srv/share/"));
    CHECK(path_is_within("/srv/share/a", "/srv/share///"));
    CHECK_FALSE(path_is_within("/srv/share2", "/srv/share/"));
    CHECK_FALSE(path_is_within("/srv/share2", "/srv/share//"));
}

TEST_CASE("path_is_within with the root directory") {
    CHECK(path_is_within("/", "/"));
    CHECK(path_is_within("/anything/at/all", "/"));
    CHECK_FALSE(path_is_within("relative", "/"));
    CHECK_FALSE(path_is_within("", "/"));
}

// ---------------------------------------------------------------- partial names

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
