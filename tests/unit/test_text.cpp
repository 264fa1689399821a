// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "codec_test_support.h"
#include "util/text.h"

#include <algorithm>
#include <climits>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

using namespace napster;

namespace {

std::string bytes(std::initializer_list<unsigned> values) {
    std::string out;
    for (unsigned v : values) out.push_back(static_cast<char>(v));
    return out;
}

using codec_test::Rng;

// Random strings biased toward UTF-8 lead and continuation bytes, so that
// valid and nearly-valid sequences both occur often.
std::string random_text(Rng& rng) {
    static constexpr unsigned char interesting[] = {0x00, 0x07, 0x0A, 0x1B, 0x22, 0x5C, 0x7F, 0x80, 0x85, 0x9F,
                                                    0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0,
                                                    0xF4, 0xF5, 0xFE, 0xFF, 'a', 'Z', ' '};
    std::string s(rng.next() % 24, '\0');
    for (char& c : s) {
        std::uint64_t r = rng.next();
        c = static_cast<char>((r & 1) ? interesting[(r >> 1) % sizeof interesting] : static_cast<unsigned char>(r >> 8));
    }
    return s;
}

bool has_control_bytes(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F) return true;
        // C1 controls U+0080..U+009F encode as C2 80..C2 9F.
        if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) return true;
    }
    return false;
}

} // namespace

// ---------------------------------------------------------------- is_valid_utf8

TEST_CASE("is_valid_utf8 accepts well-formed text") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK(is_valid_utf8(std::string("nul\0inside", 10)));
    CHECK(is_valid_utf8(bytes({0x7F})));
    CHECK(is_valid_utf8(bytes({0xC2, 0x80})));             // U+0080, smallest 2-byte
    CHECK(is_valid_utf8("\xc3\xa9"));                      // é
    CHECK(is_valid_utf8(bytes({0xDF, 0xBF})));             // U+07FF
    CHECK(is_valid_utf8(bytes({0xE0, 0xA0, 0x80})));       // U+0800, smallest 3-byte
    CHECK(is_valid_utf8("\xe2\x82\xac"));                  // €
    CHECK(is_valid_utf8(bytes({0xED, 0x9F, 0xBF})));       // U+D7FF, just below surrogates
    CHECK(is_valid_utf8(bytes({0xEE, 0x80, 0x80})));       // U+E000, just above
    CHECK(is_valid_utf8(bytes({0xEF, 0xBF, 0xBF})));       // U+FFFF
    CHECK(is_valid_utf8(bytes({0xF0, 0x90, 0x80, 0x80}))); // U+10000, smallest 4-byte
    CHECK(is_valid_utf8("\xf0\x9f\x98\x80"));              // 😀
    CHECK(is_valid_utf8(bytes({0xF4, 0x8F, 0xBF, 0xBF}))); // U+10FFFF, the last
    CHECK(is_valid_utf8("Grüße, 日本語, ε"));
}

TEST_CASE("is_valid_utf8 refuses overlong forms") {
    CHECK_FALSE(is_valid_utf8(bytes({0xC0, 0x80})));             // NUL, overlong
    CHECK_FALSE(is_valid_utf8(bytes({0xC0, 0xAF})));             // '/', overlong
    CHECK_FALSE(is_valid_utf8(bytes({0xC1, 0xBF})));
    CHECK_FALSE(is_valid_utf8(bytes({0xE0, 0x80, 0x80})));
    CHECK_FALSE(is_valid_utf8(bytes({0xE0, 0x80, 0xAF})));       // '/', overlong
    CHECK_FALSE(is_valid_utf8(bytes({0xE0, 0x9F, 0xBF})));       // U+07FF, overlong
    CHECK_FALSE(is_valid_utf8(bytes({0xF0, 0x80, 0x80, 0x80})));
    CHECK_FALSE(is_valid_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF}))); // U+FFFF, overlong
}

TEST_CASE("is_valid_utf8 refuses surrogates") {
    CHECK_FALSE(is_valid_utf8(bytes({0xED, 0xA0, 0x80}))); // U+D800
    CHECK_FALSE(is_valid_utf8(bytes({0xED, 0xAF, 0xBF}))); // U+DBFF
    CHECK_FALSE(is_valid_utf8(bytes({0xED, 0xB0, 0x80}))); // U+DC00
    CHECK_FALSE(is_valid_utf8(bytes({0xED, 0xBF, 0xBF}))); // U+DFFF
    CHECK_FALSE(is_valid_utf8(bytes({0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80}))); // CESU-8 pair
}

