// SPDX-License-Identifier: MIT
#include "util/rate_meter.h"

#include <algorithm>

namespace napster {

void RateMeter::sample(std::uint64_t now_ms, std::uint64_t bytes) {
    if (!samples_.empty() && (bytes < samples_.back().bytes || now_ms < samples_.back().ms)) {
        samples_.clear();
        first_.reset();
    }
    if (!first_) first_ = Sample{now_ms, bytes};
    // The one before the latest stays at least min_spacing_ms back, so the
    // latest may move on without growing the history.
    if (samples_.size() >= 2 && now_ms - samples_[samples_.size() - 2].ms < min_spacing_ms)
        samples_.back() = Sample{now_ms, bytes};
    else
        samples_.push_back(Sample{now_ms, bytes});
    // Keep one sample at or before the window's start, to measure the
    // whole window.
    while (samples_.size() > 2 && now_ms - samples_[1].ms >= window_ms) samples_.erase(samples_.begin());
}

std::optional<std::uint64_t> RateMeter::rate() const {
    if (samples_.size() < 2) return std::nullopt;
    const Sample& last = samples_.back();
    // The oldest sample kept may lie before the window: measure from the
    // window's start, taking the bytes as they were then (the oldest kept).
    Sample from = samples_.front();
    std::uint64_t span = last.ms - from.ms;
    if (span < min_span_ms) return std::nullopt;
    return (last.bytes - from.bytes) * 1000 / span;
}

std::optional<std::uint64_t> RateMeter::eta_seconds(std::uint64_t total) const {
    auto current = rate();
    if (!current || *current == 0 || samples_.empty()) return std::nullopt;
    std::uint64_t done = samples_.back().bytes;
    if (done >= total) return 0;
    return (total - done + *current - 1) / *current;
}

std::optional<std::uint64_t> RateMeter::average() const {
    if (!first_ || samples_.empty()) return std::nullopt;
    std::uint64_t span = samples_.back().ms - first_->ms;
    if (span == 0) return std::nullopt;
    return (samples_.back().bytes - first_->bytes) * 1000 / span;
}

} // namespace napster
