// SPDX-License-Identifier: MIT
#pragma once

// The part of main() both daemons share once their config is loaded: start
// the service, tell systemd, handle SIGTERM/SIGINT (stop) and SIGHUP
// (reload), and run the loop until everything has closed.
// Loop thread only.

#include "util/log.h"
#include "util/result.h"

#include <uv.h>

#include <functional>
#include <string>

namespace napster {

struct ServiceHooks {
    std::function<Status()> start;
    std::function<void()> stop;
    std::function<std::string()> summary;       // for STATUS= and the stop line
    // Re-reads the config and applies it, logging what changed; an error
    // (nothing applied) is logged here.
    std::function<Status()> reload;
    std::function<void()> started;              // logs that it runs, after start()
};

// A reload that comes another way than SIGHUP (napctl reload) tells systemd
// as SIGHUP's does: RELOADING=1 with MONOTONIC_USEC= when made, READY=1 when
// destroyed, whether the reload was applied or refused. Without a running
// run_service() (unit tests), or without $NOTIFY_SOCKET, it sends nothing.
class ReloadNotice {
public:
    ReloadNotice();
    ~ReloadNotice();
    ReloadNotice(const ReloadNotice&) = delete;
    ReloadNotice& operator=(const ReloadNotice&) = delete;
};

// Initialises the loop a daemon's main() runs; finish_loop closes it.
void init_loop(uv_loop_t* loop);

// Returns the exit code: 0 after a clean stop, 1 when start() failed.
// The caller destroys its service after this returns, then drains the loop.
int run_service(uv_loop_t* loop, Logger& log, const ServiceHooks& hooks);

// Runs the loop until the handles closed by destructors are gone, closes
// it, and logs the end.
void finish_loop(uv_loop_t* loop, Logger& log, int exit_code);

} // namespace napster
