// SPDX-License-Identifier: MIT
// The index channel's messages (index_messages.*). Payloads under test are
// copied into buffers of exactly their size so that AddressSanitizer sees
// any read past the end.
#include <doctest/doctest.h>

#include "codec_test_support.h"

#include "protocol/index_messages.h"
#include "protocol/name_rules.h"
#include "util/path_text.h"
#include "util/text.h"

#include <string>
#include <vector>

using namespace napster;
using namespace napster::protocol;
using namespace napster::codec_test;

namespace {

FileEntry file(std::uint64_t id, std::string rel_path, std::uint64_t size = 100, RootHash root = std::nullopt) {
    std::string name(base_name(rel_path));
    return FileEntry{id, size, name, std::move(rel_path), root};
}

// A FILES_ADD payload holding one entry, written field by field so that
// the decoder's checks (not the encoder's) are what is tested.
Bytes files_add_payload(const std::string& name, const std::string& rel_path, const RootHash& root = std::nullopt) {
    Bytes out;
    ByteWriter w(out);
    w.u32(1);
    w.u64(1);
    w.u64(1);
    w.str8(name);
    w.str16(rel_path);
    write_root(w, root);
    return out;
}

// A holder whose name for the file is `name`.
Holder holder(std::uint32_t id, std::string name) {
    return Holder{id,
                  "peer" + std::to_string(id),
                  "192.0.2." + std::to_string(id % 250),
                  static_cast<std::uint16_t>(6000 + id),
                  id * 10ULL,
                  std::move(name)};
}

// A hit of these holders, each naming the file as the hit does (as a hit
// without a root must).
SearchHit hit(std::string name, std::uint64_t size, std::uint32_t holder_total,
              std::initializer_list<std::uint32_t> holder_ids, RootHash root = std::nullopt) {
    SearchHit out{name, size, root, holder_total, {}};
    for (std::uint32_t id : holder_ids) out.holders.push_back(holder(id, name));
    return out;
}

const std::string non_utf8_name("\xff\xfe-not-utf8\x80.bin");

} // namespace

// ---------------------------------------------------------------- REGISTER

TEST_CASE("REGISTER and REGISTERED round-trip") {
    round_trip(RegisterPeer{"alice", 6020});
    round_trip(RegisterPeer{std::string(max_peer_name, 'p'), 65535});
    round_trip(RegisterPeer{"\xff\xfe", 1});
    round_trip(Registered{0});
    round_trip(Registered{0xFFFFFFFF});
    check_truncated_and_trailing(RegisterPeer{"alice", 6020});
    check_truncated_and_trailing(Registered{17});
}

TEST_CASE("REGISTER refuses an empty or over-long name and port 0") {
    check_refused<RegisterPeer>(payload_of(RegisterPeer{"", 6020}), "empty");
    check_refused<RegisterPeer>(payload_of(RegisterPeer{std::string(max_peer_name + 1, 'p'), 6020}), "at most 64");
    check_refused<RegisterPeer>(payload_of(RegisterPeer{"alice", 0}), "port");
}

// ---------------------------------------------------------------- FILES_ADD

TEST_CASE("FILES_ADD round-trips") {
    round_trip(FilesAdd{{file(1, "a.txt")}});
    round_trip(FilesAdd{{file(0, "dir/sub/b.mp3", 0, test_root(0xE0)),
                         file(0xFFFFFFFFFFFFFFFFULL, "c", 0xFFFFFFFFFFFFFFFFULL)}});
    FilesAdd back = round_trip(FilesAdd{{file(1, "a", 1, test_root())}});
    CHECK(back.files[0].root == test_root());
    check_truncated_and_trailing(FilesAdd{{file(1, "a.txt", 5, test_root()), file(2, "d/b", 6)}});
    check_truncated_and_trailing(FilesAdd{{file(2, "d/b", 6)}});
}

TEST_CASE("FILES_ADD layout: the root field ends each entry") {
    // count, file_id, size, str8 name, str16 rel_path, root (str8 of 0 or 32)
    CHECK(hex(encode_message(FilesAdd{{FileEntry{1, 2, "a", "d/a", std::nullopt}}})) ==
          "0000001e" "0103" "00000001" "0000000000000001" "0000000000000002" "0161" "0003642f61" "00");
    CHECK(hex(encode_message(FilesAdd{{FileEntry{1, 2, "a", "d/a", test_root()}}})) ==
          "0000003e" "0103" "00000001" "0000000000000001" "0000000000000002" "0161" "0003642f61"
          "20" + hex(test_root()));
}

