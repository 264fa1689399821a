// SPDX-License-Identifier: MIT
// What `napctl search` prints (ctl/search_output.*): the table with each
// hit's root prefix and the other names its holders use, and the JSON
// document with whole roots and every holder's name.

#include "ctl/search_output.h"
#include "json_test_support.h"
#include "napctl_test_support.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace napster::ctl;
using namespace napster::json_test;
using namespace napster::napctl_test;
using napster::protocol::SearchHit;
using napster::protocol::SearchResult;

SearchResult result_of(std::vector<SearchHit> hits, std::uint32_t total_matches) {
    SearchResult result;
    result.request_id = 1;
    result.total_matches = total_matches;
    result.hits = std::move(hits);
    return result;
}

// The README's example: one hashed hit that carol shares as notes.txt, one
// that dave has not hashed yet.
SearchResult readme_result() {
    return result_of({hit("file8_3.txt", 1234, root_starting("4f1c2a9e0b3d"), 3,
                          {holder(1, "bob", "127.0.0.1", 6022, 7, "file8_3.txt"),
                           holder(4, "carol", "::1", 6020, 2, "notes.txt")}),
                      hit("file8_3.txt", 100'000'000, std::nullopt, 1,
                          {holder(9, "dave", "10.0.0.9", 6020, 5, "file8_3.txt")})},
                     5);
}

} // namespace

TEST_CASE("search table: the README's example") {
    CHECK(search_text(readme_result()) == "NAME             SIZE  ROOT          HOLDERS\n"
                                          "file8_3.txt   1.2 KiB  4f1c2a9e0b3d  3 (bob#1, carol#4, ...)\n"
                                          "                                     also as: notes.txt\n"
                                          "file8_3.txt  95.4 MiB  unhashed      1 (dave#9)\n"
                                          "showing 2 of 5 matches\n");
}

TEST_CASE("search table: no 'showing' line when every match is shown, no 'also as' with one name") {
    SearchResult result = result_of({hit("a.txt", 17, root_starting("00ff"), 2,
                                         {holder(3, "p3", "127.0.0.1", 1, 1, "a.txt"),
                                          holder(5, "p5", "127.0.0.1", 2, 1, "a.txt")})},
                                    1);
    CHECK(search_text(result) == "NAME   SIZE  ROOT          HOLDERS\n"
                                 "a.txt  17 B  00ff00000000  2 (p3#3, p5#5)\n");
}

TEST_CASE("search table: holders beyond three are counted, other names beyond three cut") {
    SearchResult result = result_of(
        {hit("a", 1, root_starting("abc"), 40,
             {holder(1, "p1", "h", 1, 1, "a"), holder(2, "p2", "h", 1, 1, "e"), holder(3, "p3", "h", 1, 1, "d"),
              holder(4, "p4", "h", 1, 1, "d"), holder(5, "p5", "h", 1, 1, "c"), holder(6, "p6", "h", 1, 1, "b")})},
        1);
    CHECK(search_text(result) == "NAME  SIZE  ROOT          HOLDERS\n"
                                 "a      1 B  abc000000000  40 (p1#1, p2#2, p3#3, ...)\n"
                                 "                          also as: e, d, c, ...\n");
    // A hit the index listed no holders of.
    SearchResult bare = result_of({hit("a", 1, std::nullopt, 7, {})}, 1);
    CHECK(search_text(bare) == "NAME  SIZE  ROOT      HOLDERS\n"
                               "a      1 B  unhashed  7 (...)\n");
}

TEST_CASE("other_names: distinct, in the order found, never the hit's own name") {
    SearchHit h = hit("b.txt", 1, root_starting("1"), 5,
                      {holder(1, "p", "h", 1, 1, "z.txt"), holder(2, "p", "h", 1, 1, "b.txt"),
                       holder(3, "p", "h", 1, 1, "a.txt"), holder(4, "p", "h", 1, 1, "z.txt"),
                       holder(5, "p", "h", 1, 1, "B.TXT")});
    CHECK(other_names(h) == std::vector<std::string>{"z.txt", "a.txt", "B.TXT"});
    CHECK(other_names(hit("b.txt", 1, std::nullopt, 1, {holder(1, "p", "h", 1, 1, "b.txt")})).empty());
    CHECK(other_names(hit("b.txt", 1, std::nullopt, 0, {})).empty());
}

