// SPDX-License-Identifier: MIT
#include "peer/share_watcher.h"

#include "event/clock.h"
#include "event/work.h"
#include "fs/partial_name.h"
#include "peer/peer_daemon.h"
#include "protocol/name_rules.h"
#include "util/text.h"

#include <sys/inotify.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace napster {
namespace {

// Files named in one log line; more are counted.
constexpr std::size_t names_in_log = 3;

std::uint64_t total_size(const std::vector<ScannedFile>& files) {
    std::uint64_t total = 0;
    for (const auto& f : files) total += f.size;
    return total;
}

bool below_or_at(const std::string& path, const std::string& dir) {
    if (dir.empty()) return true;
    return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

} // namespace

ShareWatcher::ShareWatcher(PeerDaemon& daemon)
    : daemon_(daemon), inotify_(daemon.loop()), flush_timer_(daemon.loop()), rescan_timer_(daemon.loop()),
      policy_(daemon.config().rescan_interval) {}

ShareWatcher::~ShareWatcher() = default;

int ShareWatcher::open() {
    if (auto opened = inotify_.open(); !opened) {
        degrade(RescanPolicy::Cause::no_inotify, opened.error().message);
        return -1;
    }
    // The initial walk adds watches through the descriptor: it is one of
    // our walks, so a stop() during it leaves the descriptor open until it
    // has returned (start() ends it).
    begin_walk();
    initial_walk_ = true;
    return inotify_.fd();
}

void ShareWatcher::start(const ScanResult& initial_scan) {
    if (!stopping_) {
        adopt_watches(initial_scan.watches);
        if (initial_scan.watch_error) note_watch_error(initial_scan.watch_error);
        daemon_.log().debug("watching {} directories", dirs_.size());
    }
    // A degrade above may have started a rescan: end_walk waits for it.
    if (std::exchange(initial_walk_, false)) return end_walk();
    if (!stopping_ && walks_in_flight_ == 0) start_reading();
}

void ShareWatcher::start_reading() {
    inotify_.start([this](const std::vector<InotifyEvent>& events) { on_events(events); });
}

void ShareWatcher::stop() {
    stopping_ = true;
    flush_timer_.stop();
    rescan_timer_.stop();
    // A walk on the thread pool may still add watches through the
    // descriptor: it is closed when the last walk returns (end_walk), so
    // that the number is not reused under it.
    if (walks_in_flight_ == 0) inotify_.close();
    for (auto& waiter : std::exchange(rescan_waiters_, {})) waiter(RescanSummary{daemon_.shares().size(), 0, 0});
}

void ShareWatcher::adopt_watches(const std::vector<WatchedDir>& watches) {
    for (const auto& w : watches) {
        // inotify returns the same descriptor for a directory watched
        // before (a rescan, a directory moved back): repoint it.
        if (auto old = dirs_.find(w.wd); old != dirs_.end()) watches_.erase(old->second);
        dirs_[w.wd] = DirKey{w.root, w.rel_dir};
        watches_[DirKey{w.root, w.rel_dir}] = w.wd;
    }
}

void ShareWatcher::note_watch_error(int error) {
    if (error == ENOSPC)
        degrade(RescanPolicy::Cause::watch_limit, "some directories are not watched");
    else
        degrade(RescanPolicy::Cause::watch_failed,
                fmt::format("a directory could not be watched: {}", std::strerror(error)));
}

void ShareWatcher::degrade(RescanPolicy::Cause cause, const std::string& why) {
    RescanPolicy::Decision d = policy_.degrade(cause);
    if (d.explain_limit)
        daemon_.log().warn("the kernel refuses more inotify watches (fs.inotify.max_user_watches is {}); "
                           "raise it with 'sysctl fs.inotify.max_user_watches=524288'",
                           inotify_limit("max_user_watches"));
    if (d.announce) {
        if (policy_.interval_seconds() == 0)
            daemon_.log().warn("{}; changes there stay unseen until 'napctl rescan' (share.rescan_interval is 0)",
                               why);
        else
            daemon_.log().warn("{}; rescanning every {} s instead (share.rescan_interval)", why,
                               policy_.interval_seconds());
    }
    if (d.start_periodic)
        rescan_timer_.start_repeating(std::uint64_t{policy_.interval_seconds()} * 1000, [this] { rescan(nullptr); });
    if (d.rescan_now) rescan(nullptr);
}

void ShareWatcher::on_events(const std::vector<InotifyEvent>& events) {
    // A walk started by these events stops the reading (begin_walk): the
    // rest wait in the kernel until its watches are known.
    for (const auto& event : events) handle_event(event.wd, event.mask, event.name);
    schedule_flush();
}

void ShareWatcher::handle_event(int wd, std::uint32_t mask, const std::string& name) {
    if (mask & IN_Q_OVERFLOW) {
        degrade(RescanPolicy::Cause::queue_overflow,
                fmt::format("the inotify event queue overflowed (fs.inotify.max_queued_events is {})",
                            inotify_limit("max_queued_events")));
        return;
    }
    auto dir = dirs_.find(wd);
    if (dir == dirs_.end()) return;
    if (mask & IN_IGNORED) {
        watches_.erase(dir->second);
        dirs_.erase(dir);
        return;
    }
    if (name.empty()) return; // the directory itself: its parent reports it
    auto [root, rel_dir] = dir->second;
    std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
    if (relative_path_problem(rel)) return;
    std::uint64_t now = now_ms(daemon_.loop());
    if (mask & IN_ISDIR) {
        if (mask & (IN_DELETE | IN_MOVED_FROM)) drop_subtree(root, rel);
        if (mask & (IN_CREATE | IN_MOVED_TO)) walk_subtree(root, rel);
        return;
    }
    if (is_partial_name(name)) return;
    if (mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB))
        queue_.settled({root, rel}, now);
    else if (mask & (IN_CREATE | IN_MODIFY))
        queue_.touched({root, rel}, now);
}

