// SPDX-License-Identifier: MIT
// napeerd's list of transfers (peer/transfer_registry.*): ids, rates, ETA,
// how transfers end and how many ended ones are kept. Time is the test's.

#include "peer/transfer_registry.h"

#include <doctest/doctest.h>

using napster::TransferRegistry;
using namespace napster::protocol;

namespace {

TransferRegistry::Progress at(std::uint64_t done, std::uint64_t total, TransferState state = TransferState::transferring,
                              std::vector<TransferPeer> peers = {}) {
    return TransferRegistry::Progress{done, total, state, std::move(peers)};
}

} // namespace

TEST_CASE("registry: ids start at 1 and are not reused once a transfer ends") {
    TransferRegistry registry;
    auto a = registry.begin(TransferDirection::download, "a", 0);
    auto b = registry.begin(TransferDirection::upload, "b", 0);
    CHECK(a == 1);
    CHECK(b == 2);
    registry.end(a, TransferState::done, "", 10);
    CHECK(registry.begin(TransferDirection::download, "c", 20) == 3);
    CHECK(registry.running() == 2);
}

TEST_CASE("registry: a running transfer shows its current rate and ETA") {
    TransferRegistry registry;
    auto id = registry.begin(TransferDirection::download, "big.bin", 1000);
    registry.update(id, at(0, 10'000, TransferState::connecting), 1000);
    for (std::uint64_t ms = 1250; ms <= 3000; ms += 250) registry.update(id, at((ms - 1000) * 2, 10'000), ms);
    TransferInfo t = registry.list(3000).transfers.at(0);
    CHECK(t.transfer_id == id);
    CHECK(t.state == TransferState::transferring);
    CHECK(t.done == 4000);
    CHECK(t.rate == 2000);
    REQUIRE(t.eta_seconds);
    CHECK(*t.eta_seconds == 3); // 6000 bytes left at 2000 B/s
    CHECK(t.elapsed_ms == 2000);
}

TEST_CASE("registry: no ETA without a rate or a total") {
    TransferRegistry registry;
    auto id = registry.begin(TransferDirection::upload, "x", 0);
    registry.update(id, at(0, 0), 100);
    registry.update(id, at(600, 0), 1000); // a rate, but no total
    CHECK(registry.list(1000).transfers.at(0).rate == 600);
    CHECK_FALSE(registry.list(1000).transfers.at(0).eta_seconds);
    for (std::uint64_t ms = 1250; ms <= 8000; ms += 250) registry.update(id, at(600, 1000), ms); // stalled: rate 0
    TransferInfo t = registry.list(2000).transfers.at(0);
    CHECK_FALSE(t.eta_seconds);
}

TEST_CASE("registry: an ended transfer keeps its state, error and duration, not its rate") {
    TransferRegistry registry;
    auto id = registry.begin(TransferDirection::download, "x", 0);
    registry.update(id, at(500, 1000, TransferState::transferring, {{3, "bob"}}), 1000);
    registry.end(id, TransferState::cancelled, "cancelled with napctl cancel 1", 1500);
    registry.update(id, at(900, 1000), 1600); // late reports change nothing
    registry.end(id, TransferState::done, "", 1700);
    TransferInfo t = registry.list(9000).transfers.at(0);
    CHECK(t.state == TransferState::cancelled);
    CHECK(t.done == 500);
    CHECK(t.error == "cancelled with napctl cancel 1");
    CHECK(t.elapsed_ms == 1500);
    CHECK(t.rate == 0);
    CHECK(t.peers.empty());
    CHECK_FALSE(t.eta_seconds);
}

TEST_CASE("registry: running transfers first, then ended ones; only the last ended ones are kept") {
    TransferRegistry registry;
    std::vector<TransferRegistry::Id> ids;
    for (int i = 0; i < 40; ++i) ids.push_back(registry.begin(TransferDirection::download, "f", 0));
    for (int i = 0; i < 38; ++i) registry.end(ids[static_cast<std::size_t>(i)], TransferState::done, "", 1);
    auto listed = registry.list(2).transfers;
    REQUIRE(listed.size() == 2 + TransferRegistry::max_ended);
    CHECK(listed[0].transfer_id == 39);
    CHECK(listed[1].transfer_id == 40);
    CHECK(listed[2].transfer_id == 7); // 1 to 6 are gone
    CHECK(registry.find(6) == nullptr);
    CHECK(registry.find(7) != nullptr);
}

TEST_CASE("registry: at most max_transfers_listed are listed, the rest counted") {
    TransferRegistry registry;
    for (std::size_t i = 0; i < max_transfers_listed + 5; ++i) registry.begin(TransferDirection::upload, "u", 0);
    auto result = registry.list(0);
    CHECK(result.transfers.size() == max_transfers_listed);
    CHECK(result.more == 5);
}

TEST_CASE("registry: a download's outcome is kept for a WAIT after its end") {
    TransferRegistry registry;
    auto id = registry.begin(TransferDirection::download, "x", 0);
    registry.end(id, TransferState::done, "", 5);
    registry.keep_outcome(id, FetchDone{"/d/x", 1, 2, "bob", std::nullopt, false});
    REQUIRE(registry.find(id)->outcome);
    CHECK((*registry.find(id)->outcome)->path == "/d/x");
}
