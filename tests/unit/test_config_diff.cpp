// SPDX-License-Identifier: MIT
// What a reload changes (config/config_diff.*): each differing key, live or
// needing a restart, and the share dirs added and removed.

#include "config/config_diff.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace napster;

namespace {

PeerConfig peer_base() {
    PeerConfig c;
    c.name = "alice";
    c.share_dirs = {"/srv/a", "/srv/b"};
    c.download_dir = "/srv/dl";
    c.state_dir = "/var/lib/napster";
    c.control_socket = "/run/napster/napeerd.sock";
    c.source = "/etc/napster/peer.toml";
    return c;
}

// Every key of the file set to something else.
PeerConfig peer_all_changed() {
    PeerConfig c = peer_base();
    c.name = "bob";
    c.state_dir = "/var/lib/other";
    c.index_address = "::1";
    c.index_port = 5016;
    c.upload_address = "127.0.0.1";
    c.upload_port = 0;
    c.upload_max_concurrent = 9;
    c.upload_handshake_timeout = 11;
    c.upload_idle_timeout = 61;
    c.upload_max_pending = 65;
    c.upload_max_per_address = 17;
    c.upload_rate_limit = 1000;
    c.share_dirs = {"/srv/b", "/srv/c"};
    c.download_dir = "/srv/dl2";
    c.rescan_interval = 0;
    c.hash_jobs = 2;
    c.download_rate_limit = 2000;
    c.download_max_sources = 5;
    c.download_min_rate = 0;
    c.download_min_rate_window = 31;
    c.download_keep_partial = 0;
    c.control_socket = "/tmp/n.sock";
    c.control_handshake_timeout = 12;
    c.control_max_pending = 33;
    c.control_max_per_user = 0;
    c.log_level = LogLevel::debug;
    c.source = "/tmp/other.toml";
    return c;
}

std::vector<std::string> keys_of(const ConfigDiff& diff, bool live) {
    std::vector<std::string> keys;
    for (const auto& c : diff.changes)
        if (c.live == live) keys.push_back(c.key);
    return keys;
}

} // namespace

TEST_CASE("peer diff: the same config changes nothing, whatever its source") {
    PeerConfig fresh = peer_base();
    fresh.source = "/elsewhere.toml";
    ConfigDiff diff = diff_peer_config(peer_base(), fresh);
    CHECK(diff.empty());
    CHECK(diff.dirs_added.empty());
    CHECK(diff.dirs_removed.empty());
    CHECK(diff.restart_keys().empty());
}

TEST_CASE("peer diff: one live key, with its values as the file writes them") {
    PeerConfig fresh = peer_base();
    fresh.upload_max_concurrent = 16;
    fresh.log_level = LogLevel::debug;
    ConfigDiff diff = diff_peer_config(peer_base(), fresh);
    REQUIRE(diff.changes.size() == 2);
    CHECK(diff.changes[0] == KeyChange{"upload.max_concurrent", "8", "16", true});
    CHECK(diff.changes[1] == KeyChange{"log.level", "\"info\"", "\"debug\"", true});
    CHECK(diff.restart_keys().empty());
}

TEST_CASE("peer diff: every key, in file order, split into live and restart") {
    ConfigDiff diff = diff_peer_config(peer_base(), peer_all_changed());
    CHECK(keys_of(diff, false) == std::vector<std::string>{"name", "state_dir", "index.address", "index.port",
                                                           "upload.address", "upload.port", "share.download_dir",
                                                           "control.socket"});
    CHECK(diff.restart_keys() == keys_of(diff, false));
    CHECK(keys_of(diff, true) ==
          std::vector<std::string>{"upload.max_concurrent", "upload.handshake_timeout", "upload.idle_timeout",
                                   "upload.max_pending", "upload.max_per_address", "upload.rate_limit", "share.dirs",
                                   "share.rescan_interval", "share.hash_jobs", "download.rate_limit",
                                   "download.max_sources", "download.min_rate", "download.min_rate_window",
                                   "download.keep_partial", "control.handshake_timeout", "control.max_pending",
                                   "control.max_per_user", "log.level"});
    CHECK(diff.dirs_added == std::vector<std::string>{"/srv/c"});
    CHECK(diff.dirs_removed == std::vector<std::string>{"/srv/a"});
}

