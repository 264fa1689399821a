// SPDX-License-Identifier: MIT
#include "util/fd_limit.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace napster {

FdLimitPlan plan_fd_limit(const rlimit& current, std::uint64_t needed, const std::string& setting) {
    FdLimitPlan plan;
    // Never lower a soft limit someone raised on purpose.
    plan.soft = current.rlim_max == RLIM_INFINITY || current.rlim_max > current.rlim_cur ? current.rlim_max
                                                                                       : current.rlim_cur;
    if (plan.soft != RLIM_INFINITY && plan.soft < needed)
        plan.warning = fmt::format("open-file limit is {}, but {} needs about {}; raise it (LimitNOFILE= in the "
                                   "unit, or ulimit -n) or lower the setting",
                                   plan.soft, setting, needed);
    return plan;
}

std::optional<std::string> raise_fd_limit(std::uint64_t needed, const std::string& setting) {
    rlimit current{};
    if (getrlimit(RLIMIT_NOFILE, &current) != 0)
        return fmt::format("cannot read the open-file limit: {}", std::strerror(errno));
    FdLimitPlan plan = plan_fd_limit(current, needed, setting);
    if (plan.soft != current.rlim_cur) {
        rlimit raised = current;
        raised.rlim_cur = plan.soft;
        if (setrlimit(RLIMIT_NOFILE, &raised) != 0)
            return fmt::format("cannot raise the open-file limit from {} to {}: {}", current.rlim_cur, plan.soft,
                               std::strerror(errno));
    }
    return plan.warning;
}

} // namespace napster
