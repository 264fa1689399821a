// SPDX-License-Identifier: MIT
// The transfer channel's messages (transfer_messages.*). Payloads under
// test are copied into buffers of exactly their size so that
// AddressSanitizer sees any read past the end.
#include <doctest/doctest.h>

#include "codec_test_support.h"

#include "protocol/transfer_messages.h"
#include "util/text.h"

#include <string>
#include <vector>

using namespace napster;
using namespace napster::protocol;
using namespace napster::codec_test;

namespace {

Bytes get_payload(const std::string& name) {
    Bytes out;
    ByteWriter w(out);
    w.u32(1);
    w.str8("bob");
    w.u64(2);
    w.str8(name);
    w.u64(0);
    return out;
}

} // namespace

TEST_CASE("GET round-trips") {
    round_trip(Get{7, "bob", 42, "file8_3.txt", 0});
    round_trip(Get{unknown_peer_id, "", 0xFFFFFFFFFFFFFFFFULL, std::string(max_file_name, 'n'), 0xFFFFFFFFFFFFFFFFULL});
    round_trip(Get{1, std::string(max_peer_name, 'p'), 1, "x", 1});
    check_truncated_and_trailing(Get{7, "bob", 42, "file8_3.txt", 1000});
}

TEST_CASE("GET's default requester is the unknown peer id") {
    CHECK(Get{}.requester_id == 0xFFFFFFFFu);
    CHECK(unknown_peer_id == 0xFFFFFFFFu);
}

TEST_CASE("GET keeps non-UTF-8 names byte-exact") {
    std::string name("\xff\xfe\x01 \xed\xa0\x80", 7);
    Get back = round_trip(Get{1, "\xc0\xaf", 2, name, 0});
    CHECK(hex_encode(back.name) == "fffe0120eda080");
    CHECK(back.requester_name == "\xc0\xaf");
}

TEST_CASE("GET layout") {
    Bytes frame = encode_message(Get{1, "b", 2, "x", 3});
    CHECK(hex(frame) == "0000001a" "0201" "00000001" "0162" "0000000000000002" "0178" "0000000000000003");
}

TEST_CASE("GET refuses unsafe names") {
    check_refused<Get>(get_payload(""), "empty");
    check_refused<Get>(get_payload("."), "not allowed");
    check_refused<Get>(get_payload(".."), "not allowed");
    check_refused<Get>(get_payload("../etc/passwd"), "'/'");
    check_refused<Get>(get_payload("/etc/passwd"), "'/'");
    check_refused<Get>(get_payload(std::string("a\0b", 3)), "NUL");
    // 256 bytes cannot be said in a str8; what such an encoding becomes is refused.
    CHECK_FALSE(decode_message<Get>(payload_of(Get{1, "b", 2, std::string(max_file_name + 1, 'n'), 0})).ok());
}

TEST_CASE("GET refuses an over-long requester name") {
    check_refused<Get>(payload_of(Get{1, std::string(max_peer_name + 1, 'p'), 2, "x", 0}), "requester name");
}

TEST_CASE("GET_OK round-trips") {
    round_trip(GetOk{0, 0});
    round_trip(GetOk{100, 100});
    round_trip(GetOk{100, 40});
    round_trip(GetOk{0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFFULL});
    check_truncated_and_trailing(GetOk{5, 3});
    CHECK(hex(encode_message(GetOk{5, 3})) == "00000012" "0202" "0000000000000005" "0000000000000003");
}

TEST_CASE("GET_OK refuses a length beyond the file size") {
    check_refused<GetOk>(payload_of(GetOk{100, 101}), "length");
    check_refused<GetOk>(payload_of(GetOk{0, 1}), "length");
}

TEST_CASE("mutated transfer messages never crash and decode only canonically") {
    std::vector<Bytes> seeds = {payload_of(Get{1, "bob", 2, "name.txt", 3}), payload_of(GetOk{10, 4})};
    Rng rng{0x7A4E5FE4};
    for (int iteration = 0; iteration < 20000; ++iteration) {
        Bytes m = seeds[rng.below(seeds.size())];
        for (std::size_t e = 0, edits = 1 + rng.below(3); e < edits; ++e) {
            if (m.empty()) break;
            std::size_t at = rng.below(m.size());
            switch (rng.below(3)) {
            case 0: m[at] = rng.byte(); break;
            case 1: m.resize(at); break;
            case 2: m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), rng.byte()); break;
            }
        }
        if (auto get = decode_message<Get>(m)) CHECK(payload_of(*get) == m);
        if (auto ok = decode_message<GetOk>(m)) {
            CHECK(payload_of(*ok) == m);
            CHECK(ok->length <= ok->size);
        }
    }
}
