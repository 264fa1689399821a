// SPDX-License-Identifier: MIT
#include "event/service_run.h"

#include "event/service_notifier.h"
#include "event/timer.h"

#include <cstdio>
#include <cstdlib>

namespace napster {
namespace {

// The notifier of the run_service() in progress, for ReloadNotice: one
// service a process, on the loop thread.
ServiceNotifier* running_notifier = nullptr;

} // namespace

ReloadNotice::ReloadNotice() {
    if (running_notifier) running_notifier->reloading();
}

ReloadNotice::~ReloadNotice() {
    if (running_notifier) running_notifier->ready();
}

int run_service(uv_loop_t* loop, Logger& log, const ServiceHooks& hooks) {
    ServiceNotifier notifier(loop, log);
    running_notifier = &notifier;
    struct Forget {
        ~Forget() { running_notifier = nullptr; }
    } forget;
    SignalWatch signals(
        loop,
        [&] {
            notifier.stopping();
            log.info("stopping: {}", hooks.summary());
            hooks.stop();
        },
        [&] {
            notifier.reloading();
            log.info("SIGHUP: reloading the config");
            if (auto reloaded = hooks.reload(); !reloaded)
                log.error("reload refused, keeping the running config: {}", reloaded.error().message);
            // Serving all along: a refused reload keeps the old config.
            notifier.ready();
        });
    // The handlers are in place before start(): a SIGTERM that comes while
    // the daemon starts (`systemctl stop` right after `start`, a test that
    // stops at once) stops it cleanly once the loop runs, instead of
    // killing it by the default action.
    if (auto started = hooks.start(); !started) {
        log.error("{}", started.error().message);
        hooks.stop();
        notifier.status(started.error().message);
        notifier.stopping();
        return 1;
    }
    if (hooks.started) hooks.started();
    // The listeners are bound.
    notifier.ready();
    notifier.watch_status(hooks.summary, 1000);
    uv_run(loop, UV_RUN_DEFAULT);
    return 0;
}

void init_loop(uv_loop_t* loop) {
    // Fails only without memory or file descriptors for the loop's own
    // epoll and eventfd: nothing a daemon could go on without.
    if (int rc = uv_loop_init(loop); rc != 0) {
        std::fprintf(stderr, "cannot start the event loop: %s\n", uv_strerror(rc));
        std::exit(1);
    }
    // For LoopTurnWatch: the time spent waiting for events. Two clock
    // reads a turn.
    uv_loop_configure(loop, UV_METRICS_IDLE_TIME);
}

void finish_loop(uv_loop_t* loop, Logger& log, int exit_code) {
    if (!drain_and_close_loop(loop)) log.error("bug: handles were left open at exit");
    if (exit_code == 0) log.info("stopped");
}

} // namespace napster
