// SPDX-License-Identifier: MIT
#include "ctl/interrupt.h"

#include <csignal>

namespace napster::ctl {
namespace {

volatile std::sig_atomic_t interrupt_seen = 0;

void on_interrupt(int) { interrupt_seen = 1; }

} // namespace

InterruptWatch::InterruptWatch() {
    interrupt_seen = 0;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old_mask_);
    wait_mask_ = old_mask_;
    sigdelset(&wait_mask_, SIGINT);
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; // no SA_RESTART: the wait returns EINTR
    sigaction(SIGINT, &action, &old_action_);
}

InterruptWatch::~InterruptWatch() {
    sigaction(SIGINT, &old_action_, nullptr);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

bool InterruptWatch::interrupted() const { return interrupt_seen != 0; }

} // namespace napster::ctl
