// SPDX-License-Identifier: MIT
// From a config diff to RELOAD_RESULT (peer/reload_report.*).

#include "peer/reload_report.h"

#include <doctest/doctest.h>

using namespace napster;
using protocol::ReloadedKey;

TEST_CASE("reload_result: keys as they are, share.dirs one entry a dir, removed first") {
    PeerConfig running;
    running.share_dirs = {"/a", "/b"};
    PeerConfig fresh = running;
    fresh.share_dirs = {"/b", "/c", "/d"};
    fresh.upload_port = 7000;
    fresh.log_level = LogLevel::warn;
    auto result = reload_result(diff_peer_config(running, fresh), "/etc/p.toml");
    CHECK(result.source == "/etc/p.toml");
    CHECK(result.left_out == 0);
    CHECK(result.changes == std::vector<ReloadedKey>{{"upload.port", false, "6020", "7000"},
                                                    {"share.dirs", true, "/a", ""},
                                                    {"share.dirs", true, "", "/c"},
                                                    {"share.dirs", true, "", "/d"},
                                                    {"log.level", true, "\"info\"", "\"warn\""}});
}

TEST_CASE("reload_result: reordered share dirs alone list nothing") {
    PeerConfig running;
    running.share_dirs = {"/a", "/b"};
    PeerConfig fresh = running;
    fresh.share_dirs = {"/b", "/a"};
    CHECK(reload_result(diff_peer_config(running, fresh), "").changes.empty());
}
