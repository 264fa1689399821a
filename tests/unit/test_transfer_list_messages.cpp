// SPDX-License-Identifier: MIT
// Transfer management on the control channel (transfer_list_messages.*):
// TRANSFERS_RESULT, CANCEL, CANCEL_DONE and WAIT, with their limits.
#include <doctest/doctest.h>

#include "codec_test_support.h"

#include "protocol/transfer_list_messages.h"
#include "protocol/transfer_messages.h"
#include "util/text.h"

using namespace napster;
using namespace napster::protocol;
using namespace napster::codec_test;

namespace {

TransferInfo download_info() {
    TransferInfo t;
    t.transfer_id = 7;
    t.direction = TransferDirection::download;
    t.state = TransferState::transferring;
    t.name = "big.bin";
    t.done = 1024;
    t.total = 4096;
    t.rate = 512;
    t.eta_seconds = 6;
    t.elapsed_ms = 2000;
    t.peers = {{3, "bob"}, {4, "carol"}};
    return t;
}

} // namespace

TEST_CASE("TRANSFERS_RESULT round-trips") {
    round_trip(TransfersResult{});
    TransferInfo upload;
    upload.transfer_id = 0xFFFFFFFF;
    upload.direction = TransferDirection::upload;
    upload.state = TransferState::cancelled;
    upload.name = std::string(max_file_name, 'n');
    upload.error = std::string(max_error_text, 'e');
    upload.peers = {{unknown_peer_id, "127.0.0.1:40000"}};
    TransfersResult result{{download_info(), upload}, 3};
    CHECK(round_trip(result).transfers.at(1).eta_seconds == std::nullopt);
    check_truncated_and_trailing(result);
    for (std::uint8_t state = 0; state <= max_transfer_state; ++state) {
        TransferInfo t = download_info();
        t.state = static_cast<TransferState>(state);
        round_trip(TransfersResult{{t}, 0});
    }
}

TEST_CASE("TRANSFERS_RESULT layout") {
    TransferInfo t;
    t.transfer_id = 2;
    t.direction = TransferDirection::upload;
    t.state = TransferState::done;
    t.name = "a";
    t.done = 5;
    t.total = 5;
    t.elapsed_ms = 9;
    t.peers = {{1, "b"}};
    t.error = "x";
    CHECK(hex(encode_message(TransfersResult{{t}, 1})) ==
          std::string("0000003e" "0311" "0001") + "00000002" "01" "05" "0161" "0000000000000005" "0000000000000005" +
              "0000000000000000" "ffffffff" "0000000000000009" "01" "00000001" "0162" "000178" "00000001");
}

TEST_CASE("TRANSFERS_RESULT limits") {
    TransfersResult many{std::vector<TransferInfo>(max_transfers_listed, download_info()), 0};
    round_trip(many);
    many.transfers.push_back(download_info());
    check_refused<TransfersResult>(payload_of(many), "257 transfers exceed 256");
    TransferInfo t = download_info();
    t.transfer_id = 0;
    check_refused<TransfersResult>(payload_of(TransfersResult{{t}, 0}), "transfer id is 0");
    t = download_info();
    t.peers.assign(max_fetch_sources + 1, TransferPeer{1, "a"});
    check_refused<TransfersResult>(payload_of(TransfersResult{{t}, 0}), "33 sources exceed 32");
    Bytes bad_state = payload_of(TransfersResult{{download_info()}, 0});
    bad_state[2 + 4 + 1] = std::byte{8};
    check_refused<TransfersResult>(bad_state, "state 8 is not 0 to 7");
    Bytes bad_direction = payload_of(TransfersResult{{download_info()}, 0});
    bad_direction[2 + 4] = std::byte{2};
    check_refused<TransfersResult>(bad_direction, "direction 2 is not 0 or 1");
}

TEST_CASE("CANCEL, CANCEL_DONE and WAIT: a transfer id, never 0") {
    round_trip(CancelRequest{1});
    round_trip(WaitRequest{0xFFFFFFFF});
    round_trip(CancelDone{9, TransferDirection::upload, "x.bin"});
    check_truncated_and_trailing(CancelRequest{5});
    check_truncated_and_trailing(WaitRequest{5});
    check_truncated_and_trailing(CancelDone{5, TransferDirection::download, "x"});
    CHECK(hex(encode_message(CancelRequest{0x0102})) == "00000006" "0312" "00000102");
    CHECK(hex(encode_message(WaitRequest{3})) == "00000006" "0314" "00000003");
    CHECK(hex(encode_message(CancelDone{3, TransferDirection::upload, "ab"})) ==
          "0000000a" "0313" "00000003" "01" "026162");
    check_refused<CancelRequest>(payload_of(CancelRequest{0}), "transfer id is 0");
    check_refused<WaitRequest>(payload_of(WaitRequest{0}), "transfer id is 0");
    check_refused<CancelDone>(payload_of(CancelDone{0, TransferDirection::download, ""}), "transfer id is 0");
}

TEST_CASE("WATCH_UPDATE: the index link, then the TRANSFERS_RESULT layout") {
    WatchUpdate update;
    update.index_state = IndexState::connected;
    update.peer_id = 4;
    update.index_address = "127.0.0.1:5015";
    update.transfers = TransfersResult{{download_info()}, 0};
    round_trip(update);
    round_trip(WatchUpdate{});
    check_truncated_and_trailing(update);
    WatchUpdate small;
    small.index_state = IndexState::disconnected;
    small.index_address = "a";
    small.reconnect_in_ms = 2000;
    small.last_error = "x";
    CHECK(hex(encode_message(small)) ==
          "00000016" "0316" "00" "00000000" "0161" "000007d0" "000178" "0000" "00000000");
    Bytes bad = payload_of(small);
    bad[0] = std::byte{3};
    check_refused<WatchUpdate>(bad, "index state 3 is not 0, 1 or 2");
    check_truncated_and_trailing(WatchRequest{});
}
