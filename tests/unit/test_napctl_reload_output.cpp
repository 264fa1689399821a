// SPDX-License-Identifier: MIT
// What napctl reload prints (ctl/reload_output.*).

#include "ctl/reload_output.h"

#include <doctest/doctest.h>

using namespace napster;
using namespace napster::ctl;
using protocol::ReloadResult;

TEST_CASE("reload text: each change on its line, restart keys named") {
    ReloadResult r{"/etc/napster/peer.toml",
                   {{"log.level", true, "\"info\"", "\"debug\""},
                    {"share.dirs", true, "", "/srv/music"},
                    {"share.dirs", true, "/srv/old", ""},
                    {"upload.port", false, "6020", "6021"}},
                   0};
    CHECK(reload_text(r) == "reloaded /etc/napster/peer.toml:\n"
                            "  log.level is now \"debug\" (was \"info\")\n"
                            "  share.dirs: added /srv/music\n"
                            "  share.dirs: removed /srv/old\n"
                            "  upload.port is 6021 in the file but needs a restart (still 6020)\n");
    r.left_out = 7;
    CHECK(reload_text(r).ends_with("  ... and 7 more (see napeerd's log)\n"));
}

TEST_CASE("reload text: nothing changed; built-in defaults; escaped source") {
    CHECK(reload_text(ReloadResult{"/p.toml", {}, 0}) == "reloaded /p.toml: nothing changed\n");
    CHECK(reload_text(ReloadResult{"", {}, 0}) == "reloaded built-in defaults: nothing changed\n");
    CHECK(reload_text(ReloadResult{"/a\x1b", {}, 0}) == "reloaded /a\\x1b: nothing changed\n");
}

TEST_CASE("reload json: every change, the keys needing a restart once each") {
    ReloadResult r{"/p.toml",
                   {{"share.dirs", true, "", "/srv/music"},
                    {"upload.port", false, "6020", "6021"},
                    {"name", false, "\"a\"", "\"b\""}},
                   2};
    CHECK(reload_json(r) ==
          "{\"source\":\"/p.toml\",\"changes\":["
          "{\"key\":\"share.dirs\",\"applied\":true,\"before\":null,\"after\":\"/srv/music\"},"
          "{\"key\":\"upload.port\",\"applied\":false,\"before\":\"6020\",\"after\":\"6021\"},"
          "{\"key\":\"name\",\"applied\":false,\"before\":\"\\\"a\\\"\",\"after\":\"\\\"b\\\"\"}],"
          "\"restart_needed\":[\"upload.port\",\"name\"],\"left_out\":2}\n");
    CHECK(reload_json(ReloadResult{"", {}, 0}) ==
          "{\"source\":null,\"changes\":[],\"restart_needed\":[],\"left_out\":0}\n");
}
