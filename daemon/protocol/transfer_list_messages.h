// SPDX-License-Identifier: MIT
#pragma once

// Transfer management on the control channel (napster-protocol(7),
// "Transfers"): TRANSFERS lists every download and upload napeerd runs or
// has lately ended, CANCEL stops one, WAIT follows a download as FETCH
// does (FETCH_PROGRESS, then FETCH_DONE or ERROR).

#include "protocol/control_messages.h"

#include <optional>
#include <string>
#include <vector>

namespace napster::protocol {

enum class TransferDirection : std::uint8_t { download = 0, upload = 1 };

const char* transfer_direction_name(TransferDirection direction);

// No rate, no ETA: a u32 of all ones on the wire.
inline constexpr std::uint32_t unknown_eta = 0xFFFFFFFF;

struct TransferInfo {
    TransferId transfer_id = 0;
    TransferDirection direction = TransferDirection::download;
    TransferState state = TransferState::connecting;
    std::string name;                 // the file's name, 0..max_file_name bytes
    std::uint64_t done = 0;           // bytes
    std::uint64_t total = 0;          // bytes; 0 while not known
    std::uint64_t rate = 0;           // bytes a second over the last seconds
    std::optional<std::uint32_t> eta_seconds; // none: no rate, or ended
    std::uint64_t elapsed_ms = 0;     // since it started; its duration once ended
    std::vector<TransferPeer> peers;  // 0..max_fetch_sources
    std::string error;                // why it failed or was cancelled; else empty

    friend bool operator==(const TransferInfo&, const TransferInfo&) = default;
};

struct TransfersRequest {
    static constexpr MessageType type = MessageType::transfers;

    void write(ByteWriter&) const {}
    static TransfersRequest read(ByteReader&) { return {}; }
    friend bool operator==(const TransfersRequest&, const TransfersRequest&) = default;
};

// Running transfers first, then ended ones, each by id.
struct TransfersResult {
    static constexpr MessageType type = MessageType::transfers_result;
    std::vector<TransferInfo> transfers; // 0..max_transfers_listed
    std::uint32_t more = 0;              // transfers left out past the limit

    void write(ByteWriter& w) const;
    static TransfersResult read(ByteReader& r);
    friend bool operator==(const TransfersResult&, const TransfersResult&) = default;
};

struct CancelRequest {
    static constexpr MessageType type = MessageType::cancel;
    TransferId transfer_id = 0;

    void write(ByteWriter& w) const { w.u32(transfer_id); }
    static CancelRequest read(ByteReader& r);
    friend bool operator==(const CancelRequest&, const CancelRequest&) = default;
};

// The transfer is stopping: its connections are closing, and a download
// keeps its verified blocks to resume.
struct CancelDone {
    static constexpr MessageType type = MessageType::cancel_done;
    TransferId transfer_id = 0;
    TransferDirection direction = TransferDirection::download;
    std::string name;

    void write(ByteWriter& w) const;
    static CancelDone read(ByteReader& r);
    friend bool operator==(const CancelDone&, const CancelDone&) = default;
};

struct WaitRequest {
    static constexpr MessageType type = MessageType::wait;
    TransferId transfer_id = 0;

    void write(ByteWriter& w) const { w.u32(transfer_id); }
    static WaitRequest read(ByteReader& r);
    friend bool operator==(const WaitRequest&, const WaitRequest&) = default;
};

struct WatchRequest {
    static constexpr MessageType type = MessageType::watch;

    void write(ByteWriter&) const {}
    static WatchRequest read(ByteReader&) { return {}; }
    friend bool operator==(const WatchRequest&, const WatchRequest&) = default;
};

// The index link and every transfer, sent after WATCH whenever they changed
// (sampled at most twice a second, and never while an earlier update waits
// to be read), and at least every watch_keepalive_ms.
struct WatchUpdate {
    static constexpr MessageType type = MessageType::watch_update;
    IndexState index_state = IndexState::disconnected;
    std::uint32_t peer_id = 0;         // valid when connected
    std::string index_address;         // "host:port" as configured
    std::uint32_t reconnect_in_ms = 0; // when disconnected and retrying
    std::string last_error;            // last index connection error
    TransfersResult transfers;

    void write(ByteWriter& w) const;
    static WatchUpdate read(ByteReader& r);
    friend bool operator==(const WatchUpdate&, const WatchUpdate&) = default;
};

inline constexpr std::uint64_t watch_interval_ms = 500;
inline constexpr std::uint64_t watch_keepalive_ms = 10'000;

} // namespace napster::protocol