TEST_CASE("FILES_ADD keeps non-UTF-8 names byte-exact") {
    FilesAdd m{{file(9, "dir\xc3\x28/" + non_utf8_name)}};
    FilesAdd back = round_trip(m);
    REQUIRE(back.files.size() == 1);
    CHECK(back.files[0].name == non_utf8_name);
    CHECK(back.files[0].name.size() == non_utf8_name.size());
    CHECK(hex_encode(back.files[0].name) == hex_encode(non_utf8_name));
}

TEST_CASE("FILES_ADD name limits are exact") {
    std::string name255(max_file_name, 'n');
    SUBCASE("255-byte name is accepted") {
        FilesAdd back = round_trip(FilesAdd{{file(1, "d/" + name255)}});
        CHECK(back.files[0].name.size() == 255);
    }
    SUBCASE("256-byte name cannot be carried") {
        // str8 cannot say 256; the decoder must not accept what such an
        // encoding turns into as some other file.
        FilesAdd m{{FileEntry{1, 1, name255 + "x", "d/" + name255 + "x", std::nullopt}}};
        CHECK_FALSE(decode_message<FilesAdd>(payload_of(m)).ok());
    }
    SUBCASE("empty name is refused") { check_refused<FilesAdd>(files_add_payload("", "d/"), "empty"); }
    SUBCASE("'/' in the name is refused") { check_refused<FilesAdd>(files_add_payload("a/b", "a/b"), "'/'"); }
    SUBCASE("NUL in the name is refused") {
        std::string nul("a\0b", 3);
        check_refused<FilesAdd>(files_add_payload(nul, nul), "NUL");
    }
    SUBCASE("'.' and '..' are refused") {
        check_refused<FilesAdd>(files_add_payload(".", "."), "not allowed");
        check_refused<FilesAdd>(files_add_payload("..", ".."), "not allowed");
        check_refused<FilesAdd>(files_add_payload("..", "d/.."), "not allowed");
    }
    SUBCASE("names that merely contain dots are fine") {
        round_trip(FilesAdd{{file(1, "..."), file(2, ".hidden"), file(3, "..a")}});
    }
}

TEST_CASE("FILES_ADD relative path rules") {
    SUBCASE("last component must be the name") {
        check_refused<FilesAdd>(files_add_payload("a", "dir/b"), "last component");
        check_refused<FilesAdd>(files_add_payload("a", "a/b"), "last component");
        check_refused<FilesAdd>(files_add_payload("b", "dir/ab"), "last component");
    }
    SUBCASE("absolute and escaping paths are refused") {
        check_refused<FilesAdd>(files_add_payload("a", "/a"), "absolute");
        check_refused<FilesAdd>(files_add_payload("a", "../a"), "not allowed");
        check_refused<FilesAdd>(files_add_payload("a", "x/../a"), "not allowed");
        check_refused<FilesAdd>(files_add_payload("a", "./a"), "not allowed");
        check_refused<FilesAdd>(files_add_payload("a", "x//a"), "empty");
        // The root fills the entry out to its smallest size, so that the path
        // check, not the count check, is what refuses it.
        check_refused<FilesAdd>(files_add_payload("a", "", test_root()), "path is empty");
        CHECK_FALSE(decode_message<FilesAdd>(files_add_payload("a", "")).ok());
        check_refused<FilesAdd>(files_add_payload("a", std::string("x\0/a", 4)), "NUL");
    }
    SUBCASE("4096-byte path accepted, 4097 refused") {
        std::string name(200, 'n');
        std::string path;
        while (path.size() + name.size() < max_rel_path) path += "d/";
        path += name;
        REQUIRE(path.size() == max_rel_path);
        REQUIRE_FALSE(relative_path_problem(path));
        round_trip(FilesAdd{{file(1, path)}});
        check_refused<FilesAdd>(files_add_payload(name, "d" + path), "at most 4096");
    }
}

TEST_CASE("FILES_ADD root: none or 32 bytes, nothing else") {
    round_trip(FilesAdd{{file(1, "a", 1, test_root())}});
    round_trip(FilesAdd{{file(1, "a", 1)}});
    check_root_lengths_refused(FilesAdd{{file(1, "a", 1, test_root())}}, test_root());
    // The second entry's root, after a good first entry.
    check_root_lengths_refused(FilesAdd{{file(1, "a", 1), file(2, "b", 2, test_root(0x40))}}, test_root(0x40));
}

