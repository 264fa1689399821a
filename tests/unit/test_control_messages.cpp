// SPDX-License-Identifier: MIT
// The control channel's messages (control_messages.*). Payloads under test
// are copied into buffers of exactly their size so that AddressSanitizer
// sees any read past the end.
#include <doctest/doctest.h>

#include "codec_test_support.h"

#include "protocol/control_messages.h"
#include "util/text.h"

#include <string>
#include <vector>

using namespace napster;
using namespace napster::protocol;
using namespace napster::codec_test;

namespace {

FileEntry file(std::uint64_t id, std::string name) {
    return FileEntry{id, id * 100, name, "share/" + name, std::nullopt};
}

StatusResult full_status() {
    StatusResult s;
    s.name = "alice";
    s.index_state = IndexState::connected;
    s.peer_id = 17;
    s.index_address = "127.0.0.1:5015";
    s.reconnect_in_ms = 2500;
    s.last_error = "connection refused";
    s.upload_address = "[::]:6020";
    s.share_dirs = {"/srv/napster/share", "/home/alice/\xff\xfe"};
    s.download_dir = "/srv/napster/downloads";
    s.file_count = 12408;
    s.total_bytes = 0xFFFFFFFFFFFFULL;
    s.uploads_active = 2;
    s.downloads_active = 1;
    s.uploads_done = 99;
    s.downloads_done = 98;
    s.uptime_seconds = 86400;
    s.watch_state = WatchState::rescans;
    s.watched_dirs = 1000;
    s.rescan_interval = 300;
    s.hash_files_left = 3;
    s.hash_bytes_left = 0x0102030405060708ULL;
    return s;
}

} // namespace

// ---------------------------------------------------------------- FETCH

TEST_CASE("FETCH round-trips") {
    round_trip(Fetch{"file8_3.txt", std::nullopt, "", std::nullopt});
    round_trip(Fetch{"file8_3.txt", 0u, "", std::nullopt});
    round_trip(Fetch{"file8_3.txt", 0xFFFFFFFFu, "/tmp/out", std::nullopt, true});
    round_trip(Fetch{std::string(max_file_name, 'n'), 3u, "/" + std::string(max_dir_path - 1, 'd'), test_root(), true});
    // By content: a name to save under, or none.
    Fetch by_root = round_trip(Fetch{"", std::nullopt, "", test_root(4)});
    CHECK(by_root.root == test_root(4));
    CHECK(by_root.name.empty());
    round_trip(Fetch{"saved.bin", 2u, "/tmp", test_root(), true});
    check_truncated_and_trailing(Fetch{"x", 7u, "/tmp", std::nullopt, true});
    check_truncated_and_trailing(Fetch{"x", std::nullopt, "", std::nullopt});
    check_truncated_and_trailing(Fetch{"", 7u, "/tmp", test_root(), true});
}

TEST_CASE("FETCH layout: the root, then the output fd flag, at the end") {
    CHECK(hex(encode_message(Fetch{"ab", 5u, "/t", std::nullopt, true})) ==
          "00000010" "0301" "026162" "01" "00000005" "00022f74" "00" "01");
    CHECK(hex(encode_message(Fetch{"ab", std::nullopt, "", std::nullopt})) ==
          "0000000e" "0301" "026162" "00" "00000000" "0000" "00" "00");
    CHECK(hex(encode_message(Fetch{"", std::nullopt, "", test_root()})) ==
          "0000002c" "0301" "00" "00" "00000000" "0000" "20" + hex(test_root()) + "00");
}

TEST_CASE("FETCH keeps non-UTF-8 names byte-exact") {
    std::string name("\xff\xfe\xc3\x28", 4);
    Fetch back = round_trip(Fetch{name, std::nullopt, "", std::nullopt});
    CHECK(hex_encode(back.name) == "fffec328");
}