TEST_CASE("is_valid_utf8 refuses code points above U+10FFFF") {
    CHECK_FALSE(is_valid_utf8(bytes({0xF4, 0x90, 0x80, 0x80}))); // U+110000
    CHECK_FALSE(is_valid_utf8(bytes({0xF5, 0x80, 0x80, 0x80})));
    CHECK_FALSE(is_valid_utf8(bytes({0xF7, 0xBF, 0xBF, 0xBF})));
    CHECK_FALSE(is_valid_utf8(bytes({0xF8, 0x88, 0x80, 0x80, 0x80}))); // old 5-byte form
    CHECK_FALSE(is_valid_utf8(bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));
    CHECK_FALSE(is_valid_utf8(bytes({0xFE})));
    CHECK_FALSE(is_valid_utf8(bytes({0xFF})));
    CHECK_FALSE(is_valid_utf8(bytes({0xFF, 0xFE})));
}

TEST_CASE("is_valid_utf8 refuses truncated and broken sequences") {
    CHECK_FALSE(is_valid_utf8(bytes({0xC3})));
    CHECK_FALSE(is_valid_utf8(bytes({0xE2, 0x82})));
    CHECK_FALSE(is_valid_utf8(bytes({0xF0, 0x9F, 0x98})));
    CHECK_FALSE(is_valid_utf8("abc\xe2\x82"));
    CHECK_FALSE(is_valid_utf8(bytes({0x80})));             // lone continuation
    CHECK_FALSE(is_valid_utf8(bytes({0xBF})));
    CHECK_FALSE(is_valid_utf8(bytes({0xC3, 0x28})));       // continuation missing
    CHECK_FALSE(is_valid_utf8(bytes({0xE2, 0x28, 0xA1})));
    CHECK_FALSE(is_valid_utf8(bytes({0xE2, 0x82, 0x28})));
    CHECK_FALSE(is_valid_utf8(bytes({0xF0, 0x9F, 0x98, 0x28})));
    CHECK_FALSE(is_valid_utf8(bytes({0xC3, 0xA9, 0xA9}))); // one continuation too many
}

TEST_CASE("is_valid_utf8 on every single byte") {
    for (unsigned b = 0; b < 256; ++b) {
        CAPTURE(b);
        CHECK(is_valid_utf8(bytes({b})) == (b < 0x80));
    }
}

TEST_CASE("every truncation of a valid 4-byte sequence is invalid, at any position") {
    std::string emoji = "\xf0\x9f\x98\x80";
    for (std::size_t len = 1; len < 4; ++len) {
        CAPTURE(len);
        std::string cut = emoji.substr(0, len);
        CHECK_FALSE(is_valid_utf8(cut));
        CHECK_FALSE(is_valid_utf8("a" + cut));
        CHECK_FALSE(is_valid_utf8(cut + "a"));
    }
}

// ---------------------------------------------------------------- printable

TEST_CASE("printable keeps valid printable text") {
    CHECK(printable("") == "");
    CHECK(printable("file8_3.txt") == "file8_3.txt");
    CHECK(printable("Grüße 日本語 😀") == "Grüße 日本語 😀");
    CHECK(printable("\xc2\xa0") == "\xc2\xa0"); // U+00A0 follows the C1 range
    CHECK(printable("~ !") == "~ !");
}

TEST_CASE("printable escapes control characters") {
    CHECK(printable("a\nb") == "a\\x0ab");
    CHECK(printable("\r\t") == "\\x0d\\x09");
    CHECK(printable(std::string("\0", 1)) == "\\x00");
    CHECK(printable("\x1b[31mred") == "\\x1b[31mred");
    CHECK(printable("\x7f") == "\\x7f");
    CHECK(printable("\x1f") == "\\x1f");
}

TEST_CASE("printable escapes backslashes, so output cannot be faked") {
    CHECK(printable("\\") == "\\x5c");
    CHECK(printable("a\\x0ab") == "a\\x5cx0ab");
    CHECK(printable("\\x41") != printable("A"));
    CHECK(printable("a\\nb") != printable("a\nb"));
}

TEST_CASE("printable escapes C1 controls byte by byte") {
    CHECK(printable("\xc2\x80") == "\\xc2\\x80");
    CHECK(printable("\xc2\x85") == "\\xc2\\x85"); // NEL
    CHECK(printable("\xc2\x9b") == "\\xc2\\x9b"); // CSI
    CHECK(printable("\xc2\x9f") == "\\xc2\\x9f");
}