TEST_CASE("FILES_ADD batch counts") {
    SUBCASE("count 0 is refused") {
        Bytes zero;
        ByteWriter w(zero);
        w.u32(0);
        check_refused<FilesAdd>(zero, "count 0");
    }
    SUBCASE("max_batch_files is accepted, one more refused") {
        FilesAdd full;
        for (std::uint32_t i = 0; i < max_batch_files; ++i) full.files.push_back(file(i, "f" + std::to_string(i)));
        FilesAdd back = round_trip(full);
        CHECK(back.files.size() == max_batch_files);
        full.files.push_back(file(max_batch_files, "last"));
        check_refused<FilesAdd>(payload_of(full), "4097");
    }
    SUBCASE("a count larger than the bytes left is refused before any entry is read") {
        Bytes one = payload_of(FilesAdd{{file(1, "a")}});
        // Claim 4096 entries; only one follows.
        one[0] = std::byte{0};
        one[1] = std::byte{0};
        one[2] = std::byte{0x10};
        one[3] = std::byte{0};
        check_refused<FilesAdd>(one, "exceeds what the frame holds");
        // Two claimed, one present with exactly 22+ bytes: refused as well.
        Bytes two = payload_of(FilesAdd{{file(1, "a")}});
        two[3] = std::byte{2};
        CHECK_FALSE(decode_message<FilesAdd>(two).ok());
    }
    SUBCASE("a huge count with no entries") {
        Bytes huge;
        ByteWriter w(huge);
        w.u32(0xFFFFFFFF);
        check_refused<FilesAdd>(huge, "file count");
    }
}

// ---------------------------------------------------------------- FILES_REMOVE

TEST_CASE("FILES_REMOVE round-trips") {
    round_trip(FilesRemove{{1}});
    round_trip(FilesRemove{{0, 0xFFFFFFFFFFFFFFFFULL, 7, 7}});
    check_truncated_and_trailing(FilesRemove{{1, 2, 3}});
}

TEST_CASE("FILES_REMOVE batch counts") {
    Bytes zero;
    ByteWriter w(zero);
    w.u32(0);
    check_refused<FilesRemove>(zero, "count 0");

    FilesRemove full;
    for (std::uint64_t i = 0; i < max_batch_files; ++i) full.file_ids.push_back(i);
    CHECK(round_trip(full).file_ids.size() == max_batch_files);
    full.file_ids.push_back(99);
    check_refused<FilesRemove>(payload_of(full), "4097");

    Bytes short_list = payload_of(FilesRemove{{1, 2}});
    short_list[3] = std::byte{100};
    check_refused<FilesRemove>(short_list, "exceeds what the frame holds");
}

// ---------------------------------------------------------------- SEARCH

TEST_CASE("SEARCH encodes as documented in napster-protocol(7)") {
    Bytes frame = encode_message(Search{1, 0, 0, "file8_3", std::nullopt});
    CHECK(hex(frame) ==
          "00000013" "0110" "00000001" "00" "0000" "0007" "66696c65385f33" "00");
    Bytes exact = encode_message(Search{0x2A, search_flag_exact, 10, "a b", std::nullopt});
    CHECK(hex(exact) == "0000000f" "0110" "0000002a" "01" "000a" "0003" "612062" "00");
    // By content: the query empty, the root after it.
    Bytes by_root = encode_message(Search{3, 0, 5, "", test_root()});
    CHECK(hex(by_root) == "0000002c" "0110" "00000003" "00" "0005" "0000" "20" + hex(test_root()));
}

TEST_CASE("SEARCH round-trips") {
    round_trip(Search{1, 0, 0, "file8_3", std::nullopt});
    Search exact = round_trip(Search{0xFFFFFFFF, search_flag_exact, 0xFFFF, non_utf8_name, std::nullopt});
    CHECK(exact.exact());
    CHECK_FALSE(Search{1, 0, 0, "x", std::nullopt}.exact());
    Search by_root = round_trip(Search{2, 0, 0, "", test_root(7)});
    CHECK(by_root.root == test_root(7));
    CHECK(by_root.query.empty());
    round_trip(Search{2, search_flag_exact, 9, "", test_root()});
    check_truncated_and_trailing(Search{5, 1, 3, "abc def", std::nullopt});
    check_truncated_and_trailing(Search{5, 0, 3, "", test_root()});
}