TEST_CASE("search table: hostile other names are escaped") {
    SearchResult result = result_of({hit("ok", 1, root_starting("1"), 2,
                                         {holder(1, "p", "h", 1, 1, "ok"),
                                          holder(2, "q", "h", 1, 1, "evil\n\x1b[2J\xff")})},
                                    1);
    std::string text = search_text(result);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find("also as: evil\\x0a\\x1b[2J\\xff\n") != std::string::npos);
}

TEST_CASE("search JSON: whole roots or null, and every holder's name") {
    std::string written = search_json("file8 3", false, readme_result());
    Json doc = parse_document(written);
    CHECK(doc.keys() == std::vector<std::string>{"query", "exact", "total_matches", "total_is_lower_bound", "files"});
    CHECK(doc.at("query").text == "file8 3");
    CHECK(doc.at("total_matches").text == "5");
    const auto& files = doc.at("files").items;
    REQUIRE(files.size() == 2);
    CHECK(files[0].keys() == std::vector<std::string>{"name", "size", "root", "holder_total", "holders"});
    CHECK(files[0].at("root").text == "4f1c2a9e0b3d" + std::string(52, '0'));
    CHECK(files[1].at("root").type == Json::Type::null);
    const auto& holders = files[0].at("holders").items;
    REQUIRE(holders.size() == 2);
    CHECK(holders[0].keys() ==
          std::vector<std::string>{"peer_id", "peer_name", "address", "port", "file_id", "name"});
    CHECK(holders[0].at("name").text == "file8_3.txt");
    CHECK(holders[1].at("name").text == "notes.txt");
    CHECK(holders[1].at("address").text == "::1");
    CHECK(holders[1].at("file_id").text == "2");
    CHECK(files[1].at("holders").items.at(0).at("name").text == "file8_3.txt");
}

TEST_CASE("search JSON: a holder's name that is not UTF-8 gets name_hex") {
    SearchResult result = result_of({hit("a", 1, root_starting("1"), 1, {holder(1, "p", "h", 1, 1, "caf\xe9")})}, 1);
    Json doc = parse_document(search_json("a", true, result));
    CHECK(doc.at("exact").boolean);
    const Json& h = doc.at("files").items.at(0).at("holders").items.at(0);
    CHECK(h.keys() == std::vector<std::string>{"peer_id", "peer_name", "address", "port", "file_id", "name",
                                               "name_hex"});
    CHECK(h.at("name_hex").text == "636166e9");
}

TEST_CASE("search JSON: nothing found is still a document") {
    CHECK(search_json("x", false, result_of({}, 0)) ==
          "{\"query\":\"x\",\"exact\":false,\"total_matches\":0,\"total_is_lower_bound\":false,\"files\":[]}\n");
}

TEST_CASE("search table and JSON: a total the index stopped counting is 'more than'") {
    SearchResult result = readme_result();
    result.total_matches = 20000;
    result.total_is_lower_bound = true;
    std::string text = search_text(result);
    CHECK(text.substr(text.rfind("showing")) == "showing 2 of more than 20,000 matches\n");
    CHECK(search_json("file8", false, result).find("\"total_matches\":20000,\"total_is_lower_bound\":true") !=
          std::string::npos);
}

TEST_CASE("search names: every distinct name, holders' too, natural order, a newline name left out") {
    auto result = result_of({hit("track_10.ogg", 1, std::nullopt, 1, {holder(1, "bob", "127.0.0.1", 6022, 1, "track_10.ogg")}),
                             hit("track_2.ogg", 1, root_starting("4f1c2a9e0b3d"), 2,
                                 {holder(1, "bob", "127.0.0.1", 6022, 2, "track_2.ogg"),
                                  holder(4, "carol", "::1", 6020, 2, "two\nlines.ogg"),
                                  holder(5, "dave", "::1", 6020, 3, "track_10.ogg")}),
                             hit("Track_1 \xff.ogg", 2, std::nullopt, 1, {holder(1, "bob", "127.0.0.1", 6022, 3, "Track_1 \xff.ogg")})},
                            3);
    CHECK(search_names(result) == "Track_1 \xff.ogg\ntrack_2.ogg\ntrack_10.ogg\n");
    CHECK(search_names(result_of({}, 0)) == "");
}
