// SPDX-License-Identifier: MIT
// napctl's output helpers (ctl/output.*): sizes, durations, endpoints, text
// tables, root prefixes, and the JSON writer, whose documents are checked by
// the strict JSON parser of json_test_support.h rather than by eye.

#include "ctl/output.h"
#include "json_test_support.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace napster::ctl;
using namespace napster::json_test;

// One object holding a single string field.
std::string one_string_field(std::string_view name, std::string_view bytes) {
    JsonWriter json;
    json.begin_object();
    json.string_field(name, bytes);
    json.end_object();
    return json.finish();
}

} // namespace

// ---------------------------------------------------------------- the parser itself

TEST_CASE("the test's JSON parser is strict") {
    CHECK(is_json("{}"));
    CHECK(is_json("[1,-0,2.5e+3,\"a\\u00e9\\ud83d\\ude00\",true,false,null,{\"k\":[]}]"));
    CHECK_FALSE(is_json(""));
    CHECK_FALSE(is_json("{"));
    CHECK_FALSE(is_json("{\"a\":1,}"));
    CHECK_FALSE(is_json("[1,]"));
    CHECK_FALSE(is_json("{\"a\":1}x"));
    CHECK_FALSE(is_json("{\"a\" :1}"));
    CHECK_FALSE(is_json("{\"a\":1,\"a\":2}"));
    CHECK_FALSE(is_json("[01]"));
    CHECK_FALSE(is_json("\"a\nb\""));
    CHECK(is_json("\"\x7f\""));
    CHECK_FALSE(is_json("\"\xff\""));
    CHECK_FALSE(is_json("\"\xc0\xaf\""));
    CHECK_FALSE(is_json("\"\\x41\""));
    CHECK_FALSE(is_json("\"\\u12\""));
    CHECK_FALSE(is_json("\"\\ud800\""));
    CHECK_FALSE(is_json("\"abc"));
    CHECK_FALSE(is_json("{a:1}"));
    CHECK_FALSE(is_json("tru"));
}

// ---------------------------------------------------------------- sizes and times

TEST_CASE("human_size: bytes below 1 KiB are exact") {
    CHECK(human_size(0) == "0 B");
    CHECK(human_size(1) == "1 B");
    CHECK(human_size(512) == "512 B");
    CHECK(human_size(1023) == "1023 B");
}

TEST_CASE("human_size: binary units with one decimal at each boundary") {
    CHECK(human_size(1024) == "1.0 KiB");
    CHECK(human_size(1229) == "1.2 KiB");
    CHECK(human_size(1536) == "1.5 KiB");
    CHECK(human_size(10239) == "10.0 KiB");
    CHECK(human_size(1023 * 1024) == "1023.0 KiB");
    // 1023.95 KiB and up would print as "1024.0 KiB": the next unit instead.
    CHECK(human_size(1048524) == "1023.9 KiB"); // 1023.949 KiB
    CHECK(human_size(1048525) == "1.0 MiB");    // 1023.950 KiB
    CHECK(human_size(1024 * 1024 - 1) == "1.0 MiB");
    CHECK(human_size(1024 * 1024) == "1.0 MiB");
    CHECK(human_size(100'000'000) == "95.4 MiB");

    constexpr std::uint64_t KiB = 1024;
    constexpr std::uint64_t MiB = KiB * 1024;
    constexpr std::uint64_t GiB = MiB * 1024;
    constexpr std::uint64_t TiB = GiB * 1024;
    constexpr std::uint64_t PiB = TiB * 1024;
    constexpr std::uint64_t EiB = PiB * 1024;
    CHECK(human_size(GiB - 1) == "1.0 GiB");
    CHECK(human_size(GiB) == "1.0 GiB");
    CHECK(human_size(3 * GiB) == "3.0 GiB");
    CHECK(human_size(5368709120) == "5.0 GiB");
    CHECK(human_size(TiB) == "1.0 TiB");
    CHECK(human_size(PiB) == "1.0 PiB");
    CHECK(human_size(EiB) == "1.0 EiB");
    CHECK(human_size(EiB - 1) == "1.0 EiB");
    CHECK(human_size(15 * EiB + EiB / 2) == "15.5 EiB");
    CHECK(human_size(std::numeric_limits<std::uint64_t>::max()) == "16.0 EiB");
}

