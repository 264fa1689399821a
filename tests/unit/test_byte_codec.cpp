// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "util/byte_codec.h"

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using namespace napster;

namespace {

Bytes bytes_of(std::initializer_list<unsigned> values) {
    Bytes out;
    for (unsigned v : values) out.push_back(std::byte{static_cast<std::uint8_t>(v)});
    return out;
}

Bytes bytes_of(std::string_view s) {
    auto span = as_bytes(s);
    return {span.begin(), span.end()};
}

// A heap copy of exactly `len` bytes, so that AddressSanitizer catches any
// read past the end of what the reader was given.
Bytes exact_copy(const Bytes& in, std::size_t len) { return {in.begin(), in.begin() + static_cast<std::ptrdiff_t>(len)}; }

} // namespace

TEST_CASE("ByteWriter writes integers big-endian") {
    Bytes out;
    ByteWriter w(out);
    w.u8(0xAB);
    w.u16(0x1234);
    w.u32(0xDEADBEEF);
    w.u64(0x0102030405060708ULL);
    CHECK(out == bytes_of({0xAB, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 5, 6, 7, 8}));
    CHECK(w.size() == 15);
}

TEST_CASE("ByteWriter appends to what the buffer already holds") {
    Bytes out = bytes_of({0x99});
    ByteWriter w(out);
    w.u16(0x0001);
    CHECK(out == bytes_of({0x99, 0x00, 0x01}));
    CHECK(w.size() == 3);
}

TEST_CASE("ByteWriter writes length-prefixed strings") {
    Bytes out;
    ByteWriter w(out);
    w.str8("abc");
    w.str16("xy");
    w.str8("");
    w.str16("");
    CHECK(out == bytes_of({3, 'a', 'b', 'c', 0, 2, 'x', 'y', 0, 0, 0}));
}

TEST_CASE("ByteWriter str8 and str16 carry their maximum lengths") {
    Bytes out;
    ByteWriter w(out);
    w.str8(std::string(255, 'n'));
    REQUIRE(out.size() == 256);
    CHECK(out[0] == std::byte{0xFF});

    Bytes out16;
    ByteWriter w16(out16);
    w16.str16(std::string(65535, 'q'));
    REQUIRE(out16.size() == 65537);
    CHECK(out16[0] == std::byte{0xFF});
    CHECK(out16[1] == std::byte{0xFF});
}

TEST_CASE("ByteWriter raw appends bytes unchanged") {
    Bytes out;
    ByteWriter w(out);
    w.raw(std::string_view("\xff\x00z", 3));
    Bytes more = bytes_of({0x10, 0x20});
    w.raw(ByteSpan(more));
    CHECK(out == bytes_of({0xFF, 0x00, 'z', 0x10, 0x20}));
}

TEST_CASE("ByteWriter patch_u32 overwrites in place and refuses out of range") {
    Bytes out;
    ByteWriter w(out);
    w.u8(0xEE);
    w.u32(0);
    w.u8(0xFF);
    w.patch_u32(1, 0xA1B2C3D4);
    CHECK(out == bytes_of({0xEE, 0xA1, 0xB2, 0xC3, 0xD4, 0xFF}));
    CHECK_THROWS_AS(w.patch_u32(3, 1), std::out_of_range);
    // The failed patch did not grow the buffer.
    CHECK(out.size() == 6);
}

TEST_CASE("ByteReader reads integers big-endian") {
    Bytes in = bytes_of({0xAB, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 5, 6, 7, 8});
    ByteReader r(in);
    CHECK(r.u8("a") == 0xAB);
    CHECK(r.u16("b") == 0x1234);
    CHECK(r.u32("c") == 0xDEADBEEFu);
    CHECK(r.remaining() == 8);
    CHECK(r.u64("d") == 0x0102030405060708ULL);
    CHECK(r.remaining() == 0);
    CHECK(r.ok());
    r.expect_end("TEST");
    CHECK(r.ok());
}

TEST_CASE("ByteReader reads extreme integer values") {
    Bytes in;
    ByteWriter w(in);
    w.u8(0);
    w.u8(0xFF);
    w.u16(0xFFFF);
    w.u32(0xFFFFFFFF);
    w.u64(std::numeric_limits<std::uint64_t>::max());
    w.u64(0x8000000000000000ULL);
    ByteReader r(in);
    CHECK(r.u8("a") == 0);
    CHECK(r.u8("b") == 0xFF);
    CHECK(r.u16("c") == 0xFFFF);
    CHECK(r.u32("d") == 0xFFFFFFFFu);
    CHECK(r.u64("e") == std::numeric_limits<std::uint64_t>::max());
    CHECK(r.u64("f") == 0x8000000000000000ULL);
    CHECK(r.ok());
}

