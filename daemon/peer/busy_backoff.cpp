// SPDX-License-Identifier: MIT
#include "peer/busy_backoff.h"

#include <algorithm>

namespace napster {

std::optional<std::uint64_t> BusyBackoff::next_delay(std::uint64_t now_ms, std::uint32_t random) {
    if (rounds_ == 0) first_busy_ms_ = now_ms;
    if (now_ms - first_busy_ms_ >= limits_.give_up_ms) return std::nullopt;
    step_ms_ = rounds_ == 0 ? limits_.first_ms : std::min(step_ms_ * 2, limits_.max_ms);
    ++rounds_;
    return step_ms_ / 2 + random % (step_ms_ / 2 + 1);
}

void BusyBackoff::reset() {
    rounds_ = 0;
    step_ms_ = 0;
}

} // namespace napster
