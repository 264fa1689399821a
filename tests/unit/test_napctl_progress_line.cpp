// SPDX-License-Identifier: MIT
// The fetch progress line (ctl/progress_line.*): its text, above all which
// holders a download pulls from.

#include "ctl/progress_line.h"

#include <doctest/doctest.h>

#include <chrono>

using napster::ctl::progress_text;
using napster::protocol::FetchProgress;
using namespace std::chrono_literals;

TEST_CASE("progress: percentage, sizes and, after half a second, the rate") {
    CHECK(progress_text("a.bin", FetchProgress{512, 1024, {}}, 0.1s) == "a.bin   50%  512 B of 1.0 KiB");
    CHECK(progress_text("a.bin", FetchProgress{1024, 1024, {}}, 1s) == "a.bin  100%  1.0 KiB of 1.0 KiB  1.0 KiB/s");
}

TEST_CASE("progress: one holder by name, several by count and names, cut short") {
    CHECK(progress_text("a.bin", FetchProgress{512, 1024, {{3, "bob"}}}, 0.1s) ==
          "a.bin   50%  512 B of 1.0 KiB  from bob");
    CHECK(progress_text("a.bin", FetchProgress{512, 1024, {{3, "bob"}, {4, "carol"}, {9, "dave"}}}, 0.1s) ==
          "a.bin   50%  512 B of 1.0 KiB  from 3 peers (bob, carol, dave)");
    std::string many = progress_text(
        "a.bin", FetchProgress{512, 1024, {{1, "alexandria"}, {2, "bartholomew"}, {3, "constantinople"}}}, 0.1s);
    CHECK(many.starts_with("a.bin   50%  512 B of 1.0 KiB  from 3 peers (alexandria, bartholom"));
    CHECK(many.size() < 80);
    // A name from another peer is escaped, never sent to the terminal raw.
    CHECK(progress_text("a.bin", FetchProgress{0, 0, {{3, "\x1b[2J"}}}, 0.1s).find('\x1b') == std::string::npos);
}
