// SPDX-License-Identifier: MIT
#include "event/admission.h"

#include <fmt/format.h>

namespace napster {

ConnectionAdmission::ConnectionAdmission(AdmissionLimits limits, std::string max_pending_key,
                                         std::string max_per_address_key)
    : limits_(limits), max_pending_key_(std::move(max_pending_key)),
      max_per_address_key_(std::move(max_per_address_key)) {}

std::size_t ConnectionAdmission::from(const std::string& address) const {
    auto it = count_by_address_.find(address);
    return it == count_by_address_.end() ? 0 : it->second;
}

ConnectionAdmission::Decision ConnectionAdmission::arrive(const std::string& address) {
    Decision decision;
    if (limits_.max_per_address != 0 && from(address) >= limits_.max_per_address) {
        auto own = pending_by_address_.find(address);
        if (own == pending_by_address_.end() || own->second.empty()) {
            ++turned_away_;
            decision.refusal = fmt::format("too many connections from {}: {} is {}", address,
                                           max_per_address_key_, limits_.max_per_address);
            return decision;
        }
        Id oldest = *own->second.begin();
        ++turned_away_;
        decision.evicted.push_back(oldest);
        leave(oldest); // counted out now; its own leave() later is a no-op
    }
    if (limits_.max_pending != 0 && pending_.size() >= limits_.max_pending) {
        Id oldest = *pending_.begin();
        ++turned_away_;
        decision.evicted.push_back(oldest);
        leave(oldest);
    }
    Id id = next_id_++;
    live_.emplace(id, Entry{address, true});
    pending_.insert(id);
    pending_by_address_[address].insert(id);
    ++count_by_address_[address];
    decision.admitted = id;
    return decision;
}

void ConnectionAdmission::establish(Id id) {
    auto it = live_.find(id);
    if (it == live_.end() || !it->second.pending) return;
    it->second.pending = false;
    pending_.erase(id);
    auto own = pending_by_address_.find(it->second.address);
    own->second.erase(id);
    if (own->second.empty()) pending_by_address_.erase(own);
}

void ConnectionAdmission::leave(Id id) {
    auto it = live_.find(id);
    if (it == live_.end()) return;
    establish(id); // out of the pending sets
    auto count = count_by_address_.find(it->second.address);
    if (--count->second == 0) count_by_address_.erase(count);
    live_.erase(it);
}

std::optional<std::uint64_t> ConnectionAdmission::due_report(std::uint64_t now_ms, std::uint64_t interval_ms) {
    if (turned_away_ == reported_) return std::nullopt;
    if (reported_at_ms_ && now_ms - *reported_at_ms_ < interval_ms) return std::nullopt;
    std::uint64_t count = turned_away_ - reported_;
    reported_ = turned_away_;
    reported_at_ms_ = now_ms;
    return count;
}

} // namespace napster
