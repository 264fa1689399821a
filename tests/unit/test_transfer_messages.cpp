// SPDX-License-Identifier: MIT
// The transfer channel's messages (transfer_messages.*). Payloads under
// test are copied into buffers of exactly their size so that
// AddressSanitizer sees any read past the end.
#include <doctest/doctest.h>

#include "codec_test_support.h"

#include "content/hash_tree.h"
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
    write_root(w, std::nullopt);
    w.u64(0);
    w.u64(0);
    return out;
}

// The size of a file of `blocks` full blocks.
constexpr std::uint64_t blocks_of(std::uint64_t blocks) { return blocks * content::block_size; }

// `count` distinct leaves.
std::vector<content::Digest> leaves(std::size_t count) {
    std::vector<content::Digest> out;
    for (std::size_t i = 0; i < count; ++i) {
        content::Digest leaf = test_root(static_cast<std::uint8_t>(i));
        leaf[31] = std::byte{static_cast<std::uint8_t>(i >> 8)};
        out.push_back(leaf);
    }
    return out;
}

// A HASHES payload as a sender writes it, with any count (the encoder
// always writes the number of leaves it has).
Bytes hashes_payload(std::uint64_t size, std::uint64_t first, std::uint32_t count, std::size_t leaves_sent) {
    Bytes out;
    ByteWriter w(out);
    content::Digest root = test_root();
    w.raw(ByteSpan(root.data(), root.size()));
    w.u64(size);
    w.u64(first);
    w.u32(count);
    for (const content::Digest& leaf : leaves(leaves_sent)) w.raw(ByteSpan(leaf.data(), leaf.size()));
    return out;
}

} // namespace

// ---------------------------------------------------------------- GET

TEST_CASE("GET round-trips") {
    round_trip(Get{7, "bob", 42, "file8_3.txt", std::nullopt, 0, 0});
    round_trip(Get{unknown_peer_id, "", 0xFFFFFFFFFFFFFFFFULL, std::string(max_file_name, 'n'), std::nullopt,
                   0xFFFFFFFFFFFFFFFFULL, 0});
    round_trip(Get{1, std::string(max_peer_name, 'p'), 1, "x", test_root(), 1, 1});
    Get ranged = round_trip(Get{1, "b", 2, "x", test_root(9), 1 << 20, 1 << 20});
    CHECK(ranged.root == test_root(9));
    CHECK(ranged.length == 1 << 20);
    check_truncated_and_trailing(Get{7, "bob", 42, "file8_3.txt", std::nullopt, 1000, 0});
    check_truncated_and_trailing(Get{7, "bob", 42, "file8_3.txt", test_root(), 1000, 5000});
}

TEST_CASE("GET's default requester is the unknown peer id") {
    CHECK(Get{}.requester_id == 0xFFFFFFFFu);
    CHECK(unknown_peer_id == 0xFFFFFFFFu);
}

TEST_CASE("GET keeps non-UTF-8 names byte-exact") {
    std::string name("\xff\xfe\x01 \xed\xa0\x80", 7);
    Get back = round_trip(Get{1, "\xc0\xaf", 2, name, std::nullopt, 0, 0});
    CHECK(hex_encode(back.name) == "fffe0120eda080");
    CHECK(back.requester_name == "\xc0\xaf");
}

TEST_CASE("GET layout: the root after the name, the length after the offset") {
    const char* head = "00000001" "0162" "0000000000000002" "0178";
    const char* range = "0000000000000003" "0000000000000004";
    CHECK(hex(encode_message(Get{1, "b", 2, "x", std::nullopt, 3, 4})) ==
          std::string("00000023" "0201") + head + "00" + range);
    CHECK(hex(encode_message(Get{1, "b", 2, "x", test_root(), 3, 4})) ==
          std::string("00000043" "0201") + head + "20" + hex(test_root()) + range);
}

