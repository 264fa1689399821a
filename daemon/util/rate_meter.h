// SPDX-License-Identifier: MIT
#pragma once

// The current rate of a transfer: bytes over the last few seconds, from
// samples of (time, bytes done so far), and the time left at that rate.
// Pure: the caller passes the time, so tests need no clock. napeerd keeps
// one per transfer (TRANSFERS_RESULT); napctl one per followed fetch, fed
// with the elapsed times FETCH_PROGRESS carries.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace napster {

class RateMeter {
public:
    // The rate is measured over this much of the latest history.
    static constexpr std::uint64_t window_ms = 5'000;
    // Samples closer than this to the previous one replace it: a meter fed
    // at every socket read stays a few dozen samples.
    static constexpr std::uint64_t min_spacing_ms = 250;
    // Less history than this measures mostly the connection setup: no rate.
    static constexpr std::uint64_t min_span_ms = 500;

    // `bytes` is the total done so far; a smaller value than before (a
    // download that starts the file again) starts the history again.
    void sample(std::uint64_t now_ms, std::uint64_t bytes);
    // Bytes a second over the window up to the latest sample; none until
    // min_span_ms of history.
    std::optional<std::uint64_t> rate() const;
    // Seconds until `total` at rate(), rounded up; none without a rate
    // above 0 (a stalled transfer has no end in sight).
    std::optional<std::uint64_t> eta_seconds(std::uint64_t total) const;
    // Bytes a second from the first sample to the latest.
    std::optional<std::uint64_t> average() const;

private:
    struct Sample {
        std::uint64_t ms;
        std::uint64_t bytes;
    };
    std::vector<Sample> samples_; // oldest first, spanning at most window_ms beyond the latest
    std::optional<Sample> first_;
};

} // namespace napster