TEST_CASE("peer apply: live keys are copied, restart keys and the source stay") {
    PeerConfig running = peer_base();
    PeerConfig fresh = peer_all_changed();
    apply_live_keys(running, fresh);
    ConfigDiff left = diff_peer_config(running, fresh);
    // What is left is exactly what needs a restart: named again at the next
    // reload, until the restart.
    for (const auto& c : left.changes) CHECK_FALSE(c.live);
    CHECK(left.restart_keys().size() == 8);
    CHECK(running.name == "alice");
    CHECK(running.upload_port == 6020);
    CHECK(running.source == "/etc/napster/peer.toml");
    CHECK(running.share_dirs == fresh.share_dirs);
    CHECK(running.log_level == LogLevel::debug);
    // The tables cover every field: with the restart keys copied too, the
    // two are equal (operator== compares every member).
    PeerConfig everything = fresh;
    everything.source = running.source;
    PeerConfig restarted = running;
    restarted.name = fresh.name;
    restarted.state_dir = fresh.state_dir;
    restarted.index_address = fresh.index_address;
    restarted.index_port = fresh.index_port;
    restarted.upload_address = fresh.upload_address;
    restarted.upload_port = fresh.upload_port;
    restarted.download_dir = fresh.download_dir;
    restarted.control_socket = fresh.control_socket;
    CHECK(restarted == everything);
}

TEST_CASE("peer diff: share dirs added and removed, in order; reordering alone adds or removes none") {
    PeerConfig fresh = peer_base();
    fresh.share_dirs = {"/srv/b", "/srv/a"};
    ConfigDiff reordered = diff_peer_config(peer_base(), fresh);
    REQUIRE(reordered.changes.size() == 1);
    CHECK(reordered.changes[0].key == "share.dirs");
    CHECK(reordered.changes[0].before == "[\"/srv/a\", \"/srv/b\"]");
    CHECK(reordered.dirs_added.empty());
    CHECK(reordered.dirs_removed.empty());

    fresh.share_dirs = {"/srv/z", "/srv/b", "/srv/y", "/srv/z"};
    ConfigDiff both = diff_peer_config(peer_base(), fresh);
    CHECK(both.dirs_added == std::vector<std::string>{"/srv/z", "/srv/y"});
    CHECK(both.dirs_removed == std::vector<std::string>{"/srv/a"});

    fresh.share_dirs = {};
    CHECK(diff_peer_config(peer_base(), fresh).dirs_removed == std::vector<std::string>{"/srv/a", "/srv/b"});
}

TEST_CASE("index diff: connection limits and log.level are live; the listener and what is sized at start need a restart") {
    IndexConfig running;
    IndexConfig fresh;
    fresh.listen_port = 0;
    fresh.max_peers = 5;
    fresh.max_files_per_peer = 6;
    fresh.peer_timeout = 30;
    fresh.max_results = 50;
    fresh.max_counted_matches = 500;
    fresh.handshake_timeout = 3;
    fresh.max_pending = 1;
    fresh.max_per_address = 2;
    fresh.log_level = LogLevel::warn;
    fresh.search_lines_per_second = 0;
    fresh.listen_address = "::";
    ConfigDiff diff = diff_index_config(running, fresh);
    CHECK(diff.restart_keys() == std::vector<std::string>{"listen.address", "listen.port", "limits.max_peers",
                                                          "limits.max_files_per_peer", "limits.max_results",
                                                          "limits.max_counted_matches", "limits.peer_timeout",
                                                          "log.search_lines_per_second"});
    CHECK(keys_of(diff, true) == std::vector<std::string>{"limits.handshake_timeout", "limits.max_pending",
                                                          "limits.max_per_address", "log.level"});
    apply_live_keys(running, fresh);
    CHECK(running.max_pending == 1);
    CHECK(running.max_results == 100);
    CHECK(running.listen_port == 5015);
    CHECK(diff_index_config(running, fresh).restart_keys() == diff.restart_keys());
    CHECK(keys_of(diff_index_config(running, fresh), true).empty());
}