TEST_CASE("FETCH refuses unsafe names, with a root or without") {
    for (RootHash root : {RootHash{}, RootHash{test_root()}}) {
        for (std::string bad : {std::string("."), std::string(".."), std::string("a/b"), std::string("a\0b", 3)}) {
            CAPTURE(bad);
            check_refused<Fetch>(payload_of(Fetch{bad, std::nullopt, "", root}), "file name");
        }
        CHECK_FALSE(
            decode_message<Fetch>(payload_of(Fetch{std::string(max_file_name + 1, 'n'), std::nullopt, "", root}))
                .ok());
    }
}

TEST_CASE("FETCH may leave the name empty only with a root") {
    round_trip(Fetch{"", std::nullopt, "", test_root()});
    check_refused<Fetch>(payload_of(Fetch{"", std::nullopt, "", std::nullopt}),
                         "file name is empty and no root is given");
    check_refused<Fetch>(payload_of(Fetch{"", 3u, "/tmp", std::nullopt, true}), "file name is empty");
}

TEST_CASE("FETCH root: none or 32 bytes, nothing else") {
    check_root_lengths_refused(Fetch{"x", 3u, "/tmp", test_root(), true}, test_root());
    check_root_lengths_refused(Fetch{"", std::nullopt, "", test_root()}, test_root());
}

TEST_CASE("FETCH refuses a peer flag other than 0 or 1") {
    Bytes p = payload_of(Fetch{"x", 5u, "", std::nullopt});
    p[2] = std::byte{2};
    check_refused<Fetch>(p, "peer flag");
}

// Regression: a peer id without the peer flag was accepted and dropped, so
// the decoder took two encodings for one message. Reserved bytes must be zero.
TEST_CASE("FETCH refuses a peer id when the peer flag is 0") {
    Bytes p = payload_of(Fetch{"x", std::nullopt, "", std::nullopt});
    p[6] = std::byte{1};
    check_refused<Fetch>(p, "peer id");
}

TEST_CASE("FETCH output dir rules") {
    check_refused<Fetch>(payload_of(Fetch{"x", std::nullopt, "relative/dir", std::nullopt}), "absolute");
    check_refused<Fetch>(payload_of(Fetch{"x", std::nullopt, std::string("/a\0b", 4), std::nullopt}), "NUL");
    check_refused<Fetch>(payload_of(Fetch{"x", std::nullopt, "/" + std::string(max_dir_path, 'd'), std::nullopt, true}),
                         "output dir");
}

// Issue 12: napeerd wrote --output DIR by path with its own rights. The
// directory now comes as a descriptor the caller opened, and a path alone
// is refused: napeerd never opens a caller's directory itself.
TEST_CASE("FETCH output fd flag: set exactly when an output dir is named, 0 or 1") {
    Fetch with_fd = round_trip(Fetch{"x", std::nullopt, "/home/alice/incoming", std::nullopt, true});
    CHECK(with_fd.output_fd);
    CHECK_FALSE(round_trip(Fetch{"x", std::nullopt, "", std::nullopt}).output_fd);
    check_refused<Fetch>(payload_of(Fetch{"x", std::nullopt, "/home/alice/incoming", std::nullopt, false}),
                         "output dir is named but the output fd flag is 0");
    check_refused<Fetch>(payload_of(Fetch{"x", std::nullopt, "", std::nullopt, true}),
                         "output fd flag is set but no output dir is named");
    Bytes p = payload_of(Fetch{"x", std::nullopt, "/tmp", std::nullopt, true});
    p.back() = std::byte{2};
    check_refused<Fetch>(p, "output fd flag is not 0 or 1");
    check_truncated_and_trailing(Fetch{"x", std::nullopt, "/tmp", test_root(), true});
}

// ---------------------------------------------------------------- FETCH_PROGRESS / FETCH_DONE

namespace {

FetchProgress progress_of(std::uint64_t received, std::uint64_t total, std::vector<TransferPeer> sources = {},
                          TransferId id = 1, TransferState phase = TransferState::transferring,
                          std::uint64_t elapsed_ms = 0) {
    return FetchProgress{received, total, std::move(sources), id, phase, elapsed_ms};
}

} // namespace