TEST_CASE("printable escapes invalid bytes and keeps valid text around them") {
    CHECK(printable(bytes({0xFF, 0xFE})) == "\\xff\\xfe");
    CHECK(printable("a\xff" "b") == "a\\xffb");
    CHECK(printable("\xe2\x82") == "\\xe2\\x82");
    CHECK(printable("\xe2\x82\xe2\x82\xac") == "\\xe2\\x82€");
    CHECK(printable(bytes({0xC0, 0xAF})) == "\\xc0\\xaf");
    CHECK(printable(bytes({0xED, 0xA0, 0x80})) == "\\xed\\xa0\\x80");
}

TEST_CASE("printable output is valid UTF-8 without control characters") {
    Rng rng{0x7E47};
    for (int i = 0; i < 20000; ++i) {
        std::string in = random_text(rng);
        std::string out = printable(in);
        CAPTURE(in);
        CHECK(is_valid_utf8(out));
        CHECK_FALSE(has_control_bytes(out));
        if (is_valid_utf8(in) && !has_control_bytes(in) && in.find('\\') == std::string::npos) CHECK(out == in);
    }
}

// ---------------------------------------------------------------- json_quote

TEST_CASE("json_quote quotes and escapes") {
    CHECK(json_quote("") == "\"\"");
    CHECK(json_quote("abc") == "\"abc\"");
    CHECK(json_quote("a\"b") == "\"a\\\"b\"");
    CHECK(json_quote("a\\b") == "\"a\\\\b\"");
    CHECK(json_quote("\n\r\t") == "\"\\n\\r\\t\"");
    CHECK(json_quote(std::string("\0", 1)) == "\"\\u0000\"");
    CHECK(json_quote("\x01\x1f") == "\"\\u0001\\u001f\"");
    CHECK(json_quote("\x7f") == "\"\\u007f\"");
    CHECK(json_quote("a/b") == "\"a/b\"");
    CHECK(json_quote("é日😀") == "\"é日😀\"");
}