TEST_CASE("GET refuses unsafe names") {
    check_refused<Get>(get_payload(""), "empty");
    check_refused<Get>(get_payload("."), "not allowed");
    check_refused<Get>(get_payload(".."), "not allowed");
    check_refused<Get>(get_payload("../etc/passwd"), "'/'");
    check_refused<Get>(get_payload("/etc/passwd"), "'/'");
    check_refused<Get>(get_payload(std::string("a\0b", 3)), "NUL");
    // 256 bytes cannot be said in a str8; what such an encoding becomes is refused.
    CHECK_FALSE(
        decode_message<Get>(payload_of(Get{1, "b", 2, std::string(max_file_name + 1, 'n'), std::nullopt, 0, 0})).ok());
}

TEST_CASE("GET refuses an over-long requester name") {
    check_refused<Get>(payload_of(Get{1, std::string(max_peer_name + 1, 'p'), 2, "x", std::nullopt, 0, 0}),
                       "requester name");
}

TEST_CASE("GET root: none or 32 bytes, nothing else") {
    check_root_lengths_refused(Get{1, "b", 2, "x", test_root(), 0, 0}, test_root());
}

TEST_CASE("GET refuses a range whose end overflows 64 bits") {
    constexpr std::uint64_t max = 0xFFFFFFFFFFFFFFFFULL;
    round_trip(Get{1, "b", 2, "x", std::nullopt, max, 0});
    round_trip(Get{1, "b", 2, "x", std::nullopt, 0, max});
    round_trip(Get{1, "b", 2, "x", std::nullopt, 1ULL << 63, (1ULL << 63) - 1});
    check_refused<Get>(payload_of(Get{1, "b", 2, "x", std::nullopt, max, 1}), "offset + length overflows");
    check_refused<Get>(payload_of(Get{1, "b", 2, "x", std::nullopt, 1, max}), "offset + length overflows");
    check_refused<Get>(payload_of(Get{1, "b", 2, "x", test_root(), 1ULL << 63, 1ULL << 63}), "overflows");
}

// ---------------------------------------------------------------- GET_OK

TEST_CASE("GET_OK round-trips") {
    round_trip(GetOk{0, std::nullopt, 0, 0});
    round_trip(GetOk{100, std::nullopt, 0, 100});
    round_trip(GetOk{100, std::nullopt, 60, 40});
    round_trip(GetOk{100, test_root(), 100, 0});
    round_trip(GetOk{100, test_root(), 10, 20});
    round_trip(GetOk{0xFFFFFFFFFFFFFFFFULL, std::nullopt, 0, 0xFFFFFFFFFFFFFFFFULL});
    round_trip(GetOk{0xFFFFFFFFFFFFFFFFULL, std::nullopt, 0xFFFFFFFFFFFFFFFFULL, 0});
    check_truncated_and_trailing(GetOk{5, std::nullopt, 2, 3});
    check_truncated_and_trailing(GetOk{5, test_root(), 2, 3});
}

TEST_CASE("GET_OK layout: size, root, offset, length") {
    CHECK(hex(encode_message(GetOk{5, std::nullopt, 2, 3})) ==
          "0000001b" "0202" "0000000000000005" "00" "0000000000000002" "0000000000000003");
    CHECK(hex(encode_message(GetOk{5, test_root(), 2, 3})) ==
          "0000003b" "0202" "0000000000000005" "20" + hex(test_root()) + "0000000000000002" "0000000000000003");
}

TEST_CASE("GET_OK refuses a range past the file size") {
    check_refused<GetOk>(payload_of(GetOk{100, std::nullopt, 0, 101}), "exceeds the file size");
    check_refused<GetOk>(payload_of(GetOk{0, std::nullopt, 0, 1}), "exceeds the file size");
    check_refused<GetOk>(payload_of(GetOk{100, std::nullopt, 60, 41}), "exceeds the file size");
    check_refused<GetOk>(payload_of(GetOk{100, std::nullopt, 101, 0}), "exceeds the file size");
    // Where offset + length wraps around 64 bits: still past the size.
    check_refused<GetOk>(payload_of(GetOk{100, test_root(), 50, 0xFFFFFFFFFFFFFFFFULL}), "exceeds the file size");
    check_refused<GetOk>(payload_of(GetOk{100, test_root(), 0xFFFFFFFFFFFFFFFFULL, 2}), "exceeds the file size");
}

