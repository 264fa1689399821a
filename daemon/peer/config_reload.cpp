// SPDX-License-Identifier: MIT
// PeerDaemon's reload: what SIGHUP and napctl reload apply.

#include "event/clock.h"
#include "peer/peer_daemon.h"
#include "peer/reload_report.h"

#include <fmt/format.h>

#include <algorithm>

namespace napster {

void PeerDaemon::reload_limits(const PeerConfig& fresh) {
    auto apply = [this](TokenBucket& bucket, std::uint64_t& current, std::uint64_t rate) {
        if (current == rate) return;
        current = rate;
        bucket.set_rate(rate, now_ms(loop_));
    };
    apply(upload_limit_, config_.upload_rate_limit, fresh.upload_rate_limit);
    apply(download_limit_, config_.download_rate_limit, fresh.download_rate_limit);
}

Result<ConfigDiff> PeerDaemon::reload(const PeerConfig& fresh) {
    if (stopping_) return make_error(ErrorCode::busy, "napeerd is shutting down");
    ConfigDiff diff = diff_peer_config(loaded_, fresh);
    // Checked before anything changes: a reload applies whole or not at all.
    if (auto checked = check_share_dirs(diff.dirs_added, fresh); !checked) return checked.error();

    std::string source = fresh.source.empty() ? std::string("built-in defaults") : fresh.source;
    // The reload's own lines go out at the more verbose of the two levels:
    // "log.level is now warn" is seen, and so is "now debug".
    log_.set_level(std::max(log_.level(), fresh.log_level));
    reload_limits(fresh);
    apply_live_keys(config_, fresh);
    apply_live_keys(loaded_, fresh);
    uploads_.set_admission_limits({config_.upload_max_pending, config_.upload_max_per_address});
    control_.set_admission_limits({config_.control_max_pending, config_.control_max_per_user});
    watcher_.set_rescan_interval(config_.rescan_interval);
    hasher_.hash_jobs_changed();
    if (!diff.dirs_added.empty() || !diff.dirs_removed.empty()) watcher_.change_roots(share_roots(config_));

    protocol::ReloadResult report = reload_result(diff, source);
    if (report.changes.empty()) log_.info("reloaded {}: nothing changed", source);
    for (const auto& change : report.changes) {
        if (change.live)
            log_.info("reload: {}", protocol::reload_text(change));
        else
            log_.warn("reload: {}", protocol::reload_text(change));
    }
    if (report.left_out) log_.info("reload: ... and {} more changes", report.left_out);
    log_.set_level(fresh.log_level);
    return diff;
}

Result<ConfigDiff> PeerDaemon::reload_from_file() {
    if (!loader_) return make_error(ErrorCode::internal, "no config file to reload from");
    auto fresh = loader_();
    if (!fresh) return fresh.error();
    return reload(*fresh);
}

} // namespace napster
