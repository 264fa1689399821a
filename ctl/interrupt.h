// SPDX-License-Identifier: MIT
#pragma once

// Ctrl-C while napctl follows a download (fetch, wait): napctl stops
// following and says so, and the transfer goes on in napeerd. While an
// InterruptWatch lives, SIGINT is blocked except inside the ControlClient's
// wait for a frame (ppoll with wait_mask()), so a Ctrl-C is never lost
// between checking the flag and starting to wait.
//
// One at a time (a signal handler has one flag to set); main thread only.

#include <signal.h>

namespace napster::ctl {

class InterruptWatch {
public:
    InterruptWatch();
    ~InterruptWatch();
    InterruptWatch(const InterruptWatch&) = delete;
    InterruptWatch& operator=(const InterruptWatch&) = delete;

    // The signal mask to wait with: SIGINT let through.
    const sigset_t* wait_mask() const { return &wait_mask_; }
    bool interrupted() const;

private:
    struct sigaction old_action_ {};
    sigset_t old_mask_{};
    sigset_t wait_mask_{};
};

} // namespace napster::ctl
