// SPDX-License-Identifier: MIT
// What `napctl fetch` prints when the file is saved (ctl/fetch_output.*):
// whether every block was verified against the root, and the JSON document.

#include "ctl/fetch_output.h"
#include "json_test_support.h"
#include "napctl_test_support.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace napster::ctl;
using namespace napster::json_test;
using namespace napster::napctl_test;
using napster::protocol::FetchDone;

FetchDone done(napster::protocol::RootHash root, bool verified) {
    FetchDone d;
    d.path = "/srv/napster/downloads/file8_3.txt";
    d.size = 1'258'291; // 1.2 MiB
    d.peer_id = 4;
    d.peer_name = "carol";
    d.root = root;
    d.verified = verified;
    return d;
}

} // namespace

TEST_CASE("fetch output: the path alone, the summary apart") {
    CHECK(fetch_done_text(done(root_starting("4f1c2a9e0b3d77"), true)) == "/srv/napster/downloads/file8_3.txt\n");
    CHECK(fetch_done_summary(done(root_starting("4f1c2a9e0b3d77"), true)) == "1.2 MiB, verified 4f1c2a9e0b3d\n");
}

TEST_CASE("fetch summary: the time napeerd took and the average rate") {
    CHECK(fetch_done_summary(done(root_starting("4f1c2a9e0b3d77"), true), 2500, 503'316) ==
          "1.2 MiB in 2.5 s (491.5 KiB/s), verified 4f1c2a9e0b3d\n");
    CHECK(fetch_done_summary(done(std::nullopt, false), 125'000, std::nullopt) ==
          "1.2 MiB in 2 min 5 s, not verified: the holder had not hashed it yet\n");
    CHECK(elapsed_text(0) == "0 ms");
    CHECK(elapsed_text(340) == "340 ms");
    CHECK(elapsed_text(999) == "999 ms");
    CHECK(elapsed_text(1'000) == "1.0 s");
    CHECK(elapsed_text(59'949) == "59.9 s");
    CHECK(elapsed_text(3'600'000) == "1 h 0 min");
}

TEST_CASE("fetch --background: the transfer id") {
    CHECK(background_text("big.bin", 7) ==
          "fetching big.bin as transfer 7; napctl wait 7 follows it, napctl cancel 7 stops it\n");
    CHECK(background_json(7) == "{\"transfer_id\":7}\n");
}

TEST_CASE("fetch line: not verified, and why") {
    CHECK(fetch_done_summary(done(std::nullopt, false)) ==
          "1.2 MiB, not verified: the holder had not hashed it yet\n");
    CHECK(fetch_done_summary(done(root_starting("4f1c2a9e0b3d"), false)) ==
          "1.2 MiB, not verified against root 4f1c2a9e0b3d\n");
    // The codec refuses "verified" without a root; were it to get through,
    // napctl still claims nothing.
    CHECK(fetch_done_summary(done(std::nullopt, true)).find("not verified") != std::string::npos);
}

TEST_CASE("fetch line: a hostile path is escaped") {
    FetchDone d = done(std::nullopt, false);
    d.path = "/d/evil\n\x1b[2J.txt";
    d.size = 0;
    CHECK(fetch_done_text(d) == "/d/evil\\x0a\\x1b[2J.txt\n");
}

TEST_CASE("fetch JSON: root and verified") {
    Json verified = parse_document(fetch_done_json(done(root_starting("4f1c2a9e0b3d"), true)));
    CHECK(verified.keys() == std::vector<std::string>{"path", "size", "peer_id", "peer_name", "root", "verified"});
    CHECK(verified.at("path").text == "/srv/napster/downloads/file8_3.txt");
    CHECK(verified.at("size").text == "1258291");
    CHECK(verified.at("peer_id").text == "4");
    CHECK(verified.at("peer_name").text == "carol");
    CHECK(verified.at("root").text == "4f1c2a9e0b3d" + std::string(52, '0'));
    CHECK(verified.at("verified").type == Json::Type::boolean);
    CHECK(verified.at("verified").boolean);

    Json unhashed = parse_document(fetch_done_json(done(std::nullopt, false)));
    CHECK(unhashed.at("root").type == Json::Type::null);
    CHECK_FALSE(unhashed.at("verified").boolean);
}

TEST_CASE("fetch JSON: a path that is not UTF-8 gets path_hex") {
    FetchDone d = done(std::nullopt, false);
    d.path = "/d/\xff";
    Json doc = parse_document(fetch_done_json(d));
    CHECK(doc.at("path_hex").text == "2f642fff");
}
