// SPDX-License-Identifier: MIT
#pragma once

// The open-file limit a daemon runs with. The soft RLIMIT_NOFILE is often
// 1,024 while napindexd's default limits.max_peers is 10,000, so each
// daemon raises its soft limit to the hard one at start and says once
// when even that is below what its configured limits need.

#include <sys/resource.h>

#include <cstdint>
#include <optional>
#include <string>

namespace napster {

struct FdLimitPlan {
    rlim_t soft = 0;             // what to set the soft limit to
    std::optional<std::string> warning; // set when the hard limit is too low
};

// Pure: the plan for `current` limits when the daemon needs `needed`
// descriptors. `setting` names what makes it need them, for the warning
// ("limits.max_peers is 10000").
FdLimitPlan plan_fd_limit(const rlimit& current, std::uint64_t needed, const std::string& setting);

// Applies the plan to this process; returns the warning to log, if any
// (including a setrlimit that failed).
std::optional<std::string> raise_fd_limit(std::uint64_t needed, const std::string& setting);

} // namespace napster
