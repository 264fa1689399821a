// SPDX-License-Identifier: MIT
#pragma once

// Runs blocking work on libuv's thread pool and its continuation back on
// the loop. The work must touch only what it captured by value or owns; the
// continuation may touch anything, and its captures must stay alive until
// it runs (uv_run does not return while work is queued).

#include <uv.h>

#include <functional>

namespace napster {

void queue_work(uv_loop_t* loop, std::function<void()> work, std::function<void()> done);

} // namespace napster
