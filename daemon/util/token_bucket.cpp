// SPDX-License-Identifier: MIT
#include "util/token_bucket.h"

#include <algorithm>
#include <limits>

namespace napster {

std::uint64_t TokenBucket::burst() const {
    return std::max(min_burst, rate_ / 10);
}

void TokenBucket::set_rate(std::uint64_t rate, std::uint64_t now_ms) {
    rate_ = rate;
    last_ms_ = now_ms;
    carry_ = 0;
    tokens_ = static_cast<std::int64_t>(burst());
}

void TokenBucket::refill(std::uint64_t now_ms) {
    if (now_ms <= last_ms_) return;
    std::uint64_t elapsed = now_ms - last_ms_;
    last_ms_ = now_ms;
    auto cap = static_cast<std::int64_t>(burst());
    if (tokens_ >= cap) return;
    // rate * elapsed / 1000 without overflow, for rates up to 2^40: a day
    // refills any burst from any debt a read can leave.
    elapsed = std::min<std::uint64_t>(elapsed, 86'400'000);
    std::uint64_t part = (rate_ % 1000) * elapsed + carry_;
    std::uint64_t whole = rate_ / 1000 * elapsed + part / 1000;
    carry_ = part % 1000;
    whole = std::min<std::uint64_t>(whole, std::uint64_t{1} << 62);
    tokens_ = std::min<std::int64_t>(cap, tokens_ + static_cast<std::int64_t>(whole));
}

std::uint64_t TokenBucket::available(std::uint64_t now_ms) {
    if (!limited()) return std::numeric_limits<std::uint64_t>::max();
    refill(now_ms);
    return tokens_ > 0 ? static_cast<std::uint64_t>(tokens_) : 0;
}

void TokenBucket::take(std::uint64_t now_ms, std::uint64_t bytes) {
    if (!limited()) return;
    refill(now_ms);
    bytes = std::min<std::uint64_t>(bytes, std::uint64_t{1} << 62);
    tokens_ -= static_cast<std::int64_t>(bytes);
}

std::uint64_t TokenBucket::wait_ms(std::uint64_t now_ms, std::uint64_t bytes) {
    if (!limited()) return 0;
    refill(now_ms);
    auto want = static_cast<std::int64_t>(std::min(bytes, burst()));
    if (tokens_ >= want) return 0;
    auto missing = std::min<std::uint64_t>(static_cast<std::uint64_t>(want - tokens_), std::uint64_t{1} << 40);
    return (missing * 1000 + rate_ - 1) / rate_;
}

} // namespace napster
