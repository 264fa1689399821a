// SPDX-License-Identifier: MIT
// What `napctl status` prints (ctl/status_output.*), above all the hashing
// line and its JSON fields.

#include "ctl/status_output.h"
#include "json_test_support.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace napster::ctl;
using namespace napster::json_test;
using napster::protocol::IndexState;
using napster::protocol::StatusResult;

// The README's example.
StatusResult readme_status() {
    StatusResult s;
    s.name = "alice";
    s.index_state = IndexState::connected;
    s.peer_id = 4;
    s.index_address = "127.0.0.1:5015";
    s.upload_address = "0.0.0.0:6020";
    s.share_dirs = {"/srv/napster/share", "/srv/more"};
    s.download_dir = "/srv/napster/downloads";
    s.file_count = 1234;
    s.total_bytes = 5368709120;
    s.hash_files_left = 12;
    s.hash_bytes_left = 3650722202; // 3.4 GiB
    s.uploads_active = 1;
    s.uploads_done = 17;
    s.downloads_done = 3;
    s.uptime_seconds = 7993;
    s.watched_dirs = 58;
    s.rescan_interval = 300;
    return s;
}

} // namespace

TEST_CASE("status: the README's example, with the hashing line after the files shared") {
    CHECK(status_text(readme_status()) == "name:           alice\n"
                                          "index:          connected as peer 4 (127.0.0.1:5015)\n"
                                          "upload address: 0.0.0.0:6020\n"
                                          "share dirs:     /srv/napster/share\n"
                                          "                /srv/more\n"
                                          "download dir:   /srv/napster/downloads\n"
                                          "files shared:   1,234 (5.0 GiB)\n"
                                          "hashing:        12 files, 3.4 GiB left\n"
                                          "uploads:        1 running, 17 done\n"
                                          "downloads:      0 running, 3 done\n"
                                          "share watch:    inotify, 58 dirs\n"
                                          "uptime:         2 h 13 min\n");
}

TEST_CASE("status: the hashing line says done, one file, or thousands") {
    StatusResult s = readme_status();
    s.hash_files_left = 0;
    s.hash_bytes_left = 0;
    CHECK(hashing_text(s) == "done");
    CHECK(status_text(s).find("\nhashing:        done\n") != std::string::npos);
    s.hash_files_left = 1;
    s.hash_bytes_left = 512;
    CHECK(hashing_text(s) == "1 file, 512 B left");
    s.hash_files_left = 12345;
    s.hash_bytes_left = 0; // empty files still wait for their root
    CHECK(hashing_text(s) == "12,345 files, 0 B left");
    // Bytes without files would be napeerd's mistake; the files decide.
    s.hash_files_left = 0;
    s.hash_bytes_left = 99;
    CHECK(hashing_text(s) == "done");
}

TEST_CASE("status JSON: hash_files_left and hash_bytes_left after total_bytes") {
    Json doc = parse_document(status_json(readme_status()));
    CHECK(doc.keys() == std::vector<std::string>{
                            "name", "index_state", "peer_id", "index_address", "reconnect_in_ms", "last_error",
                            "upload_address", "share_dirs", "download_dir", "file_count", "total_bytes",
                            "hash_files_left", "hash_bytes_left", "uploads_active", "uploads_done",
                            "downloads_active", "downloads_done", "download_sources", "uptime_seconds",
                            "watch_state", "watched_dirs", "rescan_interval"});
    CHECK(doc.at("download_sources").type == Json::Type::array);
    CHECK(doc.at("download_sources").items.empty());
    CHECK(doc.at("hash_files_left").text == "12");
    CHECK(doc.at("hash_bytes_left").text == "3650722202");
    CHECK(doc.at("peer_id").text == "4");

    StatusResult done = readme_status();
    done.hash_files_left = 0;
    done.hash_bytes_left = 0;
    done.index_state = IndexState::connecting;
    Json zero = parse_document(status_json(done));
    CHECK(zero.at("hash_files_left").text == "0");
    CHECK(zero.at("hash_bytes_left").text == "0");
    CHECK(zero.at("peer_id").type == Json::Type::null);
}

TEST_CASE("status: the holders downloads pull from, each once, under the downloads line") {
    StatusResult s = readme_status();
    s.downloads_active = 2;
    s.download_sources = {{3, "bob"}, {5, "carol"}, {3, "bob"}};
    CHECK(download_sources_text(s.download_sources) == "from 2 holders: peer 3 (bob), peer 5 (carol)");
    CHECK(download_sources_text({{7, "caf\xe9"}}) == "from 1 holder: peer 7 (caf\\xe9)");
    CHECK(status_text(s).find("downloads:      2 running, 3 done\n"
                              "                from 2 holders: peer 3 (bob), peer 5 (carol)\n"
                              "share watch:") != std::string::npos);
    CHECK(status_text(readme_status()).find("from ") == std::string::npos);

    Json doc = parse_document(status_json(s));
    const Json& sources = doc.at("download_sources");
    REQUIRE(sources.items.size() == 3); // one a download and holder, as napeerd sent them
    CHECK(sources.items[1].at("peer_id").text == "5");
    CHECK(sources.items[1].at("peer_name").text == "carol");
}
