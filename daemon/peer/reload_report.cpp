// SPDX-License-Identifier: MIT
#include "peer/reload_report.h"

namespace napster {

protocol::ReloadResult reload_result(const ConfigDiff& diff, const std::string& source) {
    protocol::ReloadResult result;
    result.source = source;
    for (const auto& change : diff.changes) {
        if (change.key != "share.dirs") {
            result.changes.push_back({change.key, change.live, change.before, change.after});
            continue;
        }
        for (const auto& dir : diff.dirs_removed) result.changes.push_back({change.key, change.live, dir, ""});
        for (const auto& dir : diff.dirs_added) result.changes.push_back({change.key, change.live, "", dir});
    }
    protocol::fit_reload_result(result);
    return result;
}
} // namespace napster
