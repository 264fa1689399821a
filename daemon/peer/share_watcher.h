// SPDX-License-Identifier: MIT
#pragma once

// Keeps napeerd's share list in step with the disk through inotify, one
// watch per directory (inotify does not recurse), and tells the index about
// each changed file alone. Directories created or moved in are walked and
// watched; removed or moved-out ones lose their watches and their files.
//
// When inotify cannot follow (the kernel refuses more watches, or its event
// queue overflowed) it says so once, with the sysctl to raise, and falls
// back to full rescans every share.rescan_interval seconds.
//
// While a walk runs on the thread pool the inotify descriptor is not read:
// the kernel keeps the events, and they are read once the walk's watches
// are known, so none refers to a directory we cannot name yet.
//
// Ownership: owns the inotify watch and two timers (each freeing its
// handle in uv_close's callback). Loop thread only.

#include "catalog/share_catalog.h"
#include "event/inotify_watch.h"
#include "event/timer.h"
#include "fs/change_queue.h"
#include "fs/rescan_policy.h"
#include "fs/share_scan.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace napster {

class PeerDaemon;

struct RescanSummary {
    std::size_t file_count = 0;
    std::size_t upserted = 0;
    std::size_t removed = 0;
};

class ShareWatcher {
public:
    explicit ShareWatcher(PeerDaemon& daemon);
    ~ShareWatcher();

    // Opens the inotify descriptor, or returns -1 (and later rescans) when
    // the kernel refuses one. The initial walk adds its watches to it.
    int open();
    // Takes the initial walk's watches and starts reading events. Call it
    // when that walk has returned, even when stopping: it ends the walk.
    void start(const ScanResult& initial_scan);
    void stop();

    // A full walk of every root; `done` gets what changed. Runs after any
    // walk already under way.
    void rescan(std::function<void(RescanSummary)> done);

    // A reload changed share.dirs: `roots` is the new list of share roots.
    // A root no longer in it loses its watches and its files; a new one is
    // walked, watched, and its files announced. Applied once no walk is
    // under way, so that no walk's result names a root changed under it.
    void change_roots(std::vector<std::string> roots);
    // A reload changed share.rescan_interval: rescans already running
    // because inotify could not follow go at the new interval (or stop).
    void set_rescan_interval(std::uint32_t seconds);

    // Whether inotify gave up on some directory (rescans stand in).
    bool degraded() const { return policy_.degraded(); }
    std::size_t watch_count() const { return dirs_.size(); }

private:
    using DirKey = std::pair<std::uint32_t, std::string>;

    void start_reading();
    void on_events(const std::vector<InotifyEvent>& events);
    void handle_event(int wd, std::uint32_t mask, const std::string& name);
    void adopt_watches(const std::vector<WatchedDir>& watches);
    void note_watch_error(int error);
    void degrade(RescanPolicy::Cause cause, const std::string& why);
    void drop_subtree(std::uint32_t root, const std::string& rel_dir);
    // `new_root`: a root added at a reload, logged with its file count.
    void walk_subtree(std::uint32_t root, const std::string& rel_dir, bool new_root = false);
    void apply_roots();
    void start_rescan();
    void begin_walk();
    void end_walk();
    void schedule_flush();
    void flush();
    // Hashes from the cache, or queued, then tells the index and the log.
    void announce(ShareDelta delta, const char* why);

    PeerDaemon& daemon_;
    InotifyWatch inotify_;
    Timer flush_timer_;
    Timer rescan_timer_;
    ChangeQueue queue_;
    std::unordered_map<int, DirKey> dirs_;
    std::map<DirKey, int> watches_;
    int walks_in_flight_ = 0;
    bool initial_walk_ = false; // open() counted the initial walk in flight
    bool flushing_ = false;
    bool rescan_wanted_ = false;
    bool rescan_running_ = false;
    std::vector<std::function<void(RescanSummary)>> rescan_waiters_;
    std::optional<std::vector<std::string>> pending_roots_; // change_roots waiting for a walk
    RescanPolicy policy_;
    bool stopping_ = false;
};

} // namespace napster