TEST_CASE("FETCH_PROGRESS round-trips") {
    round_trip(progress_of(0, 0));
    round_trip(progress_of(50, 100));
    round_trip(progress_of(0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFFULL, {}, 0xFFFFFFFFu, TransferState::syncing,
                           0xFFFFFFFFFFFFFFFFULL));
    round_trip(progress_of(50, 100, {{3, "bob"}, {0xFFFFFFFFu, std::string(max_peer_name, 'p')}, {7, ""}}));
    for (auto phase : {TransferState::connecting, TransferState::transferring, TransferState::waiting,
                       TransferState::checking, TransferState::syncing})
        CHECK(round_trip(progress_of(1, 2, {}, 9, phase)).phase == phase);
    check_truncated_and_trailing(progress_of(1, 2));
    check_truncated_and_trailing(progress_of(1, 2, {{3, "bob"}, {4, "carol"}}));
}

TEST_CASE("FETCH_PROGRESS layout: sources, then transfer_id, phase and elapsed_ms") {
    CHECK(hex(encode_message(progress_of(1, 2, {}, 7, TransferState::syncing, 1500))) ==
          "00000020" "0302" "0000000000000001" "0000000000000002" "00" "00000007" "04" "00000000000005dc");
    CHECK(hex(encode_message(progress_of(1, 2, {{3, "ab"}, {0x01020304, ""}}, 1, TransferState::connecting, 0))) ==
          "0000002c" "0302" "0000000000000001" "0000000000000002" "02" "00000003" "026162" "01020304" "00"
          "00000001" "00" "0000000000000000");
}

TEST_CASE("FETCH_PROGRESS limits") {
    FetchProgress progress = progress_of(1, 2, std::vector<TransferPeer>(max_fetch_sources, TransferPeer{1, "a"}));
    round_trip(progress);
    progress.sources.push_back({2, "b"});
    check_refused<FetchProgress>(payload_of(progress), "33 sources exceed 32");
    Bytes long_name = payload_of(progress_of(1, 2, {{3, std::string(max_peer_name + 1, 'n')}}));
    check_refused<FetchProgress>(long_name, "source peer name");
    check_refused<FetchProgress>(payload_of(progress_of(1, 2, {}, 0)), "transfer id is 0");
    for (auto ended : {TransferState::done, TransferState::failed, TransferState::cancelled})
        check_refused<FetchProgress>(payload_of(progress_of(1, 2, {}, 1, ended)), "is not 0 to 4");
    Bytes bad_phase = payload_of(progress_of(1, 2));
    bad_phase[bad_phase.size() - 9] = std::byte{200};
    check_refused<FetchProgress>(bad_phase, "phase 200");
}

TEST_CASE("FETCH_DONE round-trips") {
    round_trip(FetchDone{"/srv/napster/downloads/file8_3.txt", 1234, 2, "bob", std::nullopt, false});
    round_trip(FetchDone{"", 0, 0, "", std::nullopt, false});
    round_trip(FetchDone{std::string(max_dir_path + 1 + max_file_name, 'p'), 1, 1, std::string(max_peer_name, 'n'),
                         test_root(), true});
    round_trip(FetchDone{"/d/\xff\xfe", 1, 1, "\xc0", std::nullopt, false});
    // A root known but the blocks not checked against it, and checked.
    FetchDone unverified = round_trip(FetchDone{"/d/x", 9, 3, "carol", test_root(5), false});
    CHECK(unverified.root == test_root(5));
    CHECK_FALSE(unverified.verified);
    CHECK(round_trip(FetchDone{"/d/x", 9, 3, "carol", test_root(5), true}).verified);
    check_truncated_and_trailing(FetchDone{"/d/x", 9, 3, "carol", std::nullopt, false});
    check_truncated_and_trailing(FetchDone{"/d/x", 9, 3, "carol", test_root(), true});
}

