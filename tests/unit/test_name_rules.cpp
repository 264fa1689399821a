// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "protocol/name_rules.h"
#include "protocol/protocol.h"

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
