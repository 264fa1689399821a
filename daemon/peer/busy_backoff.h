// SPDX-License-Identifier: MIT
#pragma once

// How long a download waits when every holder it may use answered ERROR
// busy (upload.max_concurrent reached) before asking them again: capped
// exponential backoff with jitter, so downloaders refused together do not
// come back together; given up once the holders have been busy for
// give_up_ms since the first busy answer. Pure: the caller gives the time
// and the random numbers.

#include <cstdint>
#include <optional>

namespace napster {

class BusyBackoff {
public:
    struct Limits {
        std::uint64_t first_ms = 500;
        std::uint64_t max_ms = 10'000;
        std::uint64_t give_up_ms = 300'000;
    };

    BusyBackoff() = default;
    explicit BusyBackoff(Limits limits) : limits_(limits) {}

    // Every holder is busy at now_ms: how long to wait, between half the
    // current step and the step (first_ms, doubled each round, at most
    // max_ms), or nothing once give_up_ms have passed since the first busy
    // round.
    std::optional<std::uint64_t> next_delay(std::uint64_t now_ms, std::uint32_t random);
    // A holder accepted: the next busy round starts over from first_ms.
    void reset();

    std::uint32_t rounds() const { return rounds_; }
    // Since the first busy round, when there is one.
    std::uint64_t waited_ms(std::uint64_t now_ms) const { return rounds_ ? now_ms - first_busy_ms_ : 0; }

private:
    Limits limits_;
    std::uint32_t rounds_ = 0;
    std::uint64_t step_ms_ = 0;
    std::uint64_t first_busy_ms_ = 0;
};

} // namespace napster
