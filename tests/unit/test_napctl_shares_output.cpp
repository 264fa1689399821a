// SPDX-License-Identifier: MIT
// What `napctl shares` prints (ctl/shares_output.*): the table with each
// file's root prefix, and the JSON document with whole roots.

#include "ctl/shares_output.h"
#include "json_test_support.h"
#include "napctl_test_support.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace napster::ctl;
using namespace napster::json_test;
using namespace napster::napctl_test;
using napster::protocol::FileEntry;

// The README's example, in the order command_shares.cpp sorts them in.
std::vector<FileEntry> readme_files() {
    return {{3, 10 * 1024 * 1024, "film.mkv", "films/film.mkv", root_starting("4f1c2a9e0b3d")},
            {2, 1234, "b.txt", "sub/b.txt", std::nullopt}};
}

} // namespace

TEST_CASE("shares table: the README's example, with a ROOT column") {
    CHECK(shares_text(readme_files()) == "NAME          SIZE  ROOT          PATH            ID\n"
                                         "film.mkv  10.0 MiB  4f1c2a9e0b3d  films/film.mkv   3\n"
                                         "b.txt      1.2 KiB  unhashed      sub/b.txt        2\n"
                                         "2 files, 10.0 MiB\n");
}

TEST_CASE("shares table: one file, none, hostile names") {
    std::vector<FileEntry> one = {{7, 1, "evil\x1b[2J", "d/evil\x1b[2J", std::nullopt}};
    CHECK(shares_text(one) == "NAME         SIZE  ROOT      PATH           ID\n"
                              "evil\\x1b[2J   1 B  unhashed  d/evil\\x1b[2J   7\n"
                              "1 file, 1 B\n");
    CHECK(shares_text({}) == "no files shared\n");
}

TEST_CASE("shares JSON: the whole root, or null") {
    Json doc = parse_document(shares_json(readme_files()));
    CHECK(doc.at("total").text == "2");
    const auto& files = doc.at("files").items;
    REQUIRE(files.size() == 2);
    CHECK(files[0].keys() == std::vector<std::string>{"name", "size", "rel_path", "file_id", "root"});
    CHECK(files[0].at("root").text == "4f1c2a9e0b3d" + std::string(52, '0'));
    CHECK(files[1].at("root").type == Json::Type::null);
    CHECK(shares_json({}) == "{\"total\":0,\"files\":[]}\n");
}
