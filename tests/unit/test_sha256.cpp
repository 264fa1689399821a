// SPDX-License-Identifier: MIT
#include "content/sha256.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>

using namespace napster;
using namespace napster::content;

TEST_CASE("Sha256 gives FIPS 180-2's digests and can be reused") {
    Sha256 sha;
    CHECK(hex(sha.of(as_bytes(""))) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex(sha.of(as_bytes("abc"))) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // In pieces, after an unrelated message: start() forgets what came before.
    sha.start();
    sha.add(as_bytes("ab"));
    sha.add(as_bytes(""));
    sha.add(as_bytes("c"));
    CHECK(hex(sha.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    Sha256 moved = std::move(sha);
    CHECK(hex(moved.of(as_bytes("abc"))) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha = std::move(moved);
    CHECK(hex(sha.of(as_bytes(""))) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("parse_digest reads what hex writes, in either case") {
    const std::string text = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    auto digest = parse_digest(text);
    REQUIRE(digest.ok());
    CHECK(*digest == Sha256().of(as_bytes("abc")));
    CHECK(hex(*digest) == text);

    auto upper = parse_digest("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
    REQUIRE(upper.ok());
    CHECK(*upper == *digest);

    Digest all_values{};
    for (std::size_t i = 0; i < all_values.size(); ++i)
        all_values[i] = std::byte{static_cast<std::uint8_t>(i * 8 + 7)};
    auto back = parse_digest(hex(all_values));
    REQUIRE(back.ok());
    CHECK(*back == all_values);
}

TEST_CASE("parse_digest refuses anything but 64 hex digits, saying why") {
    const std::string good = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    struct Case {
        std::string text;
        std::string message;
    };
    for (const Case& c : {
             Case{"", "a content hash is 64 hex digits, not 0"},
             Case{good.substr(1), "a content hash is 64 hex digits, not 63"},
             Case{good + "0", "a content hash is 64 hex digits, not 65"},
             Case{"g" + good.substr(1), "a content hash is hex digits only; character 1 is 'g'"},
             Case{good.substr(0, 63) + " ",
                  "a content hash is hex digits only; character 64 is ' '"},
             Case{good.substr(0, 10) + "\n" + good.substr(11),
                  "a content hash is hex digits only; character 11 is '\\x0a'"},
         }) {
        CAPTURE(c.text);
        auto result = parse_digest(c.text);
        REQUIRE(!result.ok());
        CHECK(result.error().code == ErrorCode::invalid_argument);
        CHECK(result.error().message == c.message);
    }
}