TEST_CASE("human_size never shows 1024.0 of a unit") {
    // Sweep the bytes around 1023.95 of each unit from KiB to PiB.
    std::uint64_t unit = 1024;
    const char* names[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    const char* next[] = {"MiB", "GiB", "TiB", "PiB", "EiB"};
    for (int u = 0; u < 5; ++u, unit *= 1024) {
        CAPTURE(names[u]);
        auto edge = static_cast<std::uint64_t>(1023.95 * static_cast<double>(unit));
        std::uint64_t step = unit / 1024 > 0 ? unit / 4096 + 1 : 1;
        for (std::uint64_t b = edge - 64 * step; b <= edge + 64 * step; b += step) {
            std::string text = human_size(b);
            CAPTURE(b);
            CAPTURE(text);
            CHECK(text.find("1024.0") == std::string::npos);
            CHECK((text == std::string("1023.9 ") + names[u] || text == std::string("1.0 ") + next[u]));
        }
    }
}

TEST_CASE("human_duration") {
    CHECK(human_duration(0) == "0 s");
    CHECK(human_duration(42) == "42 s");
    CHECK(human_duration(59) == "59 s");
    CHECK(human_duration(60) == "1 min 0 s");
    CHECK(human_duration(303) == "5 min 3 s");
    CHECK(human_duration(3599) == "59 min 59 s");
    CHECK(human_duration(3600) == "1 h 0 min");
    CHECK(human_duration(7993) == "2 h 13 min");
    CHECK(human_duration(86399) == "23 h 59 min");
    CHECK(human_duration(86400) == "1 d 0 h");
    CHECK(human_duration(3 * 86400 + 4 * 3600 + 59) == "3 d 4 h");
}

// ---------------------------------------------------------------- content roots

namespace {

// 00 01 02 ... 1f: every digit position tells where it came from.
napster::content::Digest counting_root() {
    napster::content::Digest root{};
    for (std::size_t i = 0; i < root.size(); ++i) root[i] = std::byte{static_cast<std::uint8_t>(i)};
    return root;
}

} // namespace

TEST_CASE("root_prefix: the first 12 hex digits, lowercase") {
    REQUIRE(root_prefix_digits == 12);
    CHECK(root_prefix(counting_root()) == "000102030405");
    napster::content::Digest high{};
    high.fill(std::byte{0xAB});
    CHECK(root_prefix(high) == "abababababab");
    CHECK(root_prefix(napster::content::Digest{}) == "000000000000");
}

TEST_CASE("root_cell: the prefix, or \"unhashed\" when there is no root yet") {
    CHECK(root_cell(counting_root()) == "000102030405");
    CHECK(root_cell(std::nullopt) == "unhashed");
}

TEST_CASE("root_field: all 64 digits, or null") {
    JsonWriter json;
    json.begin_object();
    root_field(json, "root", counting_root());
    root_field(json, "none", std::nullopt);
    json.end_object();
    std::string written = json.finish();
    CHECK(written == "{\"root\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\","
                     "\"none\":null}\n");
    Json doc = parse_document(written);
    CHECK(doc.at("root").text.size() == 64);
    CHECK(doc.at("none").type == Json::Type::null);
}

TEST_CASE("endpoint_text brackets IPv6 and escapes hostile bytes") {
    CHECK(endpoint_text("127.0.0.1", 6022) == "127.0.0.1:6022");
    CHECK(endpoint_text("::1", 6020) == "[::1]:6020");
    CHECK(endpoint_text("fe80::1", 0) == "[fe80::1]:0");
    CHECK(endpoint_text("0.0.0.0", 65535) == "0.0.0.0:65535");
    CHECK(endpoint_text("1.2.3.4\n", 1) == "1.2.3.4\\x0a:1");
}

TEST_CASE("display_width and truncate_display count code points") {
    CHECK(display_width("") == 0);
    CHECK(display_width("abc") == 3);
    CHECK(display_width("\xc3\xa4\xc3\xb6") == 2);     // "äö"
    CHECK(display_width("\xe2\x82\xac") == 1);         // "€"
    CHECK(display_width("\xf0\x9f\x98\x80x") == 2);    // emoji + x

    CHECK(truncate_display("abcdef", 6) == "abcdef");
    CHECK(truncate_display("abcdef", 10) == "abcdef");
    CHECK(truncate_display("abcdef", 5) == "ab...");
    CHECK(truncate_display("abcdef", 3) == "...");
    CHECK(truncate_display("abcdef", 2) == "..");
    CHECK(truncate_display("abcdef", 0) == "");
    // Multi-byte characters are never split.
    CHECK(truncate_display("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\xa4\xc3\xb6\xc3\xbc", 5) == "\xc3\xa4\xc3\xb6...");
    const std::string emoji = "\xf0\x9f\x98\x80"; // U+1F600
    CHECK(truncate_display(emoji + emoji + emoji + emoji, 4) == emoji + emoji + emoji + emoji);
    CHECK(truncate_display(emoji + emoji + emoji + emoji + emoji, 4) == emoji + "...");
}

// ---------------------------------------------------------------- tables

TEST_CASE("TextTable aligns columns, pads with two spaces, leaves no trailing blanks") {
    TextTable table({{"NAME"}, {"SIZE", TextTable::Align::right}, {"HOLDERS"}});
    table.add_row({"file8_3.txt", "1.2 KiB", "3 (bob#1, carol#4, ...)"});
    table.add_row({"file8_3.txt", "95.4 MiB", "1 (dave#9)"});
    // (ctl/README.md's example shows this table one column wider.)
    CHECK(table.render() == "NAME             SIZE  HOLDERS\n"
                            "file8_3.txt   1.2 KiB  3 (bob#1, carol#4, ...)\n"
                            "file8_3.txt  95.4 MiB  1 (dave#9)\n");
}

TEST_CASE("TextTable: a heading wider than its cells sets the width") {
    TextTable table({{"NAME"}, {"SIZE", TextTable::Align::right}, {"PATH"}, {"ID", TextTable::Align::right}});
    table.add_row({"film.mkv", "10.0 MiB", "films/film.mkv", "3"});
    table.add_row({"b.txt", "1.2 KiB", "sub/b.txt", "2"});
    CHECK(table.render() == "NAME          SIZE  PATH            ID\n"
                            "film.mkv  10.0 MiB  films/film.mkv   3\n"
                            "b.txt      1.2 KiB  sub/b.txt        2\n");
}

TEST_CASE("TextTable: hidden heading and indent") {
    TextTable table({{"PEER"}, {"NAME"}, {"ADDRESS"}, {"SIZE"}});
    table.add_row({"peer 1", "bob", "127.0.0.1:6022", "1.2 KiB"});
    table.add_row({"peer 4", "carol", "[::1]:6020", "1.2 KiB"});
    table.add_row({"peer 9", "dave", "10.0.0.9:6020", "1.2 KiB, 95.4 MiB"});
    // The hidden headings do not widen anything ("ADDRESS" is not padded in).
    CHECK(table.render(TextTable::Heading::hidden, "  ") == "  peer 1  bob    127.0.0.1:6022  1.2 KiB\n"
                                                           "  peer 4  carol  [::1]:6020      1.2 KiB\n"
                                                           "  peer 9  dave   10.0.0.9:6020   1.2 KiB, 95.4 MiB\n");
    TextTable narrow({{"LONG HEADING"}, {"X"}});
    narrow.add_row({"a", "b"});
    CHECK(narrow.render(TextTable::Heading::hidden) == "a  b\n");
    CHECK(narrow.render() == "LONG HEADING  X\n"
                             "a             b\n");
}

TEST_CASE("TextTable pads by columns, not bytes, and right-aligns a last column") {
    TextTable table({{"N"}, {"V", TextTable::Align::right}});
    table.add_row({"\xc3\xa4\xc3\xa4\xc3\xa4", "1"}); // "äää": 3 columns, 6 bytes
    table.add_row({"abcd", "100"});
    CHECK(table.render() == "N       V\n"
                            "\xc3\xa4\xc3\xa4\xc3\xa4     1\n"
                            "abcd  100\n");
}

TEST_CASE("TextTable: no rows, empty cells") {
    TextTable empty({{"A"}, {"B"}});
    CHECK(empty.render() == "A  B\n");
    CHECK(empty.render(TextTable::Heading::hidden) == "");
    TextTable blanks({{"A"}, {"B"}, {"C"}});
    blanks.add_row({"", "x", "y"});
    CHECK(blanks.render() == "A  B  C\n"
                             "   x  y\n");
}

// Regression: output.h promises "lines carry no trailing blanks", but an
// empty last cell still got the two-space separator before it ("   x  \n").
// The peer prompt's rows end in an empty cell when a holder uses the name
// asked for.
TEST_CASE("an empty last cell leaves no trailing blanks") {
    TextTable blanks({{"A"}, {"B"}, {"C"}});
    blanks.add_row({"", "x", ""});
    CHECK(blanks.render() == "A  B  C\n"
                             "   x\n");
    // Nor several, nor a padded column before them.
    TextTable rows({{"PEER"}, {"ADDRESS"}, {"AS"}});
    rows.add_row({"peer 1", "127.0.0.1:6022", ""});
    rows.add_row({"peer 12", "[::1]:6020", "notes.txt"});
    rows.add_row({"peer 3", "", ""});
    CHECK(rows.render(TextTable::Heading::hidden, "  ") == "  peer 1   127.0.0.1:6022\n"
                                                           "  peer 12  [::1]:6020      notes.txt\n"
                                                           "  peer 3\n");
    // A right-aligned column before them is still padded on its left.
    TextTable right({{"N"}, {"V", TextTable::Align::right}, {"X"}});
    right.add_row({"a", "1", ""});
    right.add_row({"b", "100", "x"});
    CHECK(right.render(TextTable::Heading::hidden) == "a    1\n"
                                                      "b  100  x\n");
}

// ---------------------------------------------------------------- JSON writer

TEST_CASE("JsonWriter: a compact document with every kind of value") {
    JsonWriter json;
    json.begin_object();
    json.string_field("query", "file8 3");
    json.bool_field("exact", false);
    json.bool_field("on", true);
    json.null_field("peer_id");
    json.number_field("total_matches", 5);
    json.number_field("big", std::numeric_limits<std::uint64_t>::max());
    json.key("files");
    json.begin_array();
    json.begin_object();
    json.string_field("name", "file8_3.txt");
    json.key("holders");
    json.begin_array();
    json.end_array();
    json.end_object();
    json.begin_object();
    json.end_object();
    json.end_array();
    json.key("numbers");
    json.begin_array();
    json.number_value(0);
    json.number_value(7);
    json.string_value("s");
    json.begin_array();
    json.end_array();
    json.end_array();
    json.string_array_field("share_dirs", {"/srv/a", "/srv/b"});
    json.end_object();
    std::string written = json.finish();

    CHECK(written == "{\"query\":\"file8 3\",\"exact\":false,\"on\":true,\"peer_id\":null,"
                     "\"total_matches\":5,\"big\":18446744073709551615,"
                     "\"files\":[{\"name\":\"file8_3.txt\",\"holders\":[]},{}],"
                     "\"numbers\":[0,7,\"s\",[]],\"share_dirs\":[\"/srv/a\",\"/srv/b\"]}\n");

    Json doc = parse_document(written);
    REQUIRE(doc.type == Json::Type::object);
    CHECK(doc.keys() == std::vector<std::string>{"query", "exact", "on", "peer_id", "total_matches", "big",
                                                  "files", "numbers", "share_dirs"});
    CHECK(doc.at("query").text == "file8 3");
    CHECK(doc.at("exact").type == Json::Type::boolean);
    CHECK_FALSE(doc.at("exact").boolean);
    CHECK(doc.at("on").boolean);
    CHECK(doc.at("peer_id").type == Json::Type::null);
    CHECK(doc.at("big").text == "18446744073709551615");
    REQUIRE(doc.at("files").items.size() == 2);
    CHECK(doc.at("files").items[0].at("holders").type == Json::Type::array);
    CHECK(doc.at("files").items[1].members.empty());
    CHECK(doc.at("share_dirs").items.size() == 2);
    CHECK(doc.find("share_dirs_hex") == nullptr);
}

TEST_CASE("JsonWriter: empty containers and top-level arrays") {
    {
        JsonWriter json;
        json.begin_object();
        json.end_object();
        CHECK(json.finish() == "{}\n");
    }
    {
        JsonWriter json;
        json.begin_array();
        json.number_value(1);
        json.begin_object();
        json.end_object();
        json.string_value("x");
        json.end_array();
        std::string written = json.finish();
        CHECK(written == "[1,{},\"x\"]\n");
        Json doc = parse_document(written);
        CHECK(doc.items.size() == 3);
    }
    {
        JsonWriter json;
        json.begin_object();
        json.string_array_field("share_dirs", {});
        json.end_object();
        CHECK(json.finish() == "{\"share_dirs\":[]}\n");
    }
}

TEST_CASE("JsonWriter escapes quotes, backslashes and control characters") {
    CHECK(one_string_field("s", "say \"hi\"") == "{\"s\":\"say \\\"hi\\\"\"}\n");
    CHECK(one_string_field("s", "C:\\dir\\") == "{\"s\":\"C:\\\\dir\\\\\"}\n");
    CHECK(one_string_field("s", "a\nb\rc\td") == "{\"s\":\"a\\nb\\rc\\td\"}\n");
    CHECK(one_string_field("s", std::string("\0\x01\x1f", 3)) == "{\"s\":\"\\u0000\\u0001\\u001f\"}\n");
    CHECK(one_string_field("s", "\b\f") == "{\"s\":\"\\u0008\\u000c\"}\n");
    CHECK(one_string_field("s", "\x1b[2J") == "{\"s\":\"\\u001b[2J\"}\n");
    CHECK(one_string_field("s", "/") == "{\"s\":\"/\"}\n");
    // Valid UTF-8, including C1 controls and U+2028, is written as is.
    CHECK(one_string_field("s", "\xc3\xa9\xe2\x80\xa8\xc2\x85") == "{\"s\":\"\xc3\xa9\xe2\x80\xa8\xc2\x85\"}\n");

    // Every one of those decodes back to the exact bytes, with no _hex.
    for (std::string_view bytes : {std::string_view("say \"hi\""), std::string_view("C:\\dir\\"),
                                   std::string_view("a\nb\rc\td"), std::string_view("\0\x01\x1f\x7f", 4),
                                   std::string_view("\x1b[2J"), std::string_view("\xc3\xa9\xe2\x80\xa8")}) {
        Json doc = parse_document(one_string_field("s", bytes));
        CHECK(doc.at("s").text == bytes);
        CHECK(doc.keys() == std::vector<std::string>{"s"});
    }
}

TEST_CASE("JsonWriter: _hex sibling exactly for strings that are not UTF-8") {
    struct Case {
        std::string_view bytes;
        bool valid;
    };
    const Case cases[] = {
        {"", true},
        {"plain.txt", true},
        {"caf\xc3\xa9", true},                 // é
        {"\xe2\x82\xac", true},                // €
        {"\xf0\x9f\x98\x80", true},            // U+1F600
        {"\xf4\x8f\xbf\xbf", true},            // U+10FFFF
        {"\xef\xbf\xbd", true},                // U+FFFD itself
        {std::string_view("a\0b", 3), true},   // NUL is valid UTF-8
        {"file\xff.txt", false},
        {"\x80", false},                       // lone continuation
        {"\xc3", false},                       // truncated at the end
        {"\xe2\x82", false},                   // truncated 3-byte sequence
        {"\xc0\xaf", false},                   // overlong '/'
        {"\xe0\x80\xaf", false},               // overlong
        {"\xed\xa0\x80", false},               // surrogate U+D800
        {"\xf4\x90\x80\x80", false},           // above U+10FFFF
        {"\xf8\x88\x80\x80\x80", false},       // 5-byte form
        {"\xfe\xff", false},
        {"ok\xc3\xa9\xff\"\\\n", false},       // mixed with escapes
    };
    for (const auto& c : cases) {
        std::string bytes(c.bytes);
        CAPTURE(reference_hex(bytes));
        REQUIRE(reference_valid_utf8(bytes) == c.valid);
        Json doc = parse_document(one_string_field("name", bytes));
        if (c.valid) {
            CHECK(doc.keys() == std::vector<std::string>{"name"});
            CHECK(doc.at("name").text == bytes);
        } else {
            // The sibling follows its key directly.
            CHECK(doc.keys() == std::vector<std::string>{"name", "name_hex"});
            CHECK(doc.at("name_hex").text == reference_hex(bytes));
            CHECK(doc.at("name").text == reference_replaced(bytes));
        }
    }
}

TEST_CASE("JsonWriter: the README's example, byte for byte") {
    CHECK(one_string_field("name", "file\xff.txt") ==
          "{\"name\":\"file\xef\xbf\xbd.txt\",\"name_hex\":\"66696c65ff2e747874\"}\n");
    // Uppercase hex would not be "lowercase hex"; every byte value round-trips.
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    Json doc = parse_document(one_string_field("all", all));
    CHECK(doc.at("all_hex").text == reference_hex(all));
    CHECK(doc.at("all").text == reference_replaced(all));
    CHECK(doc.at("all_hex").text.substr(0, 8) == "00010203");
    CHECK(doc.at("all_hex").text.substr(doc.at("all_hex").text.size() - 8) == "fcfdfeff");
}

TEST_CASE("JsonWriter: string arrays get a _hex array when any element is not UTF-8") {
    {
        JsonWriter json;
        json.begin_object();
        json.string_array_field("share_dirs", {"/srv/ok", "/srv/\xff", ""});
        json.number_field("after", 1);
        json.end_object();
        std::string written = json.finish();
        CHECK(written == "{\"share_dirs\":[\"/srv/ok\",\"/srv/\xef\xbf\xbd\",\"\"],"
                         "\"share_dirs_hex\":[\"2f7372762f6f6b\",\"2f7372762fff\",\"\"],\"after\":1}\n");
        Json doc = parse_document(written);
        CHECK(doc.keys() == std::vector<std::string>{"share_dirs", "share_dirs_hex", "after"});
        const Json& hex = doc.at("share_dirs_hex");
        REQUIRE(hex.items.size() == 3);
        CHECK(hex.items[0].text == reference_hex("/srv/ok"));
        CHECK(hex.items[1].text == reference_hex("/srv/\xff"));
        CHECK(hex.items[2].text == "");
    }
    {
        JsonWriter json;
        json.begin_object();
        json.string_array_field("share_dirs", {"/srv/\xc3\xa9", "/x\n"});
        json.end_object();
        Json doc = parse_document(json.finish());
        CHECK(doc.keys() == std::vector<std::string>{"share_dirs"});
        CHECK(doc.at("share_dirs").items[1].text == "/x\n");
    }
}

TEST_CASE("JsonWriter: string values in arrays keep their bytes valid JSON") {
    JsonWriter json;
    json.begin_array();
    json.string_value("\xff\"");
    json.string_value("\x01");
    json.end_array();
    std::string written = json.finish();
    CHECK(written == "[\"\xef\xbf\xbd\\\"\",\"\\u0001\"]\n");
    Json doc = parse_document(written);
    REQUIRE(doc.items.size() == 2);
    CHECK(doc.items[0].text == "\xef\xbf\xbd\"");
}

TEST_CASE("JsonWriter: random byte strings always give valid JSON that recovers the bytes") {
    std::mt19937 random(20240601); // fixed seed: deterministic
    std::uniform_int_distribution<int> length(0, 24);
    // Bytes drawn mostly from the interesting ones: ASCII specials, lead and
    // continuation bytes, and bytes that can never appear in UTF-8.
    const unsigned char pool[] = {'a', ' ', '"', '\\', '/', '\n', '\t', 0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf,
                                  0xc0, 0xc2, 0xc3, 0xa9, 0xdf, 0xe0, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xef,
                                  0xf0, 0x9f, 0x98, 0xf4, 0x8f, 0x90, 0xf5, 0xff};
    std::uniform_int_distribution<std::size_t> pick(0, sizeof pool - 1);
    int invalid_seen = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string a;
        std::string b;
        for (int k = length(random); k > 0; --k) a += static_cast<char>(pool[pick(random)]);
        for (int k = length(random); k > 0; --k) b += static_cast<char>(pool[pick(random)]);
        JsonWriter json;
        json.begin_object();
        json.string_field("a", a);
        json.key("list");
        json.begin_array();
        json.string_value(b);
        json.end_array();
        json.string_array_field("dirs", {a, b});
        json.end_object();
        std::string written = json.finish();
        CAPTURE(reference_hex(a));
        CAPTURE(reference_hex(b));
        Json doc = parse_document(written);

        bool a_valid = reference_valid_utf8(a);
        bool b_valid = reference_valid_utf8(b);
        invalid_seen += a_valid ? 0 : 1;
        CHECK((doc.find("a_hex") != nullptr) == !a_valid);
        CHECK(doc.at("a").text == reference_replaced(a));
        if (!a_valid) CHECK(doc.at("a_hex").text == reference_hex(a));
        CHECK(doc.at("list").items.at(0).text == reference_replaced(b));
        CHECK((doc.find("dirs_hex") != nullptr) == !(a_valid && b_valid));
        if (const Json* hex = doc.find("dirs_hex")) {
            REQUIRE(hex->items.size() == 2);
            CHECK(hex->items[0].text == reference_hex(a));
            CHECK(hex->items[1].text == reference_hex(b));
        }
    }
    CHECK(invalid_seen > 100); // the pool does exercise the _hex path
}