TEST_CASE("GET_OK root: none or 32 bytes, nothing else") {
    check_root_lengths_refused(GetOk{5, test_root(), 2, 3}, test_root());
}

// ---------------------------------------------------------------- GET_HASHES

TEST_CASE("GET_HASHES round-trips") {
    round_trip(GetHashes{0, "x", test_root(), 0, 1});
    round_trip(GetHashes{0xFFFFFFFFFFFFFFFFULL, std::string(max_file_name, 'n'), test_root(0xF0),
                         0xFFFFFFFFFFFFFFFFULL, max_hashes_per_reply});
    GetHashes back = round_trip(GetHashes{7, "\xff\xfe.bin", test_root(3), 16, 100});
    CHECK(back.root == test_root(3));
    CHECK(back.name == "\xff\xfe.bin");
    check_truncated_and_trailing(GetHashes{7, "a.bin", test_root(), 16, 100});
}

TEST_CASE("GET_HASHES layout: the root is 32 raw bytes, no length") {
    CHECK(hex(encode_message(GetHashes{1, "x", test_root(), 2, 3})) ==
          "00000038" "0203" "0000000000000001" "0178" + hex(test_root()) + "0000000000000002" "00000003");
}

TEST_CASE("GET_HASHES asks for 1..max_hashes_per_reply blocks") {
    CHECK(max_hashes_per_reply == 16384);
    round_trip(GetHashes{1, "x", test_root(), 0, 1});
    round_trip(GetHashes{1, "x", test_root(), 0, 16384});
    check_refused<GetHashes>(payload_of(GetHashes{1, "x", test_root(), 0, 0}), "block count 0 is not within 1..16384");
    check_refused<GetHashes>(payload_of(GetHashes{1, "x", test_root(), 0, 16385}), "block count 16385");
    check_refused<GetHashes>(payload_of(GetHashes{1, "x", test_root(), 0, 0xFFFFFFFF}), "block count 4294967295");
}

TEST_CASE("GET_HASHES refuses unsafe names") {
    for (std::string bad : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                            std::string("a\0b", 3)}) {
        CAPTURE(bad);
        check_refused<GetHashes>(payload_of(GetHashes{1, bad, test_root(), 0, 1}), "file name");
    }
}

// ---------------------------------------------------------------- HASHES

TEST_CASE("HASHES round-trips") {
    round_trip(Hashes{test_root(), 0, 0, leaves(1)});  // an empty file is one block
    round_trip(Hashes{test_root(), 5, 0, leaves(1)});
    round_trip(Hashes{test_root(), blocks_of(3) + 1, 1, leaves(3)});
    round_trip(Hashes{test_root(), blocks_of(3) + 1, 3, leaves(1)});
    // Fewer than the file has past first, and none when first is past the end.
    round_trip(Hashes{test_root(), blocks_of(10), 2, leaves(4)});
    round_trip(Hashes{test_root(), blocks_of(10), 10, {}});
    round_trip(Hashes{test_root(), 0, 0xFFFFFFFFFFFFFFFFULL, {}});
    Hashes back = round_trip(Hashes{test_root(0x10), blocks_of(2), 0, leaves(2)});
    CHECK(back.leaves == leaves(2));
    check_truncated_and_trailing(Hashes{test_root(), blocks_of(3), 0, leaves(3)});
    check_truncated_and_trailing(Hashes{test_root(), 1, 1, {}});
}

TEST_CASE("HASHES layout: root, size, first, u32 count, the leaves") {
    CHECK(hex(encode_message(Hashes{test_root(), 7, 0, leaves(1)})) ==
          "00000056" "0204" + hex(test_root()) + "0000000000000007" "0000000000000000" "00000001" +
              hex(leaves(1)[0]));
    CHECK(hex(encode_message(Hashes{test_root(), 7, 1, {}})) ==
          "00000036" "0204" + hex(test_root()) + "0000000000000007" "0000000000000001" "00000000");
}

