// SPDX-License-Identifier: MIT
#include "fs/change_queue.h"

#include <algorithm>

namespace napster {

void ChangeQueue::touched(const Key& key, std::uint64_t now_ms) {
    auto [it, inserted] = pending_.try_emplace(key, Pending{now_ms, now_ms + quiet_ms_, false});
    if (inserted || it->second.settled) return;
    // Each write pushes the deadline out, but never past the first event's
    // maximum wait.
    it->second.due_ms = std::min(now_ms + quiet_ms_, it->second.first_ms + max_wait_ms_);
}

void ChangeQueue::settled(const Key& key, std::uint64_t now_ms) {
    auto [it, inserted] = pending_.try_emplace(key, Pending{now_ms, now_ms, true});
    if (inserted) return;
    it->second.settled = true;
    it->second.due_ms = std::min(it->second.due_ms, now_ms);
}

void ChangeQueue::forget_subtree(std::uint32_t root, const std::string& prefix) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        const auto& [r, path] = it->first;
        bool below = r == root && (prefix.empty() || (path.size() > prefix.size() &&
                                                      path.compare(0, prefix.size(), prefix) == 0 &&
                                                      path[prefix.size()] == '/'));
        it = below ? pending_.erase(it) : std::next(it);
    }
}

std::vector<ChangeQueue::Key> ChangeQueue::take_due(std::uint64_t now_ms) {
    std::vector<Key> due;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.due_ms <= now_ms) {
            due.push_back(it->first);
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
    return due;
}

std::optional<std::uint64_t> ChangeQueue::next_due_in(std::uint64_t now_ms) const {
    if (pending_.empty()) return std::nullopt;
    std::uint64_t next = UINT64_MAX;
    for (const auto& [key, p] : pending_) next = std::min(next, p.due_ms);
    return next <= now_ms ? 0 : next - now_ms;
}

} // namespace napster
