// SPDX-License-Identifier: MIT
#include "fs/rescan_policy.h"

namespace napster {

RescanPolicy::Decision RescanPolicy::degrade(Cause cause) {
    Decision d;
    if (cause == Cause::watch_limit && !limit_explained_) {
        d.explain_limit = true;
        limit_explained_ = true;
    }
    if (!degraded_) {
        degraded_ = true;
        d.announce = true;
        d.start_periodic = interval_seconds_ > 0;
    }
    d.rescan_now = cause == Cause::queue_overflow;
    return d;
}

} // namespace napster
