// SPDX-License-Identifier: MIT
#include "peer/transfer_registry.h"

#include <algorithm>
#include <limits>

namespace napster {

using protocol::TransferState;

TransferRegistry::Id TransferRegistry::begin(protocol::TransferDirection direction, std::string name,
                                             std::uint64_t now_ms) {
    Id id = next_id_++;
    if (next_id_ == 0) next_id_ = 1; // after 4 billion transfers: ids are never 0
    Entry& entry = entries_[id];
    entry.direction = direction;
    entry.name = std::move(name);
    entry.started_ms = now_ms;
    entry.meter.sample(now_ms, 0);
    return id;
}

void TransferRegistry::update(Id id, Progress progress, std::uint64_t now_ms) {
    auto it = entries_.find(id);
    if (it == entries_.end() || protocol::transfer_ended(it->second.progress.state)) return;
    if (protocol::transfer_ended(progress.state)) progress.state = it->second.progress.state;
    it->second.meter.sample(now_ms, progress.done);
    it->second.progress = std::move(progress);
}

void TransferRegistry::end(Id id, TransferState state, std::string error, std::uint64_t now_ms) {
    auto it = entries_.find(id);
    if (it == entries_.end() || protocol::transfer_ended(it->second.progress.state)) return;
    Entry& entry = it->second;
    entry.progress.state = protocol::transfer_ended(state) ? state : TransferState::failed;
    entry.progress.peers.clear();
    entry.ended_ms = now_ms;
    entry.error = std::move(error);
    ended_.push_back(id);
    while (ended_.size() > max_ended) {
        entries_.erase(ended_.front());
        ended_.pop_front();
    }
}

void TransferRegistry::keep_outcome(Id id, Result<protocol::FetchDone> outcome) {
    if (auto it = entries_.find(id); it != entries_.end()) it->second.outcome = std::move(outcome);
}

const TransferRegistry::Entry* TransferRegistry::find(Id id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
}

protocol::TransferInfo TransferRegistry::info(Id id, const Entry& entry, std::uint64_t now_ms) const {
    protocol::TransferInfo t;
    t.transfer_id = id;
    t.direction = entry.direction;
    t.state = entry.progress.state;
    t.name = entry.name;
    t.done = entry.progress.done;
    t.total = entry.progress.total;
    t.peers = entry.progress.peers;
    t.error = entry.error;
    bool ended = protocol::transfer_ended(t.state);
    t.elapsed_ms = (ended ? entry.ended_ms : std::max(now_ms, entry.started_ms)) - entry.started_ms;
    if (!ended) {
        t.rate = entry.meter.rate().value_or(0);
        if (t.total > 0)
            if (auto eta = entry.meter.eta_seconds(t.total))
                t.eta_seconds = static_cast<std::uint32_t>(
                    std::min<std::uint64_t>(*eta, protocol::unknown_eta - 1));
    }
    return t;
}

protocol::TransfersResult TransferRegistry::list(std::uint64_t now_ms) const {
    protocol::TransfersResult result;
    std::uint32_t more = 0;
    auto add = [&](Id id, const Entry& entry) {
        if (result.transfers.size() < protocol::max_transfers_listed)
            result.transfers.push_back(info(id, entry, now_ms));
        else
            ++more;
    };
    for (const auto& [id, entry] : entries_)
        if (!protocol::transfer_ended(entry.progress.state)) add(id, entry);
    for (const auto& [id, entry] : entries_)
        if (protocol::transfer_ended(entry.progress.state)) add(id, entry);
    result.more = more;
    return result;
}

} // namespace napster