TEST_CASE("FETCH_DONE layout: root and verified at the end") {
    const char* head = "00042f642f78" "0000000000000009" "00000003" "0163";
    CHECK(hex(encode_message(FetchDone{"/d/x", 9, 3, "c", std::nullopt, false})) ==
          std::string("00000018" "0303") + head + "00" "00");
    CHECK(hex(encode_message(FetchDone{"/d/x", 9, 3, "c", test_root(), true})) ==
          std::string("00000038" "0303") + head + "20" + hex(test_root()) + "01");
}

TEST_CASE("FETCH_DONE limits") {
    check_refused<FetchDone>(
        payload_of(FetchDone{std::string(max_dir_path + 2 + max_file_name, 'p'), 1, 1, "", std::nullopt, false}),
        "path");
    check_refused<FetchDone>(
        payload_of(FetchDone{"/x", 1, 1, std::string(max_peer_name + 1, 'n'), std::nullopt, false}), "peer name");
}

TEST_CASE("FETCH_DONE verified is 0 or 1, and 1 only with a root") {
    Bytes p = payload_of(FetchDone{"/d/x", 9, 3, "c", test_root(), true});
    for (unsigned verified : {2u, 0x80u, 0xFFu}) {
        CAPTURE(verified);
        p.back() = std::byte{static_cast<std::uint8_t>(verified)};
        check_refused<FetchDone>(p, "verified is not 0 or 1");
    }
    check_refused<FetchDone>(payload_of(FetchDone{"/d/x", 9, 3, "c", std::nullopt, true}), "verified without a root");
}

TEST_CASE("FETCH_DONE root: none or 32 bytes, nothing else") {
    check_root_lengths_refused(FetchDone{"/d/x", 9, 3, "c", test_root(), true}, test_root());
    check_root_lengths_refused(FetchDone{"/d/x", 9, 3, "c", test_root(), false}, test_root());
}

// ---------------------------------------------------------------- STATUS

TEST_CASE("STATUS and SHARES requests have empty payloads") {
    CHECK(hex(encode_message(StatusRequest{})) == "000000020304");
    CHECK(hex(encode_message(SharesRequest{})) == "000000020306");
    round_trip(StatusRequest{});
    round_trip(SharesRequest{});
    check_truncated_and_trailing(StatusRequest{});
    check_truncated_and_trailing(SharesRequest{});
}

TEST_CASE("STATUS_RESULT round-trips") {
    round_trip(StatusResult{});
    StatusResult s = full_status();
    round_trip(s);
    for (IndexState state : {IndexState::disconnected, IndexState::connecting, IndexState::connected}) {
        s.index_state = state;
        round_trip(s);
    }
    for (WatchState state : {WatchState::inotify, WatchState::rescans, WatchState::stale}) {
        s.watch_state = state;
        CHECK(round_trip(s).watch_state == state);
    }
    check_truncated_and_trailing(full_status());
}

TEST_CASE("STATUS_RESULT ends with the hashing progress and the download sources") {
    StatusResult s = full_status();
    Bytes p = payload_of(s);
    // watch_state, watched_dirs, rescan_interval, hash_files_left,
    // hash_bytes_left, no download sources (a u16 count)
    CHECK(hex(Bytes(p.end() - 27, p.end())) ==
          "01" "000003e8" "0000012c" "0000000000000003" "0102030405060708" "0000");
    s.download_sources = {{3, "ab"}, {4, "c"}};
    Bytes with = payload_of(s);
    CHECK(hex(Bytes(with.end() - 15, with.end())) == "0002" "00000003" "026162" "00000004" "0163");
    CHECK(round_trip(s).download_sources == s.download_sources);
    check_truncated_and_trailing(s);
    s.hash_files_left = 0xFFFFFFFFFFFFFFFFULL;
    s.hash_bytes_left = 0;
    StatusResult back = round_trip(s);
    CHECK(back.hash_files_left == 0xFFFFFFFFFFFFFFFFULL);
    CHECK(back.hash_bytes_left == 0);
}

