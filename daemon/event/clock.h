// SPDX-License-Identifier: MIT
#pragma once

// The loop's clock, so that code above the event layer never calls libuv
// for the time.

#include <uv.h>

#include <cstdint>

namespace napster {

// Milliseconds on a monotonic clock with an arbitrary origin, as cached at
// the start of the current loop iteration: every callback of one iteration
// sees the same value, and timers are measured against it. Loop thread only.
inline std::uint64_t now_ms(uv_loop_t* loop) {
    return uv_now(loop);
}

} // namespace napster