TEST_CASE("ByteReader refuses every short integer and names the field") {
    Bytes full = bytes_of({1, 2, 3, 4, 5, 6, 7, 8});
    for (std::size_t width : {1u, 2u, 4u, 8u}) {
        for (std::size_t len = 0; len < width; ++len) {
            CAPTURE(width);
            CAPTURE(len);
            Bytes in = exact_copy(full, len);
            ByteReader r(in);
            std::uint64_t v = 1;
            switch (width) {
            case 1: v = r.u8("the field"); break;
            case 2: v = r.u16("the field"); break;
            case 4: v = r.u32("the field"); break;
            case 8: v = r.u64("the field"); break;
            }
            CHECK(v == 0);
            CHECK_FALSE(r.ok());
            CHECK(r.error().find("the field") != std::string::npos);
            CHECK(r.error().find("truncated") != std::string::npos);
            // Nothing was consumed.
            CHECK(r.remaining() == len);
        }
    }
}

TEST_CASE("ByteReader's first failure sticks") {
    Bytes in = bytes_of({0x01, 0x02, 0x03});
    ByteReader r(in);
    CHECK(r.u32("first") == 0);
    CHECK_FALSE(r.ok());
    std::string first = r.error();
    CHECK(first.find("first") != std::string::npos);
    // Later reads return zero values and do not consume or replace the error,
    // even though the bytes for them are there.
    CHECK(r.u8("second") == 0);
    CHECK(r.u16("third") == 0);
    CHECK(r.str8("fourth", 10).empty());
    CHECK(r.remaining() == 3);
    r.fail("another problem");
    r.expect_end("TEST");
    CHECK(r.error() == first);
}

TEST_CASE("ByteReader fail records a message once") {
    Bytes in = bytes_of({7});
    ByteReader r(in);
    CHECK(r.ok());
    r.fail("bad thing");
    CHECK_FALSE(r.ok());
    CHECK(r.error() == "bad thing");
    r.fail("worse thing");
    CHECK(r.error() == "bad thing");
}

TEST_CASE("ByteReader reads length-prefixed strings") {
    Bytes in = bytes_of({3, 'a', 'b', 'c', 0, 2, 'x', 'y', 0, 0, 0});
    ByteReader r(in);
    CHECK(r.str8("s1", 255) == "abc");
    CHECK(r.str16("s2", 100) == "xy");
    CHECK(r.str8("s3", 0).empty());
    CHECK(r.ok());
    CHECK(r.remaining() == 2);
    CHECK(r.str16("s4", 0).empty());
    CHECK(r.ok());
    CHECK(r.remaining() == 0);
}

TEST_CASE("ByteReader keeps raw bytes exactly, NUL and 0xff included") {
    std::string value("\xff\xfe\x00\x01/..", 7);
    Bytes in;
    ByteWriter w(in);
    w.str8(value);
    w.str16(value);
    ByteReader r(in);
    CHECK(r.str8("a", 255) == value);
    CHECK(r.str16("b", 255) == value);
    CHECK(r.ok());
}

TEST_CASE("ByteReader string limits are exact") {
    SUBCASE("str8 at its limit") {
        Bytes in;
        ByteWriter w(in);
        w.str8(std::string(10, 'x'));
        ByteReader r(in);
        CHECK(r.str8("name", 10) == std::string(10, 'x'));
        CHECK(r.ok());
    }
    SUBCASE("str8 one past its limit") {
        Bytes in;
        ByteWriter w(in);
        w.str8(std::string(11, 'x'));
        ByteReader r(in);
        CHECK(r.str8("name", 10).empty());
        CHECK_FALSE(r.ok());
        CHECK(r.error().find("name") != std::string::npos);
        CHECK(r.error().find("11") != std::string::npos);
        CHECK(r.error().find("10") != std::string::npos);
    }
    SUBCASE("str16 at its limit") {
        Bytes in;
        ByteWriter w(in);
        w.str16(std::string(1024, 'q'));
        ByteReader r(in);
        CHECK(r.str16("query", 1024).size() == 1024);
        CHECK(r.ok());
    }
    SUBCASE("str16 one past its limit") {
        Bytes in;
        ByteWriter w(in);
        w.str16(std::string(1025, 'q'));
        ByteReader r(in);
        CHECK(r.str16("query", 1024).empty());
        CHECK_FALSE(r.ok());
        CHECK(r.error().find("query") != std::string::npos);
    }
    SUBCASE("a length over the limit is refused before the bytes are looked for") {
        // Claims 0xffff bytes, holds none: the limit is reported, not truncation.
        Bytes in = bytes_of({0xFF, 0xFF});
        ByteReader r(in);
        CHECK(r.str16("path", 4096).empty());
        CHECK_FALSE(r.ok());
        CHECK(r.error().find("at most 4096") != std::string::npos);
    }
}