TEST_CASE("STATUS_RESULT limits") {
    SUBCASE("index state above 2 is refused") {
        Bytes p = payload_of(full_status());
        p[1 + 5] = std::byte{3}; // after str8 "alice"
        check_refused<StatusResult>(p, "index state 3");
    }
    SUBCASE("watch state above 2 is refused") {
        Bytes p = payload_of(full_status());
        p[p.size() - 27] = std::byte{3}; // watch_state, then two u32, two u64 and the source count
        check_refused<StatusResult>(p, "watch state 3");
    }
    SUBCASE("download sources: 1024 accepted, 1025 refused") {
        StatusResult s = full_status();
        s.download_sources.assign(max_status_sources, TransferPeer{1, "a"});
        round_trip(s);
        s.download_sources.push_back({2, "b"});
        check_refused<StatusResult>(payload_of(s), "1025 sources exceed 1024");
    }
    SUBCASE("share dirs: 256 accepted, 257 refused") {
        StatusResult s = full_status();
        s.share_dirs.assign(max_share_dirs, "/srv/share");
        round_trip(s);
        s.share_dirs.push_back("/one/more");
        check_refused<StatusResult>(payload_of(s), "257 share dirs");
    }
    SUBCASE("a huge share dir count with nothing behind it is refused") {
        StatusResult s = full_status();
        s.share_dirs.clear();
        Bytes p = payload_of(s);
        // name(6) state(1) peer(4) index_address(1+14) delay(4)
        // last_error(2+18) upload_address(1+9): the count is next.
        std::size_t at = 6 + 1 + 4 + 15 + 4 + 20 + 10;
        REQUIRE(std::to_integer<unsigned>(p[at + 3]) == 0);
        p[at] = std::byte{0xFF};
        check_refused<StatusResult>(p, "share dirs exceed");
    }
    SUBCASE("addresses: the index target up to 255 (cut beyond), the upload address 72") {
        StatusResult s = full_status();
        s.index_address = std::string(max_index_target, 'a');
        s.upload_address = std::string(max_address_text + 8, 'u');
        round_trip(s);
        // A configured host name may be 253 bytes plus ":65535": cut, not a
        // corrupt str8.
        s.index_address = std::string(253, 'h') + ":65535";
        Result<StatusResult> cut = decode_message<StatusResult>(payload_of(s));
        REQUIRE(cut.ok());
        CHECK(cut->index_address == s.index_address.substr(0, max_index_target));
        s = full_status();
        s.upload_address = std::string(max_address_text + 9, 'u');
        check_refused<StatusResult>(payload_of(s), "upload address");
    }
    SUBCASE("names, dirs") {
        StatusResult s = full_status();
        s.name = std::string(max_peer_name + 1, 'n');
        check_refused<StatusResult>(payload_of(s), "peer name");
        s = full_status();
        s.download_dir = std::string(max_dir_path + 1, 'd');
        check_refused<StatusResult>(payload_of(s), "download dir");
        s = full_status();
        s.share_dirs = {std::string(max_dir_path + 1, 'd')};
        check_refused<StatusResult>(payload_of(s), "share dir");
    }
}

// Regression: the encoder wrote last_error whole while the decoder refuses
// more than max_error_text bytes, so one long error made STATUS unusable.
TEST_CASE("STATUS_RESULT last_error is cut to max_error_text by the sender") {
    StatusResult s = full_status();
    s.last_error = std::string(max_error_text, 'e');
    round_trip(s);
    s.last_error = std::string(max_error_text + 300, 'e');
    Result<StatusResult> r = decode_message<StatusResult>(payload_of(s));
    REQUIRE(r.ok());
    CHECK(r->last_error == std::string(max_error_text, 'e'));
    CHECK(r->download_dir == s.download_dir);
}

TEST_CASE("index_state_name") {
    CHECK(std::string(index_state_name(IndexState::disconnected)) == "disconnected");
    CHECK(std::string(index_state_name(IndexState::connecting)) == "connecting");
    CHECK(std::string(index_state_name(IndexState::connected)) == "connected");
    CHECK(std::string(index_state_name(static_cast<IndexState>(9))) == "unknown");
}

// ---------------------------------------------------------------- SHARES