TEST_CASE("SEARCH query limits are exact") {
    round_trip(Search{1, 0, 0, std::string(max_query, 'q'), std::nullopt});
    check_refused<Search>(payload_of(Search{1, 0, 0, std::string(max_query + 1, 'q'), std::nullopt}),
                          "at most 1024");
}

TEST_CASE("SEARCH has a query or a root, never both, never neither") {
    check_refused<Search>(payload_of(Search{1, 0, 0, "", std::nullopt}), "query is empty and no root");
    check_refused<Search>(payload_of(Search{1, 0, 0, "q", test_root()}), "both a query and a root");
    check_refused<Search>(payload_of(Search{1, 0, 0, std::string(max_query, 'q'), test_root()}), "both");
}

TEST_CASE("SEARCH root: none or 32 bytes, nothing else") {
    check_root_lengths_refused(Search{1, 0, 0, "", test_root()}, test_root());
}

TEST_CASE("SEARCH refuses reserved flags") {
    for (unsigned flags = 2; flags <= 0xFF; ++flags) {
        CAPTURE(flags);
        check_refused<Search>(payload_of(Search{1, static_cast<std::uint8_t>(flags), 0, "q", std::nullopt}),
                              "reserved");
    }
}

// ---------------------------------------------------------------- SEARCH_RESULT

TEST_CASE("SEARCH_RESULT layout: a root after the size, a name ending each holder") {
    // request id, total, flags, hit count; name, size, root, holder total,
    // holder count; per holder peer id, peer name, address, port, file id,
    // name.
    const char* head = "00000009" "00000001" "00" "0001" "0161" "0000000000000005";
    const char* holder_head = "00000001" "0001" "00000003" "0170" "033a3a31" "1784" "0000000000000007";
    SearchHit by_name{"a", 5, std::nullopt, 1, {Holder{3, "p", "::1", 6020, 7, "a"}}};
    CHECK(hex(encode_message(SearchResult{9, 1, {by_name}})) ==
          std::string("00000034" "0111") + head + "00" + holder_head + "0161");
    SearchHit by_root{"a", 5, test_root(), 1, {Holder{3, "p", "::1", 6020, 7, "b"}}};
    CHECK(hex(encode_message(SearchResult{9, 1, {by_root}})) ==
          std::string("00000054" "0111") + head + "20" + hex(test_root()) + holder_head + "0162");
}

TEST_CASE("SEARCH_RESULT round-trips") {
    round_trip(SearchResult{7, 0, {}});
    round_trip(SearchResult{7, 1000, {}});
    SearchResult m{9, 4, {}};
    m.hits.push_back(hit("file8_3.txt", 1234, 1, {1}));
    m.hits.push_back(hit(non_utf8_name, 0, 40, {2, 3}));
    m.hits.push_back(hit("empty holders", 5, 0, {}));
    // A hit by content: its holders may call the file what they like.
    m.hits.push_back(hit("a.bin", 77, 2, {4, 5}, test_root()));
    m.hits[1].holders[0].address = "2001:db8::1";
    m.hits[1].holders[1].peer_name = "";
    m.hits[3].holders[1].name = "copy of a.bin";
    SearchResult back = round_trip(m);
    CHECK(back.hits[1].name == non_utf8_name);
    CHECK(back.hits[3].root == test_root());
    CHECK(back.hits[3].holders[1].name == "copy of a.bin");
    CHECK_FALSE(back.hits[0].root.has_value());
    check_truncated_and_trailing(m);
}

TEST_CASE("SEARCH_RESULT holder names") {
    SUBCASE("in a hit without a root every holder's name is the hit's") {
        SearchHit h = hit("same.txt", 1, 2, {1, 2});
        round_trip(SearchResult{1, 1, {h}});
        h.holders[1].name = "other.txt";
        check_refused<SearchResult>(payload_of(SearchResult{1, 1, {h}}), "holder's name differs");
        // Not even a difference of case.
        h.holders[1].name = "SAME.TXT";
        check_refused<SearchResult>(payload_of(SearchResult{1, 1, {h}}), "holder's name differs");
    }
    SUBCASE("a holder's name is a safe file name, with a root or without") {
        for (std::string bad : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                                std::string("a\0b", 3)}) {
            CAPTURE(bad);
            SearchHit h = hit("x", 1, 1, {1}, test_root());
            h.holders[0].name = bad;
            // The refusal reads "file name ..." as for the hit's name (which
            // is fine here): only the holder's can be at fault.
            check_refused<SearchResult>(payload_of(SearchResult{1, 1, {h}}), "file name");
        }
    }
    SUBCASE("255 bytes are accepted") {
        SearchHit h = hit("x", 1, 1, {1}, test_root());
        h.holders[0].name = std::string(max_file_name, 'n');
        round_trip(SearchResult{1, 1, {h}});
    }
}