TEST_CASE("ByteReader refuses strings cut short at every length") {
    Bytes full;
    ByteWriter w(full);
    w.str16("hello world");
    for (std::size_t len = 0; len < full.size(); ++len) {
        CAPTURE(len);
        Bytes in = exact_copy(full, len);
        ByteReader r(in);
        CHECK(r.str16("greeting", 100).empty());
        CHECK_FALSE(r.ok());
        CHECK(r.error().find("greeting") != std::string::npos);
    }
    Bytes full8;
    ByteWriter w8(full8);
    w8.str8("hello");
    for (std::size_t len = 0; len < full8.size(); ++len) {
        CAPTURE(len);
        Bytes in = exact_copy(full8, len);
        ByteReader r(in);
        CHECK(r.str8("greeting", 100).empty());
        CHECK_FALSE(r.ok());
    }
}

TEST_CASE("ByteReader raw reads exactly len bytes") {
    Bytes in = bytes_of("abcdef");
    ByteReader r(in);
    CHECK(r.raw("first", 2) == "ab");
    CHECK(r.raw("none", 0).empty());
    CHECK(r.raw("second", 4) == "cdef");
    CHECK(r.ok());
    CHECK(r.raw("third", 1).empty());
    CHECK_FALSE(r.ok());
    CHECK(r.error().find("third") != std::string::npos);
}

TEST_CASE("ByteReader raw refuses a huge length without reading") {
    Bytes in = bytes_of("abc");
    ByteReader r(in);
    CHECK(r.raw("blob", std::numeric_limits<std::size_t>::max()).empty());
    CHECK_FALSE(r.ok());
    CHECK(r.remaining() == 3);
}

TEST_CASE("ByteReader expect_end refuses trailing bytes") {
    Bytes in = bytes_of({1, 2, 3});
    ByteReader r(in);
    r.u16("a");
    r.expect_end("WIDGET");
    CHECK_FALSE(r.ok());
    CHECK(r.error().find("WIDGET") != std::string::npos);
    CHECK(r.error().find("1 unexpected trailing") != std::string::npos);
}

TEST_CASE("ByteReader over an empty span") {
    ByteReader r(ByteSpan{});
    CHECK(r.remaining() == 0);
    r.expect_end("EMPTY");
    CHECK(r.ok());
    CHECK(r.u8("x") == 0);
    CHECK_FALSE(r.ok());
}

TEST_CASE("as_bytes views the string's bytes without copying") {
    std::string s("\x00\xff", 2);
    ByteSpan span = as_bytes(s);
    CHECK(span.size() == 2);
    CHECK(static_cast<const void*>(span.data()) == static_cast<const void*>(s.data()));
    CHECK(span[1] == std::byte{0xFF});
}

TEST_CASE("ByteReader never reads past its span on pseudo-random input") {
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int iteration = 0; iteration < 5000; ++iteration) {
        Bytes in(next() % 24);
        for (auto& b : in) b = std::byte{static_cast<std::uint8_t>(next())};
        ByteReader r(in);
        std::size_t consumed = 0;
        for (int op = 0; op < 8 && r.ok(); ++op) {
            std::size_t before = r.remaining();
            switch (next() % 6) {
            case 0: r.u8("a"); break;
            case 1: r.u16("b"); break;
            case 2: r.u32("c"); break;
            case 3: r.u64("d"); break;
            case 4: r.str8("e", next() % 300); break;
            case 5: r.str16("f", next() % 70000); break;
            }
            CHECK(r.remaining() <= before);
            consumed += before - r.remaining();
        }
        CHECK(consumed + r.remaining() == in.size());
    }
}