TEST_CASE("SHARES_BATCH round-trips with FILES_ADD's layout") {
    SharesBatch b{{file(1, "a.txt"), file(2, "\xff\xfe.bin")}};
    b.files[1].root = test_root();
    SharesBatch back = round_trip(b);
    CHECK(back.files[1].name == "\xff\xfe.bin");
    check_truncated_and_trailing(b);
    // The same bytes as a FILES_ADD payload.
    CHECK(payload_of(b) == payload_of(FilesAdd{b.files}));
}

TEST_CASE("SHARES_BATCH counts") {
    Bytes zero;
    ByteWriter w(zero);
    w.u32(0);
    check_refused<SharesBatch>(zero, "count 0");
    SharesBatch full;
    for (std::uint32_t i = 0; i < max_batch_files; ++i) full.files.push_back(file(i, "f" + std::to_string(i)));
    CHECK(round_trip(full).files.size() == max_batch_files);
    full.files.push_back(file(1, "g"));
    check_refused<SharesBatch>(payload_of(full), "4097");
    Bytes lying = payload_of(SharesBatch{{file(1, "a")}});
    lying[2] = std::byte{0x0F};
    check_refused<SharesBatch>(lying, "exceeds what the frame holds");
}

TEST_CASE("SHARES_BATCH applies the file entry rules") {
    SharesBatch b{{FileEntry{1, 1, "a", "share/b", std::nullopt}}};
    check_refused<SharesBatch>(payload_of(b), "last component");
    b.files[0] = FileEntry{1, 1, "a", "/abs/a", test_root()};
    check_refused<SharesBatch>(payload_of(b), "absolute");
    b.files[0] = FileEntry{1, 1, "a", "share/a", test_root()};
    check_root_lengths_refused(b, test_root());
}

TEST_CASE("SHARES_END round-trips") {
    round_trip(SharesEnd{0});
    round_trip(SharesEnd{0xFFFFFFFFFFFFFFFFULL});
    check_truncated_and_trailing(SharesEnd{12});
}

// ---------------------------------------------------------------- garbage

TEST_CASE("mutated control messages never crash and decode only canonically") {
    std::vector<Bytes> seeds = {
        payload_of(Fetch{"x.txt", 9u, "/tmp", std::nullopt, true}),
        payload_of(Fetch{"y", std::nullopt, "", std::nullopt}),
        payload_of(Fetch{"", std::nullopt, "", test_root()}),
        payload_of(FetchProgress{1, 2, {}}),
        payload_of(FetchProgress{1, 2, {{3, "bob"}, {4, "carol"}}}),
        payload_of(FetchDone{"/d/x", 1, 2, "p", std::nullopt, false}),
        payload_of(FetchDone{"/d/x", 1, 2, "p", test_root(), true}),
        payload_of(full_status()),
        payload_of(SharesBatch{{file(1, "a"), file(2, "b")}}),
        payload_of(SharesEnd{2}),
    };
    Rng rng{0xC0417201};
    for (int iteration = 0; iteration < 20000; ++iteration) {
        Bytes m = seeds[rng.below(seeds.size())];
        for (std::size_t e = 0, edits = 1 + rng.below(3); e < edits; ++e) {
            if (m.empty()) break;
            std::size_t at = rng.below(m.size());
            switch (rng.below(4)) {
            case 0: m[at] = rng.byte(); break;
            case 1: m[at] = std::byte{static_cast<std::uint8_t>(rng.below(3))}; break;
            case 2: m.resize(at); break;
            case 3: m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), rng.byte()); break;
            }
        }
        auto check = [&m](auto decoded) {
            if (decoded) CHECK(payload_of(*decoded) == m);
        };
        check(decode_message<Fetch>(m));
        check(decode_message<FetchProgress>(m));
        check(decode_message<FetchDone>(m));
        check(decode_message<StatusRequest>(m));
        check(decode_message<StatusResult>(m));
        check(decode_message<SharesRequest>(m));
        check(decode_message<SharesBatch>(m));
        check(decode_message<SharesEnd>(m));
    }
}