TEST_CASE("optional_string_field: an empty value is null, any other a string") {
    JsonWriter json;
    json.begin_object();
    json.optional_string_field("peer_name", "");
    json.optional_string_field("address", "127.0.0.1:6022");
    json.end_object();
    CHECK(json.finish() == "{\"peer_name\":null,\"address\":\"127.0.0.1:6022\"}\n");
}

TEST_CASE("success_document: the envelope first, then the command's fields") {
    CHECK(success_document("fetch", "{\"transfer_id\":7}\n") ==
          "{\"schema\":1,\"command\":\"fetch\",\"ok\":true,\"transfer_id\":7}\n");
    CHECK(success_document("rescan", "{}") == "{\"schema\":1,\"command\":\"rescan\",\"ok\":true}\n");
    CHECK(success_document("", "{}\n") == "{\"schema\":1,\"command\":null,\"ok\":true}\n");

    Json doc = parse_document(success_document("search", "{\"files\":[{\"name\":\"a\"}],\"exact\":false}"));
    CHECK(doc.keys() == std::vector<std::string>{"schema", "command", "ok", "files", "exact"});
    CHECK(doc.at("schema").text == "1");
    CHECK(doc.at("ok").boolean);
    CHECK(doc.at("files").items.at(0).at("name").text == "a");
}

