// SPDX-License-Identifier: MIT
#include "peer/peer_daemon.h"

#include "event/clock.h"
#include "event/work.h"
#include "protocol/name_rules.h"
#include "util/path_text.h"
#include "util/text.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace napster {
namespace {

std::string where(const std::string& key, const PeerConfig& config) {
    return config.source.empty() ? fmt::format("{}, built-in default", key)
                                 : fmt::format("{} in {}", key, config.source);
}

// mkdir -p for download_dir; an existing non-directory is an error.
Status make_directories(const std::string& path) {
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        std::string prefix = path.substr(0, pos);
        if (prefix.empty()) continue;
        if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
            return make_error(ErrorCode::io_error, fmt::format("cannot create {}: {}", prefix, std::strerror(errno)));
    }
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return make_error(ErrorCode::invalid_argument, fmt::format("{} is not a directory", path));
    return Ok{};
}

} // namespace

PeerDaemon::PeerDaemon(uv_loop_t* loop, const PeerConfig& config, Logger& log)
    : loop_(loop), config_(config), loaded_(config), log_(log), shares_(share_roots(config)), hasher_(*this), index_(*this),
      uploads_(*this),
      downloads_(*this), watcher_(*this), control_(*this), upload_limit_(config.upload_rate_limit),
      download_limit_(config.download_rate_limit) {}

PeerDaemon::~PeerDaemon() = default;

Status PeerDaemon::check_share_dirs(const std::vector<std::string>& dirs, const PeerConfig& config) const {
    for (const auto& dir : dirs) {
        struct stat st {};
        if (stat(dir.c_str(), &st) != 0)
            return make_error(ErrorCode::io_error,
                              fmt::format("share dir {}: {} ({})", dir, std::strerror(errno), where("share.dirs", config)));
        if (!S_ISDIR(st.st_mode))
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("share dir {} is not a directory ({})", dir, where("share.dirs", config)));
    }
    return Ok{};
}

// Shared roots: every share dir, and download_dir unless it already lies
// inside one. A share dir inside another would list its files twice, so
// only the outer one is walked.
std::vector<std::string> PeerDaemon::share_roots(const PeerConfig& config) {
    std::vector<std::string> roots;
    auto covered = [&](const std::string& dir) {
        for (const auto& other : config.share_dirs)
            if (other != dir && path_is_within(dir, other)) return true;
        return false;
    };
    for (const auto& dir : config.share_dirs)
        if (!covered(dir)) roots.push_back(dir);
    bool download_covered = false;
    for (const auto& dir : config.share_dirs)
        if (path_is_within(config.download_dir, dir)) download_covered = true;
    if (!download_covered) roots.push_back(config.download_dir);
    return roots;
}

Status PeerDaemon::start() {
    started_ms_ = now_ms(loop_);
    if (auto checked = check_share_dirs(config_.share_dirs, config_); !checked) return checked;
    if (auto made = make_directories(config_.download_dir); !made)
        return make_error(made.error().code, fmt::format("{} ({})", made.error().message, where("share.download_dir", config_)));
    if (auto started = uploads_.start(); !started) return started;
    if (auto started = control_.start(); !started) return started;

    prepare_state_dir();
    downloads_.start(); // stale partials go even while the index is unreachable

    // The hash cache is read while the shares are walked, on another
    // thread of the pool, so that the first walk's files go to the index
    // with their roots and a warm start waits for the longer of the two.
    scanning_ = true;
    struct Startup {
        ScanResult scan;
        content::HashCache cache;
        std::string cache_warning;
        int pending = 2;
    };
    auto startup = std::make_shared<Startup>();
    auto one_done = [this, startup] {
        if (--startup->pending == 0)
            scan_done(std::move(startup->scan), std::move(startup->cache), startup->cache_warning);
    };
    int watch_fd = watcher_.open();
    queue_work(
        loop_, [roots = shares_.roots(), watch_fd, startup] { startup->scan = scan_roots(roots, watch_fd); },
        one_done);
    queue_work(
        loop_,
        [state_dir = config_.state_dir, startup] {
            startup->cache = ContentHasher::load_cache(state_dir, startup->cache_warning);
        },
        one_done);
    return Ok{};
}

// Without a state dir napeerd still runs: it only hashes every file again
// at each start.
void PeerDaemon::prepare_state_dir() {
    if (config_.state_dir.empty()) {
        log_.warn("no state_dir (no HOME to put one under): hashes are not kept across restarts");
        return;
    }
    if (auto made = make_directories(config_.state_dir); !made) {
        log_.warn("{} ({}); hashes are not kept across restarts", made.error().message,
                  where("state_dir", config_));
        config_.state_dir.clear();
    }
}