void ShareWatcher::drop_subtree(std::uint32_t root, const std::string& rel_dir) {
    // A directory moved out of the share keeps its watches unless removed.
    for (auto it = watches_.lower_bound(DirKey{root, rel_dir});
         it != watches_.end() && it->first.first == root && below_or_at(it->first.second, rel_dir);) {
        inotify_.remove(it->second);
        dirs_.erase(it->second);
        it = watches_.erase(it);
    }
    queue_.forget_subtree(root, rel_dir);
    announce(daemon_.shares().replace_subtree(root, rel_dir, {}), "directory removed");
}

void ShareWatcher::walk_subtree(std::uint32_t root, const std::string& rel_dir, bool new_root) {
    begin_walk();
    auto result = std::make_shared<ScanResult>();
    std::string root_path = daemon_.shares().roots().at(root);
    queue_work(
        daemon_.loop(),
        [root, rel_dir, root_path, fd = inotify_.fd(), result] {
            *result = scan_subtree(root, root_path, rel_dir, fd);
        },
        [this, root, rel_dir, root_path, new_root, result] {
            if (!stopping_) {
                adopt_watches(result->watches);
                if (result->watch_error) note_watch_error(result->watch_error);
                queue_.forget_subtree(root, rel_dir);
                ShareDelta delta = daemon_.shares().replace_subtree(root, rel_dir, result->files);
                if (new_root) {
                    for (const auto& problem : result->problems) daemon_.log().warn("cannot share {}", problem);
                    daemon_.log().info("share dir {} added: {} ({} bytes)", printable(root_path),
                                       count_of(result->files.size(), "file", "files"),
                                       group_thousands(total_size(result->files)));
                }
                announce(std::move(delta), new_root ? "share dir added" : "directory added");
            }
            end_walk();
        });
}

void ShareWatcher::change_roots(std::vector<std::string> roots) {
    if (stopping_) return;
    pending_roots_ = std::move(roots);
    if (walks_in_flight_ == 0) apply_roots();
}

void ShareWatcher::apply_roots() {
    std::vector<std::string> wanted = std::move(*pending_roots_);
    pending_roots_.reset();
    ShareCatalog& shares = daemon_.shares();
    // Removed first: a new root that holds an old one (share.dirs gained
    // its parent) then places its own watches, which inotify would
    // otherwise hand back as the old ones' descriptors just removed.
    for (std::uint32_t r = 0; r < shares.roots().size(); ++r) {
        if (!shares.root_active(r)) continue;
        if (std::find(wanted.begin(), wanted.end(), shares.roots()[r]) != wanted.end()) continue;
        std::string path = shares.roots()[r];
        std::size_t files_before = shares.size();
        drop_subtree(r, "");
        shares.remove_root(r);
        daemon_.log().info("share dir {} removed: {} no longer shared", printable(path),
                           count_of(files_before - shares.size(), "file", "files"));
    }
    for (const auto& path : wanted) {
        const auto& roots = shares.roots();
        if (std::find(roots.begin(), roots.end(), path) != roots.end()) continue;
        walk_subtree(shares.add_root(path), "", true);
    }
}

void ShareWatcher::set_rescan_interval(std::uint32_t seconds) {
    if (seconds == policy_.interval_seconds()) return;
    policy_.set_interval(seconds);
    if (stopping_ || !policy_.degraded()) return;
    rescan_timer_.stop();
    if (seconds) rescan_timer_.start_repeating(std::uint64_t{seconds} * 1000, [this] { rescan(nullptr); });
}

void ShareWatcher::rescan(std::function<void(RescanSummary)> done) {
    if (stopping_) {
        if (done) done(RescanSummary{daemon_.shares().size(), 0, 0});
        return;
    }
    if (done) rescan_waiters_.push_back(std::move(done));
    rescan_wanted_ = true;
    if (!rescan_running_ && walks_in_flight_ == 0) start_rescan();
}

