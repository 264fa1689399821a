// SPDX-License-Identifier: MIT
#include "event/handle_close.h"

#include "loop_test_support.h"

#include <doctest/doctest.h>

using namespace napster;
using napster::test::TestLoop;

namespace {

// A heap object holding a handle, as the event layer's classes do; it
// counts its deletions so a test sees when (and how often) it was freed.
struct Owner {
    explicit Owner(uv_loop_t* loop, int& deleted) : deleted(deleted) {
        uv_timer_init(loop, &timer);
        timer.data = this;
    }
    ~Owner() { ++deleted; }
    uv_timer_t timer{};
    int& deleted;
};

} // namespace

TEST_CASE("close_and_delete frees the owner in uv_close's callback, not before") {
    TestLoop loop;
    int deleted = 0;
    auto* owner = new Owner(loop.get(), deleted);
    uv_timer_start(
        &owner->timer, [](uv_timer_t*) { FAIL("a closed timer fired"); }, 0, 0);
    close_and_delete<Owner>(&owner->timer);
    // libuv still holds the handle until its close callback: the owner must
    // still be there.
    CHECK(deleted == 0);
    CHECK(uv_is_closing(reinterpret_cast<uv_handle_t*>(&owner->timer)));
    CHECK(loop.close());
    CHECK(deleted == 1);
}

TEST_CASE("closing again before the close callback has run does nothing") {
    TestLoop loop;
    int deleted = 0;
    auto* owner = new Owner(loop.get(), deleted);
    close_and_delete<Owner>(&owner->timer);
    close_and_delete<Owner>(&owner->timer);
    CHECK(loop.close());
    CHECK(deleted == 1);
}

TEST_CASE("close_handle runs its callback once however often it is called") {
    TestLoop loop;
    struct Counted {
        uv_idle_t idle{};
        int closed = 0;
    } counted;
    uv_idle_init(loop.get(), &counted.idle);
    counted.idle.data = &counted;
    auto on_closed = [](uv_handle_t* h) { ++static_cast<Counted*>(h->data)->closed; };
    close_handle(&counted.idle, on_closed);
    close_handle(&counted.idle, on_closed);
    CHECK(counted.closed == 0);
    CHECK(loop.close());
    CHECK(counted.closed == 1);
}
