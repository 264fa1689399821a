// SPDX-License-Identifier: MIT
// What napctl transfers, cancel and watch print (ctl/transfers_output.*,
// ctl/watch_output.*), and the parsing of a transfer id.

#include "ctl/transfers_output.h"
#include "ctl/watch_output.h"
#include "json_test_support.h"

#include <doctest/doctest.h>

using namespace napster::ctl;
using namespace napster::json_test;
using namespace napster::protocol;

namespace {

TransferInfo running() {
    TransferInfo t;
    t.transfer_id = 3;
    t.direction = TransferDirection::download;
    t.state = TransferState::transferring;
    t.name = "big.bin";
    t.done = 1'258'291;
    t.total = 5'242'880;
    t.rate = 1'048'576;
    t.eta_seconds = 4;
    t.elapsed_ms = 1207;
    t.peers = {{1, "bob"}};
    return t;
}

TransferInfo cancelled() {
    TransferInfo t;
    t.transfer_id = 1;
    t.direction = TransferDirection::upload;
    t.state = TransferState::cancelled;
    t.name = "old\x1b.iso";
    t.done = 2 * 1024 * 1024;
    t.total = 5 * 1024 * 1024;
    t.error = "cancelled with napctl cancel 1";
    return t;
}

} // namespace

TEST_CASE("transfers text: a table, then why each ended one ended") {
    CHECK(transfers_text(TransfersResult{}) == "no transfers\n");
    CHECK(transfers_text(TransfersResult{{running(), cancelled()}, 2}) ==
          "ID  DIR   STATE                       DONE    %       RATE  ETA  PEERS  NAME\n"
          " 3  down  transferring  1.2 MiB of 5.0 MiB  23%  1.0 MiB/s  4 s  bob    big.bin\n"
          " 1  up    cancelled     2.0 MiB of 5.0 MiB  40%          -    -  -      old\\x1b.iso\n"
          "1: cancelled with napctl cancel 1\n"
          "... and 2 more\n");
}

TEST_CASE("transfers JSON: every field, null where not known") {
    TransferInfo unknown = cancelled();
    unknown.total = 0;
    unknown.peers = {{unknown_peer_id, "127.0.0.1:40000"}};
    Json doc = parse_document(transfers_json(TransfersResult{{running(), unknown}, 0}));
    CHECK(doc.keys() == std::vector<std::string>{"transfers", "more"});
    const Json& t = doc.at("transfers").items.at(0);
    CHECK(t.keys() == std::vector<std::string>{"id", "direction", "state", "name", "bytes_done", "bytes_total",
                                               "percent", "rate", "eta_seconds", "elapsed_ms", "peers", "error"});
    CHECK(t.at("id").text == "3");
    CHECK(t.at("direction").text == "download");
    CHECK(t.at("state").text == "transferring");
    CHECK(t.at("percent").text == "23"); // 23.99...%: cut, never rounded up to look done
    CHECK(t.at("eta_seconds").text == "4");
    CHECK(t.at("error").type == Json::Type::null);
    CHECK(t.at("peers").items.at(0).at("peer_name").text == "bob");
    const Json& u = doc.at("transfers").items.at(1);
    CHECK(u.at("direction").text == "upload");
    CHECK(u.at("percent").type == Json::Type::null);
    CHECK(u.at("eta_seconds").type == Json::Type::null);
    CHECK(u.at("error").text == "cancelled with napctl cancel 1");
    CHECK(u.at("peers").items.at(0).at("peer_id").type == Json::Type::null);
}

TEST_CASE("cancel output") {
    CancelDone done{3, TransferDirection::download, "big.bin"};
    CHECK(cancel_text(done) == "cancelled download 3 (big.bin)\n");
    CHECK(cancel_json(done) == "{\"transfer_id\":3,\"direction\":\"download\",\"name\":\"big.bin\"}\n");
}

TEST_CASE("transfer ids: 1 to 4294967295, anything else a usage error") {
    CHECK(*parse_transfer_id("cancel", "1") == 1);
    CHECK(*parse_transfer_id("cancel", "4294967295") == 4294967295u);
    for (const char* bad : {"", "0", "-1", "4294967296", "3x", " 3", "+3"}) {
        CAPTURE(bad);
        auto id = parse_transfer_id("wait", bad);
        REQUIRE_FALSE(id);
        CHECK(id.failure().status == exit_usage);
        CHECK(id.failure().hint == "usage: napctl wait ID");
    }
}

TEST_CASE("watch: the index link, then the transfers; JSON one object a line") {
    WatchUpdate update;
    update.index_state = IndexState::connected;
    update.peer_id = 4;
    update.index_address = "127.0.0.1:5015";
    update.transfers = TransfersResult{{running()}, 0};
    CHECK(watch_text(update).starts_with("index: connected as peer 4 (127.0.0.1:5015)\nID  DIR"));
    update.index_state = IndexState::disconnected;
    update.reconnect_in_ms = 3000;
    update.last_error = "connection refused";
    update.transfers = {};
    CHECK(watch_text(update) ==
          "index: disconnected from 127.0.0.1:5015, reconnecting in 3 s\nlast error: connection refused\n"
          "no transfers\n");
    std::string line = watch_json(update);
    CHECK(line.find('\n') == line.size() - 1);
    Json doc = parse_document(line);
    CHECK(doc.keys() == std::vector<std::string>{"index", "transfers", "more"});
    CHECK(doc.at("index").keys() ==
          std::vector<std::string>{"state", "peer_id", "address", "reconnect_in_ms", "last_error"});
    CHECK(doc.at("index").at("peer_id").type == Json::Type::null);
    CHECK(doc.at("index").at("state").text == "disconnected");
}
