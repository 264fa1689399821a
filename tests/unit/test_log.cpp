// SPDX-License-Identifier: MIT
// The daemons' log (util/log.*): when a terminal gets colour.

#include "util/log.h"

#include <doctest/doctest.h>

using napster::log_colour_allowed;

TEST_CASE("log colour: NO_COLOR set and not empty, or TERM=dumb, turn it off") {
    CHECK(log_colour_allowed(nullptr, "xterm-256color"));
    CHECK(log_colour_allowed(nullptr, nullptr));
    CHECK(log_colour_allowed("", "xterm")); // no-color.org: an empty NO_COLOR does not count
    CHECK_FALSE(log_colour_allowed("1", "xterm"));
    CHECK_FALSE(log_colour_allowed("0", "xterm")); // any value but the empty one
    CHECK_FALSE(log_colour_allowed(nullptr, "dumb"));
    CHECK(log_colour_allowed(nullptr, "dumb-ish"));
}
