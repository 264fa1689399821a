// SPDX-License-Identifier: MIT
#include "event/timer.h"

#include "event/handle_close.h"

#include <csignal>

namespace napster {

Timer::Timer(uv_loop_t* loop) : state_(new State) {
    uv_timer_init(loop, &state_->timer);
    state_->timer.data = state_;
}

Timer::~Timer() { close_and_delete<State>(&state_->timer); }

void Timer::on_timer(uv_timer_t* timer) {
    auto* state = static_cast<State*>(timer->data);
    // Copy: the callback may restart the timer with a new one.
    auto callback = state->callback;
    callback();
}

void Timer::start_once(std::uint64_t delay_ms, std::function<void()> callback) {
    state_->callback = std::move(callback);
    uv_timer_start(&state_->timer, on_timer, delay_ms, 0);
}

void Timer::start_repeating(std::uint64_t interval_ms, std::function<void()> callback) {
    state_->callback = std::move(callback);
    uv_timer_start(&state_->timer, on_timer, interval_ms, interval_ms);
}

void Timer::stop() { uv_timer_stop(&state_->timer); }

bool Timer::active() const {
    return uv_is_active(reinterpret_cast<const uv_handle_t*>(&state_->timer)) != 0;
}

std::uint64_t Timer::due_in_ms() const {
    if (!active()) return 0;
    std::uint64_t due = uv_timer_get_due_in(&state_->timer);
    return due;
}

SignalWatch::SignalWatch(uv_loop_t* loop, std::function<void()> on_stop,
                         std::function<void()> on_reload)
    : state_(new State) {
    state_->on_stop = std::move(on_stop);
    state_->on_reload = std::move(on_reload);
    constexpr int numbers[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; ++i) {
        uv_signal_init(loop, &state_->signals[i]);
        state_->signals[i].data = state_;
        uv_signal_start(
            &state_->signals[i],
            [](uv_signal_t* h, int signum) {
                auto* state = static_cast<State*>(h->data);
                if (signum == SIGHUP)
                    state->on_reload();
                else
                    state->on_stop();
            },
            numbers[i]);
        // Signals alone must not keep the loop running once the daemon has
        // closed everything else.
        uv_unref(reinterpret_cast<uv_handle_t*>(&state_->signals[i]));
    }
}

SignalWatch::~SignalWatch() {
    // Three handles share one State: the last close callback frees it.
    for (auto& s : state_->signals)
        close_handle(&s, [](uv_handle_t* h) {
            auto* state = static_cast<State*>(h->data);
            if (--state->open == 0) delete state;
        });
}

bool drain_and_close_loop(uv_loop_t* loop) {
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) == 0) return true;
    uv_walk(
        loop,
        [](uv_handle_t* h, void*) {
            if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return false;
}

} // namespace napster
