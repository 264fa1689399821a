// SPDX-License-Identifier: MIT
#pragma once

// A libuv timer with a callback. Destroying a Timer stops it at once; the
// handle's memory is released later, in uv_close's callback, so an owner can
// simply hold a Timer by value. Loop thread only.

#include <uv.h>

#include <cstdint>
#include <functional>

namespace napster {

class Timer {
public:
    explicit Timer(uv_loop_t* loop);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    void start_once(std::uint64_t delay_ms, std::function<void()> callback);
    void start_repeating(std::uint64_t interval_ms, std::function<void()> callback);
    void stop();
    bool active() const;
    // Milliseconds until it fires, 0 when stopped.
    std::uint64_t due_in_ms() const;

private:
    struct State {
        uv_timer_t timer{};
        std::function<void()> callback;
    };
    static void on_timer(uv_timer_t* timer);
    State* state_;
};

// SIGINT, SIGTERM and SIGHUP as loop events. Same ownership rule as Timer.
class SignalWatch {
public:
    SignalWatch(uv_loop_t* loop, std::function<void()> on_stop, std::function<void()> on_reload);
    ~SignalWatch();
    SignalWatch(const SignalWatch&) = delete;
    SignalWatch& operator=(const SignalWatch&) = delete;

private:
    struct State {
        uv_signal_t signals[3]{};
        std::function<void()> on_stop;
        std::function<void()> on_reload;
        int open = 3;
    };
    State* state_;
};

// Runs the loop until every handle has closed, then closes the loop.
// Returns false (after force-closing them) if handles were left open: a bug.
bool drain_and_close_loop(uv_loop_t* loop);

} // namespace napster
