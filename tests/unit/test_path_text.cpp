// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "util/path_text.h"

using namespace napster;

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

TEST_CASE("normalise_path strips trailing slashes but keeps the root") {
    CHECK(normalise_path("/srv/share/") == "/srv/share");
    CHECK(normalise_path("/srv/share///") == "/srv/share");
    CHECK(normalise_path("/srv/share") == "/srv/share");
    CHECK(normalise_path("/") == "/");
    CHECK(normalise_path("///") == "/");
}