TEST_CASE("failure_document: code, message and detail, with the command's fields after them") {
    Failure usage{exit_usage, "fetch: missing NAME", "usage: napctl fetch NAME"};
    Json doc = parse_document(failure_document("fetch", usage));
    CHECK(doc.keys() == std::vector<std::string>{"schema", "command", "ok", "error"});
    CHECK(doc.at("schema").text == "1");
    CHECK(doc.at("command").text == "fetch");
    CHECK(doc.at("ok").type == Json::Type::boolean);
    CHECK_FALSE(doc.at("ok").boolean);
    CHECK(doc.at("error").keys() == std::vector<std::string>{"code", "message", "detail"});
    CHECK(doc.at("error").at("code").text == "usage");
    CHECK(doc.at("error").at("message").text == "fetch: missing NAME");
    CHECK(doc.at("error").at("detail").text == "usage: napctl fetch NAME");

    // No hint: detail is null; an explicit code wins over the status's.
    Json found = parse_document(failure_document("search", failure("not_found", "no file matches \"x\""),
                                                 "{\"query\":\"x\",\"files\":[]}\n"));
    CHECK(found.keys() == std::vector<std::string>{"schema", "command", "ok", "error", "query", "files"});
    CHECK(found.at("error").at("code").text == "not_found");
    CHECK(found.at("error").at("detail").type == Json::Type::null);

    // A message that is not UTF-8 keeps its bytes in message_hex.
    Json bytes = parse_document(failure_document("", failure("bad \xff")));
    CHECK(bytes.at("command").type == Json::Type::null);
    CHECK(bytes.at("error").at("code").text == "failed");
    CHECK(bytes.at("error").at("message_hex").text == "62616420ff");
}

TEST_CASE("failure_code: the failure's own code, else one for its exit status") {
    CHECK(failure_code(Failure{exit_usage, "m", {}}) == "usage");
    CHECK(failure_code(Failure{exit_unreachable, "m", {}}) == "unreachable");
    CHECK(failure_code(Failure{exit_not_connected, "m", {}}) == "not_connected");
    CHECK(failure_code(Failure{exit_interrupted, "m", {}}) == "interrupted");
    CHECK(failure_code(failure("m")) == "failed");
    CHECK(failure_code(Failure{exit_usage, "m", {}, "ambiguous"}) == "ambiguous");
}
