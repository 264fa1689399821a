// SPDX-License-Identifier: MIT
#pragma once

// A libuv loop for one test case. Tests of the event layer run it until
// what they wait for has happened, then check that it closes cleanly: a
// handle left open (or closed twice) is a bug in the code under test.
// A deadline ends a run that would otherwise hang, so a broken test fails
// instead of stalling the suite.

#include "event/timer.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <cstdint>
#include <functional>

namespace napster::test {

class TestLoop {
public:
    TestLoop() {
        REQUIRE(uv_loop_init(&loop_) == 0);
        // Both handles are unreferenced: they must not keep the loop alive
        // by themselves, so a run with nothing left to wait for returns.
        uv_prepare_init(&loop_, &prepare_);
        prepare_.data = this;
        uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
        uv_timer_init(&loop_, &deadline_);
        deadline_.data = this;
        uv_unref(reinterpret_cast<uv_handle_t*>(&deadline_));
    }
    ~TestLoop() {
        if (!closed_) close();
    }
    TestLoop(const TestLoop&) = delete;
    TestLoop& operator=(const TestLoop&) = delete;

    uv_loop_t* get() { return &loop_; }

    // Runs the loop until `done()` holds; false when the loop ran out of
    // work or `deadline_ms` passed first. `done` is checked before each
    // poll, so a run stops right after the callback that satisfied it
    // instead of blocking for the next event.
    bool run_until(const std::function<bool()>& done, std::uint64_t deadline_ms = 10'000) {
        if (done()) return true;
        done_ = &done;
        uv_prepare_start(&prepare_, [](uv_prepare_t* p) {
            if ((*static_cast<TestLoop*>(p->data)->done_)()) uv_stop(p->loop);
        });
        uv_timer_start(
            &deadline_, [](uv_timer_t* t) { uv_stop(t->loop); }, deadline_ms, 0);
        uv_run(&loop_, UV_RUN_DEFAULT);
        uv_prepare_stop(&prepare_);
        uv_timer_stop(&deadline_);
        done_ = nullptr;
        return done();
    }

    // Runs until every handle has closed and closes the loop; false if
    // handles were still open (they are force-closed then).
    bool close() {
        closed_ = true;
        // Members of this object, which outlives the loop: nothing to free.
        uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
        return drain_and_close_loop(&loop_);
    }

private:
    uv_loop_t loop_{};
    uv_prepare_t prepare_{};
    uv_timer_t deadline_{};
    const std::function<bool()>* done_ = nullptr;
    bool closed_ = false;
};

} // namespace napster::test
