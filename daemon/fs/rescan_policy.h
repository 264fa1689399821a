// SPDX-License-Identifier: MIT
#pragma once

// When inotify can no longer follow a share, what napeerd does about it.
// Pure: the watcher reports causes and acts on the decisions.
//
// The first cause, whatever it is, starts rescans every interval (unless
// the interval is 0, in which case only `napctl rescan` helps); a full
// event queue also asks for a rescan at once, since events were lost; the
// watch limit is explained once, with the sysctl that raises it.

#include <cstdint>

namespace napster {

class RescanPolicy {
public:
    enum class Cause {
        no_inotify,     // inotify_init failed (max_user_instances)
        watch_limit,    // inotify_add_watch: ENOSPC (max_user_watches)
        watch_failed,   // inotify_add_watch: another error
        queue_overflow, // IN_Q_OVERFLOW (max_queued_events)
    };

    struct Decision {
        bool explain_limit = false;  // log the limit and the sysctl to raise it
        bool announce = false;       // log that napeerd falls back to rescans
        bool start_periodic = false; // start rescanning every interval
        bool rescan_now = false;     // events were lost: walk everything now
    };

    explicit RescanPolicy(std::uint32_t interval_seconds) : interval_seconds_(interval_seconds) {}

    Decision degrade(Cause cause);

    // share.rescan_interval changed at a reload.
    void set_interval(std::uint32_t seconds) { interval_seconds_ = seconds; }

    bool degraded() const { return degraded_; }
    std::uint32_t interval_seconds() const { return interval_seconds_; }

private:
    std::uint32_t interval_seconds_;
    bool degraded_ = false;
    bool limit_explained_ = false;
};

} // namespace napster
