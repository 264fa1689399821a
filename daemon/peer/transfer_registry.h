// SPDX-License-Identifier: MIT
#pragma once

// Every download and upload napeerd runs, and the last ones that ended:
// the ids napctl names them by (small integers from 1, never reused while
// napeerd runs), their progress, current rate and time left, and how they
// ended. Pure: the caller passes the time, so tests need no clock; the
// downloads and uploads report to it, and their owners (DownloadManager,
// UploadServer) map ids to the live objects for CANCEL and WAIT.
//
// Ownership: owned by PeerDaemon. Loop thread only.

#include "protocol/control_messages.h"
#include "protocol/transfer_list_messages.h"
#include "util/rate_meter.h"
#include "util/result.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace napster {

class TransferRegistry {
public:
    using Id = protocol::TransferId;
    // Ended transfers kept for TRANSFERS and WAIT; the oldest goes first.
    static constexpr std::size_t max_ended = 32;

    struct Progress {
        std::uint64_t done = 0;
        std::uint64_t total = 0;
        protocol::TransferState state = protocol::TransferState::connecting;
        std::vector<protocol::TransferPeer> peers;
    };

    struct Entry {
        protocol::TransferDirection direction = protocol::TransferDirection::download;
        std::string name;
        Progress progress;
        std::uint64_t started_ms = 0;
        std::uint64_t ended_ms = 0;
        std::string error;
        RateMeter meter;
        // A download's outcome, for a WAIT that comes after it ended.
        std::optional<Result<protocol::FetchDone>> outcome;
    };

    Id begin(protocol::TransferDirection direction, std::string name, std::uint64_t now_ms);
    // Ignored for an id that has ended or is not known.
    void update(Id id, Progress progress, std::uint64_t now_ms);
    // `state` must be an ended one (done, failed, cancelled); `error` says
    // why it failed or was cancelled.
    void end(Id id, protocol::TransferState state, std::string error, std::uint64_t now_ms);
    void keep_outcome(Id id, Result<protocol::FetchDone> outcome);

    const Entry* find(Id id) const;
    std::size_t running() const { return entries_.size() - ended_.size(); }
    // Running transfers first, then ended ones, each by id, at most
    // max_transfers_listed of them.
    protocol::TransfersResult list(std::uint64_t now_ms) const;
    // One transfer as TRANSFERS_RESULT shows it.
    protocol::TransferInfo info(Id id, const Entry& entry, std::uint64_t now_ms) const;

private:
    std::map<Id, Entry> entries_;
    std::deque<Id> ended_; // oldest first
    Id next_id_ = 1;
};

} // namespace napster