void PeerDaemon::scan_done(ScanResult result, content::HashCache cache, const std::string& cache_warning) {
    scanning_ = false;
    if (stopping_) return watcher_.start(result); // ends the walk; nothing is watched
    if (!cache_warning.empty()) log_.warn("{}", cache_warning);
    for (const auto& f : result.files) shares_.upsert(f);
    watcher_.start(result);
    for (const auto& problem : result.problems) log_.warn("cannot share {}", problem);
    if (result.problem_count > result.problems.size())
        log_.warn("... and {} more paths that cannot be shared", result.problem_count - result.problems.size());
    if (result.skipped_links)
        log_.info("skipped {} symlinks that lead outside their share or to no regular file", result.skipped_links);
    log_.info("sharing {} ({} bytes) from {}", count_of(shares_.size(), "file", "files"),
              group_thousands(shares_.total_bytes()), count_of(shares_.active_root_count(), "dir", "dirs"));
    hasher_.adopt_cache(std::move(cache));
    hasher_.prepare_all();
    index_.start();
}

void PeerDaemon::stop() {
    if (stopping_) return;
    stopping_ = true;
    index_.stop();
    watcher_.stop();
    hasher_.stop();
    uploads_.stop();
    downloads_.stop();
    control_.stop();
}

void PeerDaemon::share_new_file(const std::string& full_path, content::SharedContent known) {
    const auto& roots = shares_.roots();
    for (std::uint32_t r = 0; r < roots.size(); ++r) {
        if (roots[r].empty() || !path_is_within(full_path, roots[r]) || full_path.size() <= roots[r].size() + 1) continue;
        std::string rel = full_path.substr(roots[r].size() + (roots[r] == "/" ? 0 : 1));
        if (relative_path_problem(rel)) return;
        auto found = std::make_shared<std::optional<ScannedFile>>();
        queue_work(
            loop_, [r, root = roots[r], rel, found] { *found = stat_shared_file(r, root, rel); },
            [this, rel, found, known = std::move(known)] {
                if (!*found || stopping_) return;
                auto change = shares_.upsert(**found);
                if (change.kind == FileChange::Kind::unchanged) return;
                // Saved from verified bytes: confirmed, as if hashed here.
                if (known && shares_.set_content(change.file_id, shares_.find(change.file_id)->key(), known,
                                                 ShareCatalog::ContentSource::hashed_here))
                    hasher_.note_known();
                std::vector<protocol::FileEntry> entries{shares_.entry(*shares_.find(change.file_id))};
                hasher_.prepare(entries);
                index_.announce_added(entries);
                log_.info("now sharing {}; index updated", printable(rel));
            });
        return;
    }
}

protocol::StatusResult PeerDaemon::status() const {
    protocol::StatusResult s;
    s.name = config_.name;
    s.index_state = index_.state();
    s.peer_id = index_.peer_id().value_or(0);
    s.index_address = index_.target();
    s.reconnect_in_ms = index_.reconnect_in_ms();
    s.last_error = index_.last_error();
    s.upload_address = uploads_.endpoint();
    s.share_dirs = config_.share_dirs;
    s.download_dir = config_.download_dir;
    s.file_count = shares_.size();
    s.total_bytes = shares_.total_bytes();
    s.uploads_active = uploads_.active();
    s.downloads_active = downloads_.active();
    s.download_sources = downloads_.sources_in_use(protocol::max_status_sources);
    s.uploads_done = uploads_.completed();
    s.downloads_done = downloads_.completed();
    s.uptime_seconds = (now_ms(loop_) - started_ms_) / 1000;
    s.rescan_interval = config_.rescan_interval;
    s.hash_files_left = shares_.unhashed_files();
    s.hash_bytes_left = shares_.unhashed_bytes();
    s.watched_dirs = static_cast<std::uint32_t>(watcher_.watch_count());
    s.watch_state = !watcher_.degraded()        ? protocol::WatchState::inotify
                    : config_.rescan_interval ? protocol::WatchState::rescans
                                              : protocol::WatchState::stale;
    return s;
}

protocol::TransfersResult PeerDaemon::list_transfers() {
    downloads_.report_progress();
    uploads_.report_progress();
    return transfers_.list(now_ms(loop_));
}

Result<protocol::CancelDone> PeerDaemon::cancel_transfer(protocol::TransferId id) {
    const TransferRegistry::Entry* entry = transfers_.find(id);
    if (!entry)
        return make_error(ErrorCode::not_found,
                          fmt::format("no transfer {} (napctl transfers lists them)", id));
    if (protocol::transfer_ended(entry->progress.state))
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("transfer {} ({}) has already ended: {}", id, printable(entry->name),
                                      protocol::transfer_state_name(entry->progress.state)));
    protocol::CancelDone done{id, entry->direction, entry->name};
    std::string reason = fmt::format("cancelled with napctl cancel {}", id);
    bool found = entry->direction == protocol::TransferDirection::download ? downloads_.cancel(id, reason)
                                                                            : uploads_.cancel(id, reason);
    if (!found)
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("transfer {} ({}) is ending already ({})", id, printable(entry->name),
                                      protocol::transfer_state_name(entry->progress.state)));
    return done;
}

std::string PeerDaemon::summary() const {
    std::string link = index_.peer_id() ? fmt::format("connected as peer {}", *index_.peer_id())
                                        : std::string(protocol::index_state_name(index_.state()));
    return fmt::format("{}, {} shared", link, count_of(shares_.size(), "file", "files"));
}

} // namespace napster
