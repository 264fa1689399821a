// SPDX-License-Identifier: MIT
#include "protocol/transfer_list_messages.h"

#include <fmt/format.h>

namespace napster::protocol {
namespace {

TransferId read_transfer_id(ByteReader& r) {
    TransferId id = r.u32("transfer id");
    if (r.ok() && id == 0) r.fail("transfer id is 0");
    return id;
}

TransferDirection read_direction(ByteReader& r) {
    std::uint8_t direction = r.u8("direction");
    if (r.ok() && direction > 1) r.fail(fmt::format("direction {} is not 0 or 1", direction));
    return static_cast<TransferDirection>(direction);
}

void write_info(ByteWriter& w, const TransferInfo& t) {
    w.u32(t.transfer_id);
    w.u8(static_cast<std::uint8_t>(t.direction));
    w.u8(static_cast<std::uint8_t>(t.state));
    w.str8(t.name);
    w.u64(t.done);
    w.u64(t.total);
    w.u64(t.rate);
    w.u32(t.eta_seconds.value_or(unknown_eta));
    w.u64(t.elapsed_ms);
    write_transfer_peers(w, t.peers, false);
    w.str16(std::string_view(t.error).substr(0, max_error_text));
}

TransferInfo read_info(ByteReader& r) {
    TransferInfo t;
    t.transfer_id = read_transfer_id(r);
    t.direction = read_direction(r);
    std::uint8_t state = r.u8("state");
    if (r.ok() && state > max_transfer_state) r.fail(fmt::format("state {} is not 0 to {}", state, max_transfer_state));
    t.state = static_cast<TransferState>(state);
    t.name = r.str8("file name", max_file_name);
    t.done = r.u64("done");
    t.total = r.u64("total");
    t.rate = r.u64("rate");
    std::uint32_t eta = r.u32("eta");
    if (eta != unknown_eta) t.eta_seconds = eta;
    t.elapsed_ms = r.u64("elapsed");
    t.peers = read_transfer_peers(r, false, max_fetch_sources);
    t.error = r.str16("error", max_error_text);
    return t;
}

} // namespace

const char* transfer_direction_name(TransferDirection direction) {
    return direction == TransferDirection::upload ? "upload" : "download";
}

void TransfersResult::write(ByteWriter& w) const {
    w.u16(static_cast<std::uint16_t>(transfers.size()));
    for (const auto& t : transfers) write_info(w, t);
    w.u32(more);
}

TransfersResult TransfersResult::read(ByteReader& r) {
    TransfersResult m;
    std::uint16_t count = r.u16("transfer count");
    if (r.ok() && count > max_transfers_listed)
        r.fail(fmt::format("{} transfers exceed {}", count, max_transfers_listed));
    for (std::uint16_t i = 0; i < count && r.ok(); ++i) m.transfers.push_back(read_info(r));
    m.more = r.u32("more");
    return m;
}

CancelRequest CancelRequest::read(ByteReader& r) { return CancelRequest{read_transfer_id(r)}; }

WaitRequest WaitRequest::read(ByteReader& r) { return WaitRequest{read_transfer_id(r)}; }

void CancelDone::write(ByteWriter& w) const {
    w.u32(transfer_id);
    w.u8(static_cast<std::uint8_t>(direction));
    w.str8(name);
}

CancelDone CancelDone::read(ByteReader& r) {
    CancelDone m;
    m.transfer_id = read_transfer_id(r);
    m.direction = read_direction(r);
    m.name = r.str8("file name", max_file_name);
    return m;
}

void WatchUpdate::write(ByteWriter& w) const {
    write_index_link(w, {index_state, peer_id, index_address, reconnect_in_ms, last_error});
    transfers.write(w);
}

WatchUpdate WatchUpdate::read(ByteReader& r) {
    WatchUpdate m;
    read_index_link(r, m.index_state, m.peer_id, m.index_address, m.reconnect_in_ms, m.last_error);
    m.transfers = TransfersResult::read(r);
    return m;
}

} // namespace napster::protocol