TEST_CASE("json_quote replaces invalid bytes with U+FFFD, one per byte") {
    CHECK(json_quote(bytes({0xFF})) == "\"\xef\xbf\xbd\"");
    CHECK(json_quote(bytes({0xFF, 0xFE})) == "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK(json_quote("a\xff" "b") == "\"a\xef\xbf\xbd" "b\"");
    CHECK(json_quote("\xe2\x82") == "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    CHECK(json_quote(bytes({0xED, 0xA0, 0x80})) == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST_CASE("json_quote output is always valid UTF-8 and a closed string") {
    Rng rng{0x15011};
    for (int i = 0; i < 20000; ++i) {
        std::string in = random_text(rng);
        std::string out = json_quote(in);
        CAPTURE(in);
        CHECK(is_valid_utf8(out));
        REQUIRE(out.size() >= 2);
        CHECK(out.front() == '"');
        CHECK(out.back() == '"');
        // No raw control byte, and every inner quote is escaped.
        bool escaped = false;
        bool raw_control = false;
        bool bare_quote = false;
        for (std::size_t k = 1; k + 1 < out.size(); ++k) {
            auto c = static_cast<unsigned char>(out[k]);
            raw_control = raw_control || c < 0x20 || c == 0x7F;
            bare_quote = bare_quote || (!escaped && c == '"');
            escaped = !escaped && c == '\\';
        }
        CHECK_FALSE(raw_control);
        CHECK_FALSE(bare_quote);
        CHECK_FALSE(escaped);
    }
}

// ---------------------------------------------------------------- hex_encode

TEST_CASE("hex_encode") {
    CHECK(hex_encode("") == "");
    CHECK(hex_encode("a") == "61");
    CHECK(hex_encode(std::string("\x00\xff\x10\x0f", 4)) == "00ff100f");
    std::string all;
    for (unsigned b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
    std::string h = hex_encode(all);
    CHECK(h.size() == 512);
    CHECK(h.substr(0, 8) == "00010203");
    CHECK(h.substr(504) == "fcfdfeff");
}

// ---------------------------------------------------------------- ascii_lower

TEST_CASE("ascii_lower folds A-Z only") {
    CHECK(ascii_lower("File8_3.TXT") == "file8_3.txt");
    CHECK(ascii_lower("@[`{") == "@[`{");
    CHECK(ascii_lower("ÀÉÎ Ω") == "ÀÉÎ Ω");
    for (unsigned b = 0; b < 256; ++b) {
        CAPTURE(b);
        std::string in(1, static_cast<char>(b));
        std::string expect = (b >= 'A' && b <= 'Z') ? std::string(1, static_cast<char>(b + 32)) : in;
        CHECK(ascii_lower(in) == expect);
    }
}

TEST_CASE("ascii_lower keeps invalid UTF-8 byte-exact") {
    std::string in = bytes({0xC3, 0x41, 0xFF, 0x5A, 0xFE});
    CHECK(ascii_lower(in) == bytes({0xC3, 0x61, 0xFF, 0x7A, 0xFE}));
}

// ---------------------------------------------------------------- split_words

TEST_CASE("split_words") {
    using W = std::vector<std::string>;
    CHECK(split_words("") == W{});
    CHECK(split_words("   \t\n") == W{});
    CHECK(split_words("one") == W{"one"});
    CHECK(split_words("one two") == W{"one", "two"});
    CHECK(split_words("  one\t\ttwo\n three  ") == W{"one", "two", "three"});
    CHECK(split_words("a\vb\fc\rd") == W{"a", "b", "c", "d"});
    // Only ASCII white space splits: U+00A0 and invalid bytes are word bytes.
    CHECK(split_words("a\xc2\xa0" "b") == W{"a\xc2\xa0" "b"});
    CHECK(split_words("\xff \xfe") == W{"\xff", "\xfe"});
    CHECK(split_words(std::string("a\0b c", 5)) == W{std::string("a\0b", 3), "c"});
}

// ---------------------------------------------------------------- group_thousands

TEST_CASE("group_thousands") {
    CHECK(group_thousands(0) == "0");
    CHECK(group_thousands(7) == "7");
    CHECK(group_thousands(999) == "999");
    CHECK(group_thousands(1000) == "1,000");
    CHECK(group_thousands(12408) == "12,408");
    CHECK(group_thousands(100000) == "100,000");
    CHECK(group_thousands(999999) == "999,999");
    CHECK(group_thousands(1000000) == "1,000,000");
    CHECK(group_thousands(1234567) == "1,234,567");
    CHECK(group_thousands(ULLONG_MAX) == "18,446,744,073,709,551,615");
}

TEST_CASE("closest_choice: within a third of the word, ASCII case ignored, no guess on a tie") {
    const std::vector<std::string_view> commands{"search", "fetch", "status", "shares", "rescan"};
    CHECK(closest_choice("serach", commands) == std::optional<std::string_view>("search"));
    CHECK(closest_choice("STATUS", commands) == std::optional<std::string_view>("status"));
    CHECK(closest_choice("fecth", commands) == std::optional<std::string_view>("fetch"));
    CHECK_FALSE(closest_choice("frobnicate", commands));
    CHECK_FALSE(closest_choice("", commands));
    CHECK_FALSE(closest_choice("x", commands));
    // Two choices equally near: no guess.
    const std::vector<std::string_view> twins{"abcd", "abce"};
    CHECK_FALSE(closest_choice("abcf", twins));
    CHECK(did_you_mean("serach", commands) == "; did you mean \"search\"?");
    CHECK(did_you_mean("frobnicate", commands).empty());
}

TEST_CASE("natural_less: digit runs by value, the rest by bytes, a total order") {
    CHECK(natural_less("song_2.mp3", "song_10.mp3"));
    CHECK_FALSE(natural_less("song_10.mp3", "song_2.mp3"));
    CHECK(natural_less("a9b", "a10a"));
    CHECK(natural_less("track 1 part 2", "track 1 part 10"));
    CHECK(natural_less("99", "100"));
    CHECK(natural_less("x", "x1"));
    CHECK(natural_less("1", "a"));
    // Equal by value: plain byte order decides, so neither is less both ways.
    CHECK(natural_less("song_02", "song_2"));
    CHECK_FALSE(natural_less("song_2", "song_02"));
    CHECK_FALSE(natural_less("same", "same"));
    // Numbers longer than any integer type.
    CHECK(natural_less("v99999999999999999999999", "v100000000000000000000000"));
    // Bytes above ASCII compare unsigned, as in byte order.
    CHECK(natural_less("a", "\xC3\xA9"));
    // A strict weak order over a mixed set: sorting is stable under it.
    std::vector<std::string> names{"f10", "f2", "F1", "f02", "f", "f1a", "f1", "10", "9", "f0"};
    std::sort(names.begin(), names.end(), natural_less);
    CHECK(names == std::vector<std::string>{"9", "10", "F1", "f", "f0", "f1", "f1a", "f02", "f2", "f10"});
    for (const auto& a : names)
        for (const auto& b : names) CHECK_FALSE((natural_less(a, b) && natural_less(b, a)));
}

