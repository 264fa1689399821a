// SPDX-License-Identifier: MIT
#pragma once

// How long the loop's turns take. A turn is everything between two waits
// for events: while it runs, no other connection is served, so its length
// is the delay a busy daemon adds to everyone. Measured from one prepare
// phase to the next, minus the time libuv spent waiting in between (its
// idle-time metric, which init_loop turns on). The longest turn since the
// last take_longest_us() is kept, and the longest of all. Same ownership rule as Timer; it never
// keeps the loop alive by itself. Loop thread only.

#include <uv.h>

#include <cstdint>

namespace napster {

class LoopTurnWatch {
public:
    explicit LoopTurnWatch(uv_loop_t* loop);
    ~LoopTurnWatch();
    LoopTurnWatch(const LoopTurnWatch&) = delete;
    LoopTurnWatch& operator=(const LoopTurnWatch&) = delete;

    // The longest turn, in microseconds, since the last call (or since it
    // was made); the next call starts afresh.
    std::uint64_t take_longest_us();
    // The longest turn, in microseconds, since it was made.
    std::uint64_t longest_ever_us() const;

private:
    struct State {
        uv_prepare_t prepare{};
        std::uint64_t last_ns = 0;      // the last prepare phase, uv_hrtime
        std::uint64_t last_idle_ns = 0; // uv_metrics_idle_time then
        std::uint64_t longest_ns = 0;
        std::uint64_t longest_ever_ns = 0;
    };
    static void on_prepare(uv_prepare_t* prepare);
    State* state_;
};

} // namespace napster