void ShareWatcher::start_rescan() {
    rescan_wanted_ = false;
    rescan_running_ = true;
    begin_walk();
    auto result = std::make_shared<ScanResult>();
    auto waiters = std::make_shared<std::vector<std::function<void(RescanSummary)>>>(std::exchange(rescan_waiters_, {}));
    queue_work(
        daemon_.loop(),
        [roots = daemon_.shares().roots(), fd = inotify_.fd(), result] { *result = scan_roots(roots, fd); },
        [this, result, waiters] {
            rescan_running_ = false;
            RescanSummary summary;
            if (!stopping_) {
                adopt_watches(result->watches);
                if (result->watch_error) note_watch_error(result->watch_error);
                ShareDelta all;
                for (std::uint32_t r = 0; r < daemon_.shares().roots().size(); ++r) {
                    if (!daemon_.shares().root_active(r)) continue;
                    ShareDelta delta = daemon_.shares().replace_subtree(r, "", result->files);
                    all.upserted.insert(all.upserted.end(), delta.upserted.begin(), delta.upserted.end());
                    all.removed.insert(all.removed.end(), delta.removed.begin(), delta.removed.end());
                    all.removed_paths.insert(all.removed_paths.end(), delta.removed_paths.begin(),
                                             delta.removed_paths.end());
                }
                announce(all, "rescan");
                summary = RescanSummary{daemon_.shares().size(), all.upserted.size(), all.removed.size()};
                daemon_.log().info("rescan done: {} files, {} added or changed, {} removed",
                                   group_thousands(summary.file_count), summary.upserted, summary.removed);
            }
            end_walk();
            for (auto& waiter : *waiters) waiter(summary);
        });
}

void ShareWatcher::begin_walk() {
    if (walks_in_flight_++ == 0) inotify_.stop();
}

void ShareWatcher::end_walk() {
    if (--walks_in_flight_ > 0) return;
    if (stopping_) return inotify_.close();
    if (pending_roots_) {
        // Its new roots' walks begin here; reading resumes after them.
        apply_roots();
        if (walks_in_flight_ > 0) return;
    }
    if (rescan_wanted_) return start_rescan();
    start_reading();
    schedule_flush();
}

void ShareWatcher::schedule_flush() {
    if (stopping_ || flushing_ || walks_in_flight_ > 0) return;
    auto next = queue_.next_due_in(now_ms(daemon_.loop()));
    if (!next) return;
    if (*next == 0) return flush();
    flush_timer_.start_once(*next, [this] { flush(); });
}

// Looks at every due path on the thread pool and applies what it finds:
// a file there is upserted, a file gone is removed. A rename is simply both.
void ShareWatcher::flush() {
    if (stopping_ || flushing_ || walks_in_flight_ > 0) return;
    auto keys = queue_.take_due(now_ms(daemon_.loop()));
    if (keys.empty()) return schedule_flush();
    flushing_ = true;
    auto found = std::make_shared<std::vector<std::optional<ScannedFile>>>(keys.size());
    auto shared_keys = std::make_shared<std::vector<ChangeQueue::Key>>(std::move(keys));
    queue_work(
        daemon_.loop(),
        [roots = daemon_.shares().roots(), shared_keys, found] {
            for (std::size_t i = 0; i < shared_keys->size(); ++i) {
                const auto& [root, rel] = (*shared_keys)[i];
                (*found)[i] = stat_shared_file(root, roots.at(root), rel);
            }
        },
        [this, shared_keys, found] {
            flushing_ = false;
            if (stopping_) return;
            ShareDelta delta;
            ShareCatalog& shares = daemon_.shares();
            for (std::size_t i = 0; i < shared_keys->size(); ++i) {
                const auto& [root, rel] = (*shared_keys)[i];
                if (const auto& f = (*found)[i]) {
                    auto change = shares.upsert(*f);
                    if (change.kind != FileChange::Kind::unchanged)
                        delta.upserted.push_back(shares.entry(*shares.find(change.file_id)));
                } else if (auto id = shares.remove(root, rel)) {
                    delta.removed.push_back(*id);
                    delta.removed_paths.push_back(rel);
                }
            }
            announce(delta, "changed");
            schedule_flush();
        });
}

void ShareWatcher::announce(ShareDelta delta, const char* why) {
    if (delta.empty()) return;
    daemon_.hasher().prepare(delta.upserted);
    daemon_.index().announce_added(delta.upserted);
    daemon_.index().announce_removed(delta.removed);
    Logger& log = daemon_.log();
    if (delta.upserted.size() + delta.removed.size() <= names_in_log) {
        for (const auto& f : delta.upserted)
            log.info("sharing {} ({} bytes); index updated", printable(f.rel_path), f.size);
        for (const auto& path : delta.removed_paths)
            log.info("no longer sharing {}; index updated", printable(path));
    } else {
        log.info("{}: {} files added or changed, {} removed; index updated", why,
                 group_thousands(delta.upserted.size()), group_thousands(delta.removed.size()));
    }
}

} // namespace napster