TEST_CASE("HASHES carries at most max_hashes_per_reply leaves") {
    std::uint64_t size = blocks_of(max_hashes_per_reply + 1);
    Hashes full = round_trip(Hashes{test_root(), size, 0, leaves(max_hashes_per_reply)});
    CHECK(full.leaves.size() == max_hashes_per_reply);
    check_refused<Hashes>(hashes_payload(size, 0, max_hashes_per_reply + 1, max_hashes_per_reply + 1),
                          "block count 16385 exceeds 16384");
    check_refused<Hashes>(hashes_payload(size, 0, 0xFFFFFFFF, 0), "block count 4294967295 exceeds 16384");
}

TEST_CASE("HASHES refuses more leaves than the file has blocks past first") {
    SUBCASE("a file of 2 blocks") {
        std::uint64_t size = blocks_of(1) + 1;
        round_trip(Hashes{test_root(), size, 0, leaves(2)});
        round_trip(Hashes{test_root(), size, 1, leaves(1)});
        check_refused<Hashes>(payload_of(Hashes{test_root(), size, 0, leaves(3)}), "more block hashes");
        check_refused<Hashes>(payload_of(Hashes{test_root(), size, 1, leaves(2)}), "more block hashes");
        check_refused<Hashes>(payload_of(Hashes{test_root(), size, 2, leaves(1)}), "more block hashes");
        check_refused<Hashes>(payload_of(Hashes{test_root(), size, 0xFFFFFFFFFFFFFFFFULL, leaves(1)}),
                              "more block hashes");
    }
    SUBCASE("an empty file and a file of exactly one block have one") {
        for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1}, blocks_of(1)}) {
            CAPTURE(size);
            round_trip(Hashes{test_root(), size, 0, leaves(1)});
            check_refused<Hashes>(payload_of(Hashes{test_root(), size, 0, leaves(2)}), "more block hashes");
            check_refused<Hashes>(payload_of(Hashes{test_root(), size, 1, leaves(1)}), "more block hashes");
        }
    }
}

TEST_CASE("HASHES refuses a count larger than the frame holds") {
    check_refused<Hashes>(hashes_payload(blocks_of(10), 0, 2, 1), "block count 2 exceeds what the frame holds");
    check_refused<Hashes>(hashes_payload(blocks_of(100), 0, 100, 0), "exceeds what the frame holds");
    // A leaf one byte short.
    Bytes short_leaf = hashes_payload(blocks_of(10), 0, 1, 1);
    short_leaf.pop_back();
    check_refused<Hashes>(short_leaf, "exceeds what the frame holds");
}

// ---------------------------------------------------------------- garbage

TEST_CASE("mutated transfer messages never crash and decode only canonically") {
    std::vector<Bytes> seeds = {
        payload_of(Get{1, "bob", 2, "name.txt", std::nullopt, 3, 0}),
        payload_of(Get{1, "bob", 2, "name.txt", test_root(), 3, 10}),
        payload_of(GetOk{10, std::nullopt, 0, 4}),
        payload_of(GetOk{10, test_root(), 2, 4}),
        payload_of(GetHashes{1, "name.txt", test_root(), 0, 2}),
        payload_of(Hashes{test_root(), blocks_of(2), 0, leaves(2)}),
    };
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
            CHECK(ok->offset <= ok->size);
            CHECK(ok->length <= ok->size - ok->offset);
        }
        if (auto get_hashes = decode_message<GetHashes>(m)) {
            CHECK(payload_of(*get_hashes) == m);
            CHECK(get_hashes->count >= 1);
            CHECK(get_hashes->count <= max_hashes_per_reply);
        }
        if (auto hashes = decode_message<Hashes>(m)) {
            CHECK(payload_of(*hashes) == m);
            CHECK(hashes->leaves.size() <= max_hashes_per_reply);
        }
    }
}
