// SPDX-License-Identifier: MIT
#include "event/loop_turns.h"

#include "event/handle_close.h"

#include <algorithm>

namespace napster {

LoopTurnWatch::LoopTurnWatch(uv_loop_t* loop) : state_(new State) {
    uv_prepare_init(loop, &state_->prepare);
    state_->prepare.data = state_;
    uv_prepare_start(&state_->prepare, on_prepare);
    uv_unref(reinterpret_cast<uv_handle_t*>(&state_->prepare));
}

LoopTurnWatch::~LoopTurnWatch() { close_and_delete<State>(&state_->prepare); }

void LoopTurnWatch::on_prepare(uv_prepare_t* prepare) {
    auto* state = static_cast<State*>(prepare->data);
    const std::uint64_t now = uv_hrtime();
    const std::uint64_t idle = uv_metrics_idle_time(prepare->loop);
    if (state->last_ns != 0) {
        const std::uint64_t elapsed = now - state->last_ns;
        const std::uint64_t waited = idle - state->last_idle_ns;
        if (elapsed > waited) {
            state->longest_ns = std::max(state->longest_ns, elapsed - waited);
            state->longest_ever_ns = std::max(state->longest_ever_ns, elapsed - waited);
        }
    }
    state->last_ns = now;
    state->last_idle_ns = idle;
}

std::uint64_t LoopTurnWatch::longest_ever_us() const { return state_->longest_ever_ns / 1000; }

std::uint64_t LoopTurnWatch::take_longest_us() {
    const std::uint64_t longest = state_->longest_ns / 1000;
    state_->longest_ns = 0;
    return longest;
}

} // namespace napster