TEST_CASE("SEARCH_RESULT root: none or 32 bytes, nothing else") {
    check_root_lengths_refused(SearchResult{1, 1, {hit("x", 1, 1, {1}, test_root())}}, test_root());
    // The second hit's root, after a hit without one.
    check_root_lengths_refused(SearchResult{1, 2, {hit("x", 1, 1, {1}), hit("y", 2, 1, {2}, test_root(0x80))}},
                               test_root(0x80));
}

TEST_CASE("SEARCH_RESULT holder caps") {
    SearchHit capped{"x", 1, std::nullopt, max_holders_per_result, {}};
    for (std::uint32_t i = 0; i < max_holders_per_result; ++i) capped.holders.push_back(holder(i, "x"));
    round_trip(SearchResult{1, 1, {capped}});

    SUBCASE("holder_total may exceed the holders sent") {
        capped.holder_total = 100000;
        round_trip(SearchResult{1, 1, {capped}});
    }
    SUBCASE("more than max_holders_per_result holders are refused") {
        capped.holders.push_back(holder(99, "x"));
        capped.holder_total = max_holders_per_result + 1;
        check_refused<SearchResult>(payload_of(SearchResult{1, 1, {capped}}), "holder count 33");
    }
    SUBCASE("holder_total below the holders sent is refused") {
        capped.holder_total = max_holders_per_result - 1;
        check_refused<SearchResult>(payload_of(SearchResult{1, 1, {capped}}), "holder total");
    }
}

TEST_CASE("SEARCH_RESULT total_matches may exceed the hits but not fall below") {
    SearchHit one = hit("x", 1, 1, {1});
    round_trip(SearchResult{1, 50, {one, one}});
    check_refused<SearchResult>(payload_of(SearchResult{1, 1, {one, one}}), "total matches");
}

TEST_CASE("SEARCH_RESULT refuses bad hit names") {
    for (std::string bad : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                            std::string("a\0b", 3)}) {
        CAPTURE(bad);
        for (RootHash root : {RootHash{}, RootHash{test_root()}}) {
            SearchResult m{1, 1, {SearchHit{bad, 1, root, 0, {}}}};
            CHECK_FALSE(decode_message<SearchResult>(payload_of(m)).ok());
        }
    }
}

TEST_CASE("SEARCH_RESULT refuses over-long holder fields") {
    SearchHit h = hit("x", 1, 1, {1});
    h.holders[0].peer_name = std::string(max_peer_name + 1, 'p');
    check_refused<SearchResult>(payload_of(SearchResult{1, 1, {h}}), "peer name");
    h = hit("x", 1, 1, {1});
    h.holders[0].address = std::string(max_address_text + 1, '1');
    check_refused<SearchResult>(payload_of(SearchResult{1, 1, {h}}), "address");
    h.holders[0].address = std::string(max_address_text, '1');
    round_trip(SearchResult{1, 1, {h}});
}

TEST_CASE("SEARCH_RESULT counts larger than the bytes left are refused") {
    SUBCASE("hit count") {
        Bytes b;
        ByteWriter w(b);
        w.u32(1);
        w.u32(0xFFFF);
        w.u8(0);
        w.u16(0xFFFF);
        check_refused<SearchResult>(b, "exceeds what the frame holds");
    }
    SUBCASE("holder count") {
        Bytes b;
        ByteWriter w(b);
        w.u32(1);
        w.u32(1);
        w.u8(0);
        w.u16(1);
        w.str8("x");
        w.u64(1);
        write_root(w, std::nullopt);
        w.u32(30);
        w.u16(30);
        check_refused<SearchResult>(b, "exceeds what the frame holds");
    }
    SUBCASE("one holder claimed, a holder one byte short of the smallest follows") {
        // peer id, empty peer name, empty address, port, file id, a name of
        // one byte: 18 bytes; one fewer cannot be a holder.
        Bytes b = payload_of(SearchResult{1, 1, {SearchHit{"x", 1, std::nullopt, 1, {Holder{1, "", "", 1, 1, "x"}}}}});
        round_trip(*decode_message<SearchResult>(b));
        b.pop_back();
        check_refused<SearchResult>(b, "exceeds what the frame holds");
    }
}

TEST_CASE("encoded_size matches what a hit adds to SEARCH_RESULT") {
    SearchHit small = hit("a", 1, 0, {});
    SearchHit big = hit(non_utf8_name, 99, 5, {1, 2, 3});
    big.holders[2].address = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff";
    SearchHit by_root = hit("r", 7, 2, {4, 5}, test_root());
    by_root.holders[1].name = std::string(max_file_name, 'n');
    std::size_t empty = payload_of(SearchResult{1, 0, {}}).size();
    CHECK(payload_of(SearchResult{1, 1, {small}}).size() == empty + encoded_size(small));
    CHECK(payload_of(SearchResult{1, 2, {small, big}}).size() == empty + encoded_size(small) + encoded_size(big));
    CHECK(payload_of(SearchResult{1, 1, {by_root}}).size() == empty + encoded_size(by_root));
}

// ---------------------------------------------------------------- file entries

TEST_CASE("write_file_entry and read_file_entry are inverse") {
    for (RootHash root : {RootHash{}, RootHash{test_root(0x33)}}) {
        FileEntry f = file(77, "x/y/" + non_utf8_name, 123456789, root);
        Bytes b;
        ByteWriter w(b);
        write_file_entry(w, f);
        CHECK(b.size() == 8 + 8 + 1 + f.name.size() + 2 + f.rel_path.size() + root_size(root));
        ByteReader r(b);
        FileEntry back = read_file_entry(r);
        CHECK(r.ok());
        CHECK(r.remaining() == 0);
        CHECK(back == f);
    }
}

// ---------------------------------------------------------------- garbage

TEST_CASE("mutated index messages never crash and decode only canonically") {
    std::vector<Bytes> seeds = {
        payload_of(RegisterPeer{"alice", 6020}),
        payload_of(FilesAdd{{file(1, "a/b.txt", 3, test_root()), file(2, "c")}}),
        payload_of(FilesRemove{{1, 2}}),
        payload_of(Search{1, 1, 4, "query words", std::nullopt}),
        payload_of(Search{1, 0, 4, "", test_root()}),
        payload_of(SearchResult{1, 3, {hit("n", 1, 2, {1, 2}), hit("m", 2, 0, {}), hit("r", 3, 1, {3}, test_root())}}),
    };
    Rng rng{0x1DE7};
    for (int iteration = 0; iteration < 20000; ++iteration) {
        Bytes m = seeds[rng.below(seeds.size())];
        for (std::size_t e = 0, edits = 1 + rng.below(3); e < edits; ++e) {
            if (m.empty()) break;
            std::size_t at = rng.below(m.size());
            switch (rng.below(5)) {
            case 0: m[at] = rng.byte(); break;
            case 1: m[at] = std::byte{static_cast<std::uint8_t>(std::to_integer<unsigned>(m[at]) + 1)}; break;
            case 2: m[at] = std::byte{static_cast<std::uint8_t>(std::to_integer<unsigned>(m[at]) - 1)}; break;
            case 3: m.resize(at); break;
            case 4: m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), rng.byte()); break;
            }
        }
        Bytes exact = m;
        auto check = [&exact](auto decoded) {
            if (decoded) CHECK(payload_of(*decoded) == exact);
        };
        check(decode_message<RegisterPeer>(exact));
        check(decode_message<Registered>(exact));
        check(decode_message<FilesAdd>(exact));
        check(decode_message<FilesRemove>(exact));
        check(decode_message<Search>(exact));
        check(decode_message<SearchResult>(exact));
    }
}

TEST_CASE("SEARCH_RESULT flags: a lower-bound total, and no reserved bit") {
    SearchResult capped{4, 20000, {}, true};
    Bytes payload = payload_of(capped);
    REQUIRE(payload.size() == 11);
    CHECK(payload[8] == std::byte{0x01});
    round_trip(capped);
    for (unsigned bit = 1; bit < 8; ++bit) {
        Bytes bad = payload;
        bad[8] = std::byte{static_cast<std::uint8_t>(1u << bit)};
        check_refused<SearchResult>(bad, "reserved result flags are set");
    }
}
