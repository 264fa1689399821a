// SPDX-License-Identifier: MIT
#include "peer/download.h"

#include "event/clock.h"
#include "event/work.h"
#include "fs/partial_name.h"
#include "peer/fetch_choice.h"
#include "peer/peer_daemon.h"
#include "util/file_io.h"
#include "util/path_text.h"
#include "util/text.h"
#include "util/whole_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <set>

namespace napster {
namespace {

using protocol::ErrorCode;
using protocol::MessageType;

constexpr std::uint64_t progress_interval_ms = 250;
// Stop reading from the socket while this much waits for the disk.
// Bytes gathered for one write job (whole blocks, as every range starts on
// a block): while a slot's batch is full and a job runs, its socket is not
// read.
constexpr std::size_t write_batch = 4 * content::block_size;
constexpr std::uint64_t flush_after_ms = 250;
// The resume state is rewritten at most this often while bytes arrive.
constexpr std::uint64_t state_save_interval_ms = 2'000;
constexpr std::uint64_t cleanup_interval_ms = 24 * 3600 * 1000;
constexpr std::size_t max_state_file = 64 * 1024 * 1024;

std::string errno_text(int error) {
    return std::strerror(error);
}

// On the thread pool, after a write of [offset, offset + length): starts
// its writeback, and waits for that of the bytes written writeback_lag
// before, so dirty pages stay bounded and the final fsync is short
// instead of a second pass over the whole file.
constexpr std::uint64_t writeback_lag = 32 * 1024 * 1024;

void start_writeback(int fd, std::uint64_t offset, std::uint64_t length) {
    (void)::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
    if (offset < writeback_lag) return;
    (void)::sync_file_range(fd, static_cast<off_t>(offset - writeback_lag), static_cast<off_t>(length),
                            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}

// What the start of a download finds on the thread pool.
struct Opening {
    Error problem{ErrorCode::internal, ""};
    int fd = -1;
    std::shared_ptr<const OwnedFd> dir; // the download dir, opened here
    std::optional<ResumeState> state;
    std::string state_warning;
};

} // namespace

DownloadManager::DownloadManager(PeerDaemon& daemon)
    : daemon_(daemon), cleanup_timer_(daemon.loop()), unique_(std::random_device{}()) {}

DownloadManager::~DownloadManager() = default;

std::string DownloadManager::state_path(const content::Digest& root) const {
    const std::string& dir = daemon_.config().state_dir;
    if (dir.empty()) return "";
    return join_path(join_path(dir, "partials"), content::hex(root) + ".state");
}

void DownloadManager::fetch(FetchPlan plan, ProgressCallback progress, DoneCallback done) {
    if (daemon_.stopping()) return done(make_error(ErrorCode::busy, "napeerd is shutting down"));
    if (plan.root) {
        if (progress) cancelled_roots_.erase(*plan.root); // fetched again: resumes as any other
        if (auto running = by_root_.find(*plan.root); running != by_root_.end()) {
            daemon_.log().info("joining the download of {} already running (transfer {})",
                               printable(running->second->plan().name), running->second->transfer_id());
            return running->second->add_listener(std::move(progress), std::move(done));
        }
    }
    ++active_;
    protocol::RootHash root = plan.root;
    auto id = daemon_.transfers().begin(protocol::TransferDirection::download, plan.name, now_ms(daemon_.loop()));
    Download& download = downloads_.add(*this, std::move(plan), id);
    if (root) by_root_[*root] = &download;
    by_id_[id] = &download;
    download.add_listener(std::move(progress), std::move(done));
    download.start();
}

bool DownloadManager::follow(protocol::TransferId id, ProgressCallback progress, DoneCallback done) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return false;
    it->second->add_listener(std::move(progress), std::move(done));
    return true;
}

bool DownloadManager::cancel(protocol::TransferId id, const std::string& reason) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return false;
    if (!it->second->cancel(reason)) return false;
    if (it->second->plan().root) cancelled_roots_.insert(*it->second->plan().root);
    return true;
}

void DownloadManager::report_progress() {
    downloads_.for_each([](Download& download) { download.report_progress(false); });
}

std::vector<protocol::TransferPeer> DownloadManager::sources_in_use(std::size_t limit) const {
    std::vector<protocol::TransferPeer> sources;
    downloads_.visit([&sources, limit](const Download& download) {
        for (auto& source : download.sources_in_use())
            if (sources.size() < limit) sources.push_back(std::move(source));
    });
    return sources;
}

void DownloadManager::stop() {
    cleanup_timer_.stop();
    downloads_.for_each([](Download& download) { download.abort("napeerd is shutting down"); });
}

void DownloadManager::download_ended(const Download& download, bool ok) {
    --active_;
    if (ok) ++completed_;
    if (download.plan().root)
        if (auto it = by_root_.find(*download.plan().root); it != by_root_.end() && it->second == &download)
            by_root_.erase(it);
    by_id_.erase(download.transfer_id());
}

void DownloadManager::start() {
    if (daemon_.config().state_dir.empty()) return;
    sweep_partials(false);
    // Daily: the removal, and another try for partials whose holders were
    // gone, when the index is there to ask.
    cleanup_timer_.start_repeating(cleanup_interval_ms,
                                   [this] { sweep_partials(daemon_.index().peer_id().has_value()); });
}

void DownloadManager::resume_interrupted() {
    sweep_partials(true);
}

// Reads every state under STATE_DIR/partials on the thread pool; then
// removes those untouched for download.keep_partial and, with `resume`,
// resumes the rest.
void DownloadManager::sweep_partials(bool resume) {
    const PeerConfig& config = daemon_.config();
    if (config.state_dir.empty() || daemon_.stopping()) return;
    if (sweeping_) {
        sweep_next_ = sweep_next_.value_or(false) || resume;
        return;
    }
    sweeping_ = true;
    struct Found {
        std::string path;
        Result<ResumeState> state = make_error(ErrorCode::internal, "not read");
        std::int64_t age_seconds = 0;
    };
    auto found = std::make_shared<std::vector<Found>>();
    auto partial_files = std::make_shared<std::vector<std::string>>();
    queue_work(
        daemon_.loop(),
        [found, partial_files, dir = join_path(config.state_dir, "partials"), download_dir = config.download_dir] {
            if (DIR* d = opendir(download_dir.c_str())) {
                while (dirent* entry = readdir(d))
                    if (is_partial_name(entry->d_name)) partial_files->push_back(join_path(download_dir, entry->d_name));
                closedir(d);
            }
            DIR* d = opendir(dir.c_str());
            if (!d) return;
            while (dirent* entry = readdir(d)) {
                std::string name = entry->d_name;
                if (!name.ends_with(".state")) continue;
                Found f;
                f.path = join_path(dir, name);
                struct stat st {};
                if (stat(f.path.c_str(), &st) != 0) continue;
                f.age_seconds = static_cast<std::int64_t>(time(nullptr)) - st.st_mtim.tv_sec;
                auto bytes = read_small_file(f.path, max_state_file);
                f.state = bytes ? decode_resume_state(*bytes) : Result<ResumeState>(bytes.error());
                found->push_back(std::move(f));
            }
            closedir(d);
        },
        [this, found, partial_files, resume] {
            if (daemon_.stopping()) return sweep_done();
            std::vector<std::string> remove;
            // Partial files that no download owns and no state describes
            // (a download of unhashed content interrupted, a state lost)
            // can never resume: they go.
            std::set<std::string> owned;
            downloads_.for_each([&owned](Download& download) { owned.insert(download.part_path()); });
            for (const auto& f : *found)
                if (f.state) owned.insert(join_path(f.state->output_dir, resumable_partial_name(f.state->root)));
            std::size_t orphans = 0;
            for (const auto& path : *partial_files)
                if (!owned.count(path)) {
                    remove.push_back(path);
                    ++orphans;
                }
            if (orphans)
                daemon_.log().info("removing {} left by interrupted downloads that cannot resume",
                                   count_of(orphans, "partial file", "partial files"));
            for (auto& f : *found) {
                if (!f.state) {
                    daemon_.log().warn("removing the download state {}: {}", printable(f.path), f.state.error().message);
                    remove.push_back(f.path);
                    continue;
                }
                ResumeState& state = *f.state;
                if (by_root_.count(state.root)) continue;
                // Cancelled with napctl cancel: kept, but resumed only by a fetch.
                if (resume && cancelled_roots_.count(state.root)) continue;
                if (f.age_seconds >= static_cast<std::int64_t>(daemon_.config().download_keep_partial)) {
                    daemon_.log().info("removing the partial download of {} ({} of {} bytes), untouched for {} "
                                       "(download.keep_partial)",
                                       printable(state.name),
                                       group_thousands(std::min(state.size, state.verified_count() * content::block_size)),
                                       group_thousands(state.size), count_of(static_cast<unsigned long long>(f.age_seconds) / 86400, "day", "days"));
                    remove.push_back(f.path);
                    // A partial file in a caller's directory is the
                    // caller's: napeerd cannot reach it by path (and must
                    // not use its own rights there).
                    if (state.output_dir == daemon_.config().download_dir)
                        remove.push_back(join_path(state.output_dir, resumable_partial_name(state.root)));
                    continue;
                }
                // Only the download dir is resumed unasked: a caller's
                // directory comes with the caller, when it fetches the
                // same content into it again.
                if (resume && state.output_dir == daemon_.config().download_dir) resume_one(std::move(state));
            }
            if (remove.empty()) return sweep_done();
            queue_work(
                daemon_.loop(), [remove] { for (const auto& path : remove) ::unlink(path.c_str()); },
                [this] { sweep_done(); });
        });
}

void DownloadManager::sweep_done() {
    sweeping_ = false;
    if (auto next = std::exchange(sweep_next_, std::nullopt)) sweep_partials(*next);
}

void DownloadManager::resume_one(ResumeState state) {
    protocol::Fetch request;
    request.name = state.name;
    request.output_dir = state.output_dir;
    request.root = state.root;
    daemon_.index().search(fetch_search(request), [this, request](Result<protocol::SearchResult> answer) {
        if (daemon_.stopping() || cancelled_roots_.count(*request.root)) return;
        Result<FetchChoice> choice = answer ? choose_fetch(request, *answer, daemon_.index().peer_id())
                                            : Result<FetchChoice>(answer.error());
        if (!choice) {
            daemon_.log().info("the partial download of {} is kept for later: {}", printable(request.name),
                               choice.error().message);
            return;
        }
        daemon_.log().info("resuming the download of {}", printable(request.name));
        fetch(FetchPlan{request.name, choice->size, choice->root, std::move(choice->holders), request.output_dir,
                        nullptr},
              nullptr, [](Result<protocol::FetchDone>) {});
    });
}

Download::Download(DownloadManager& manager, FetchPlan plan, protocol::TransferId transfer_id)
    : manager_(manager), plan_(std::move(plan)), transfer_id_(transfer_id), state_timer_(manager.daemon().loop()),
      busy_timer_(manager.daemon().loop()), flush_timer_(manager.daemon().loop()),
      limit_timer_(manager.daemon().loop()) {
    slots_.resize(plan_.holders.size());
}

// Every path to the outcome closes the sources and the partial file
// first; this only guards against a descriptor left by a bug.
Download::~Download() {
    if (fd_ >= 0) ::close(fd_);
}

PeerDaemon& Download::daemon() {
    return manager_.daemon();
}

void Download::add_listener(DownloadManager::ProgressCallback progress, DownloadManager::DoneCallback done) {
    // The new listener hears at once where the download stands, and its id.
    if (progress) progress(progress_now());
    listeners_.push_back(Listener{std::move(progress), std::move(done)});
}

protocol::TransferState Download::phase() const {
    using protocol::TransferState;
    if (syncing_) return TransferState::syncing;
    if (checking_) return TransferState::checking;
    for (const Slot& slot : slots_)
        if (slot.body && slot.source && slot.source->active()) return TransferState::transferring;
    if (busy_timer_.active()) return TransferState::waiting;
    return TransferState::connecting;
}

std::uint64_t Download::verified_bytes() const {
    std::uint64_t bytes = 0;
    for (std::uint64_t i = 0; i < verified_.size(); ++i)
        if (verified_[i]) bytes += content::block_length(plan_.size, i);
    return bytes;
}

std::vector<protocol::TransferPeer> Download::sources_in_use() const {
    std::vector<protocol::TransferPeer> sources;
    for (const Slot& slot : slots_)
        if (slot.source && slot.source->active())
            sources.push_back({slot.source->holder().peer_id, slot.source->holder().peer_name});
    return sources;
}

std::size_t Download::active_sources() const {
    return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& slot) {
        return slot.source && slot.source->active();
    }));
}

// The holder the outcome names: the one that sent the most verified
// blocks, or the one source of content without a root.
const Download::Slot* Download::main_slot() const {
    if (plain_source_) return &slots_.at(*plain_source_);
    const Slot* best = nullptr;
    for (const Slot& slot : slots_)
        if (slot.source && (!best || slot.verified_blocks > best->verified_blocks)) best = &slot;
    return best;
}

// "peer 2 (a)", or "peer 2 (a), peer 3 (b) and peer 4 (c)": the holders
// that sent verified blocks.
std::string Download::sources_text() const {
    std::vector<std::string> names;
    for (const Slot& slot : slots_)
        if (slot.source && slot.verified_blocks > 0) names.push_back(slot.source->text());
    if (names.empty())
        if (const Slot* slot = main_slot()) names.push_back(slot->source->text());
    std::string text;
    for (std::size_t i = 0; i < names.size(); ++i)
        text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
    return text;
}

void Download::start() {
    started_ms_ = now_ms(manager_.daemon().loop());
    final_path_ = join_path(plan_.output_dir, plan_.name);
    part_path_ = join_path(plan_.output_dir, plan_.root ? resumable_partial_name(*plan_.root)
                                                        : partial_name(plan_.name, manager_.next_unique()));
    auto opening = std::make_shared<Opening>();
    file_busy_ = true;
    queue_work(
        manager_.daemon().loop(),
        [dir = plan_.output_dir, final_path = final_path_, part = part_path_, resumable = resumable(),
         state_path = plan_.root ? manager_.state_path(*plan_.root) : std::string(), plan = plan_, opening,
         download_dir = manager_.daemon().config().download_dir,
         part_name = part_path_.substr(part_path_.rfind('/') + 1)] {
            struct stat st {};
            int dir_fd = plan.output_dir_fd ? plan.output_dir_fd->get() : -1;
            if (dir_fd < 0) {
                // napeerd's own download dir; a caller's comes opened.
                auto opened = std::make_shared<OwnedFd>(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                if (!*opened) {
                    opening->problem = errno == ENOTDIR
                                           ? Error{ErrorCode::invalid_argument, fmt::format("{} is not a directory", dir)}
                                           : Error{ErrorCode::io_error,
                                                   fmt::format("cannot use {}: {}", dir, errno_text(errno))};
                    return;
                }
                dir_fd = opened->get();
                opening->dir = std::move(opened);
            }
            if (fstatat(dir_fd, plan.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
                opening->problem = {ErrorCode::invalid_argument,
                                    fmt::format("{} already exists; napeerd never replaces a file", final_path)};
                return;
            }
            // A resumable partial file is ours by its name: opened again
            // as it is; any other is new.
            int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (resumable ? 0 : O_EXCL);
            opening->fd = ::openat(dir_fd, part_name.c_str(), flags, 0644);
            if (opening->fd < 0) {
                opening->problem = {ErrorCode::io_error, fmt::format("cannot create {}: {}", part, errno_text(errno))};
                return;
            }
            if (state_path.empty()) return;
            auto bytes = read_small_file(state_path, max_state_file);
            if (!bytes) return; // none yet, or unreadable: start from nothing
            auto state = decode_resume_state(*bytes);
            if (!state) {
                opening->state_warning = state.error().message;
            } else if (state->size == plan.size && state->output_dir == plan.output_dir) {
                opening->state = std::move(*state);
            } else if (state->output_dir != plan.output_dir && state->output_dir == download_dir) {
                // An earlier fetch of this content into the download dir:
                // its partial file would be left behind for good. One in a
                // caller's directory is the caller's to remove.
                ::unlink(join_path(state->output_dir, resumable_partial_name(state->root)).c_str());
            }
        },
        [this, opening, hold = hold()] {
            file_busy_ = false;
            if (opening->dir) plan_.output_dir_fd = std::move(opening->dir);
            if (!opening->problem.message.empty()) return finish_with(opening->problem);
            opened(opening->fd, std::move(opening->state));
            if (!opening->state_warning.empty())
                manager_.daemon().log().warn("ignoring the saved state of {}: {}", printable(plan_.name),
                                             opening->state_warning);
        });
}

void Download::opened(int fd, std::optional<ResumeState> state) {
    fd_ = fd;
    if (resumable()) {
        verified_.assign(content::block_count(plan_.size), false);
        if (std::uint64_t claimed = state ? state->verified_count() : 0; claimed > 0) {
            claimed_ = std::move(state->verified);
            manager_.daemon().log().info("{}: {} of {} verified by an earlier fetch; they are checked again",
                                         printable(plan_.name), count_of(claimed, "block", "blocks"),
                                         count_of(claimed_.size(), "block", "blocks"));
        }
        state_dirty_ = true; // touches it: a fetch uses this partial now
    }
    next_step();
}

bool Download::cancel(const std::string& reason) {
    if (reported_ || outcome_ || syncing_) return false;
    cancel_reason_ = reason;
    manager_.daemon().log().info("download of {} (transfer {}) {}", printable(plan_.name), transfer_id_, reason);
    abort(reason);
    return true;
}

void Download::abort(const std::string& reason) {
    aborted_ = true;
    busy_timer_.stop();
    for (Slot& slot : slots_)
        if (slot.source && slot.source->active()) cancel_source(slot, reason);
    next_step();
}

void Download::cancel_source(Slot& slot, const std::string& reason) {
    slot.cancelled = true;
    slot.source->close(reason);
}

// What to do once no file operation is running: first write what has
// arrived and save the state, then check a resumed file's blocks, then
// finish or ask holders for what is missing.
void Download::next_step() {
    if (file_busy_ || reported_) return;
    if (outcome_) {
        if (active_sources() > 0) return;
        auto result = std::move(*outcome_);
        outcome_.reset();
        return finish_now(std::move(result));
    }
    if (fd_ < 0) return;
    bool waiting = false;
    for (Slot& slot : slots_) {
        bool ready = resumable() ? ready_block(slot) : pending_size(slot) > 0;
        if (ready && write_due(slot)) {
            if (resumable()) return write_blocks(slot);
            return write_plain(slot);
        }
        waiting = waiting || ready;
    }
    flush_due_ = false;
    // Bytes that may be all a stalling holder sends: written and verified
    // on time all the same.
    if (waiting && !flush_timer_.active())
        flush_timer_.start_once(flush_after_ms, [this] {
            flush_due_ = true;
            next_step();
        });
    if (state_dirty_) {
        std::uint64_t since = now_ms(manager_.daemon().loop()) - state_saved_ms_;
        if (active_sources() == 0 || since >= state_save_interval_ms) return save_state();
        // The bytes may stop here (a holder that stalls): the blocks
        // verified so far are saved on time all the same, not only when
        // the next bytes come.
        if (!state_timer_.active()) state_timer_.start_once(state_save_interval_ms - since, [this] { next_step(); });
    }
    if (aborted_) {
        if (active_sources() == 0)
            finish_with(cancel_reason_.empty()
                            ? make_error(ErrorCode::busy, "the download was cancelled: napeerd is shutting down")
                            : make_error(ErrorCode::cancelled,
                                         fmt::format("the download of {} was {}", printable(plan_.name), cancel_reason_)));
        return;
    }
    if (resumable()) {
        if (!claimed_.empty() && hashes_known()) {
            if (active_sources() == 0) check_claimed_blocks();
            return;
        }
        if (hashes_known() && !ranges_) start_ranges();
        if (ranges_ && ranges_->complete()) {
            // Every block is verified: copies still under way are not needed.
            for (Slot& slot : slots_)
                if (slot.source && slot.source->active() && !slot.cancelled) cancel_source(slot, "every block is verified");
            if (active_sources() == 0) complete(true);
            return;
        }
    } else if (plain_received_) {
        return finish_plain();
    } else if (plain_written_ > 0 && active_sources() == 0) {
        // A holder failed part way: the next starts the file again.
        file_busy_ = true;
        plain_written_ = 0;
        return queue_work(
            manager_.daemon().loop(), [fd = fd_] { (void)::ftruncate(fd, 0); },
            [this, hold = hold()] {
                file_busy_ = false;
                next_step();
            });
    }
    launch_sources();
    if (active_sources() > 0 || busy_timer_.active()) return;
    if (std::any_of(slots_.begin(), slots_.end(), [](const Slot& slot) { return slot.busy && !slot.dropped; }))
        return wait_for_busy_holders();
    std::string why;
    for (const auto& f : failures_) why += (why.empty() ? "" : "; ") + f;
    finish_with(make_error(ErrorCode::io_error, fmt::format("could not fetch {}: {}", printable(plan_.name),
                                                            why.empty() ? "no holder to fetch from" : why)));
}

// Asks holders not yet asked, not dropped and not busy: one while the
// block hashes are not known (or for content without a root), up to
// download.max_sources once they are, each for a range the plan gives.
void Download::launch_sources() {
    std::size_t limit = resumable() && ranges_ ? manager_.daemon().config().download_max_sources : 1;
    std::size_t active = active_sources();
    for (std::size_t i = 0; i < slots_.size() && active < limit; ++i) {
        Slot& slot = slots_[i];
        if (slot.dropped || slot.busy || (slot.source && slot.source->active())) continue;
        // A copy of another source's range (the endgame) only for one that
        // has delivered a range already: it has shown it is not the slow one.
        if (ranges_ && !ranges_->assign(i, slot.verified_blocks > 0)) continue;
        if (!slot.source) slot.source = std::make_unique<DownloadSource>(*this, plan_.holders[i], i);
        if (!resumable()) plain_source_ = i;
        // Holder chosen, and each retry of it or another: what an operator
        // follows a transfer by.
        manager_.daemon().log().debug("{}: connecting to {} (holder {} of {})", printable(plan_.name),
                                      slot.source->text(), i + 1, slots_.size());
        clear_pending(slot);
        slot.body = false;
        slot.cancelled = false;
        slot.source->connect();
        ++active;
    }
}

void Download::wait_for_busy_holders() {
    std::uint64_t now = now_ms(manager_.daemon().loop());
    auto delay = busy_backoff_.next_delay(now, static_cast<std::uint32_t>(manager_.next_unique()));
    if (!delay)
        return finish_with(make_error(ErrorCode::busy, fmt::format("could not fetch {}: every holder stayed busy for {} s",
                                                                   printable(plan_.name),
                                                                   busy_backoff_.waited_ms(now) / 1000)));
    manager_.daemon().log().info("every holder of {} is busy; asking again in {:.1f} s", printable(plan_.name),
                                 static_cast<double>(*delay) / 1000.0);
    busy_timer_.start_once(*delay, [this] {
        for (Slot& slot : slots_) slot.busy = false;
        next_step();
    });
}

void Download::start_ranges() {
    std::size_t sources = std::min<std::size_t>(manager_.daemon().config().download_max_sources, slots_.size());
    ranges_.emplace(verified_, range_blocks_for(verified_.size(), sources));
    if (sources > 1 && !ranges_->complete())
        manager_.daemon().log().info("fetching {} from up to {} of {}", printable(plan_.name), sources,
                                     count_of(slots_.size(), "holder", "holders"));
}

// The holder said WELCOME: the block hashes first if they are not known,
// then the range the plan gave this source.
void Download::source_ready(DownloadSource& source) {
    if (!resumable()) return source.get(plan_.root, 0, 0);
    if (!hashes_known()) {
        std::uint64_t have = content_.blocks.size();
        std::uint64_t want = std::min<std::uint64_t>(protocol::max_hashes_per_reply, content::block_count(plan_.size) - have);
        return source.ask_hashes(plan_.root, have, static_cast<std::uint32_t>(want));
    }
    Slot& slot = slot_of(source);
    if (!ranges_) {
        // The hashes came on this connection: the partial file's claimed
        // blocks are checked with no holder waiting on us (its handshake
        // timeout), then the holders are asked again.
        if (!claimed_.empty()) return cancel_source(slot, "checking the partial file before resuming");
        start_ranges();
        if (!ranges_->assign(source.id())) return cancel_source(slot, "every block is verified");
    }
    auto range = ranges_->range_of(source.id());
    if (!range) return cancel_source(slot, "nothing is left to fetch from it");
    std::uint64_t offset = range->first * content::block_size;
    std::uint64_t end = std::min<std::uint64_t>((range->first + range->count) * content::block_size, plan_.size);
    manager_.daemon().log().debug("asking {} for blocks {} to {} of {}", source.text(), range->first,
                                  range->first + range->count - 1, printable(plan_.name));
    // A range to the end of the file is asked for as such (length 0), so
    // the empty file's one empty block is a GET like any other.
    source.get(plan_.root, offset, end == plan_.size ? 0 : end - offset);
    // The other holders are asked now, not when this one's bytes come: it
    // may send none.
    next_step();
}

// The block hashes are believed only once they hash to the root asked for:
// a holder cannot make bad blocks pass with hashes of its own.
void Download::source_hashes(DownloadSource& source, const protocol::Hashes& hashes) {
    if (hashes.root != *plan_.root || hashes.size != plan_.size || hashes.first != content_.blocks.size() ||
        hashes.leaves.empty())
        return drop(slot_of(source), "HASHES is not the answer to the GET_HASHES sent");
    content_.blocks.insert(content_.blocks.end(), hashes.leaves.begin(), hashes.leaves.end());
    if (!hashes_known()) return source_ready(source);
    content_.root = *plan_.root;
    content_.size = plan_.size;
    if (!content::blocks_match_root(content_)) {
        content_.blocks.clear();
        std::string why = "its block hashes do not match the root";
        manager_.daemon().log().warn("{} sent bad data for {}: {}", source.text(), printable(plan_.name), why);
        return drop(slot_of(source), why);
    }
    source_ready(source);
}

Status Download::source_get_ok(DownloadSource& source, const protocol::GetOk& ok) {
    if (plan_.root && ok.root != plan_.root)
        return make_error(ErrorCode::invalid_argument, "the holder offers other content than asked for");
    if (!plan_.root) holder_root_ = ok.root;
    Slot& slot = slot_of(source);
    slot.body = true;
    clear_pending(slot);
    slot.pending_offset = source.offset();
    busy_backoff_.reset();
    return Ok{};
}

void Download::source_body_started(DownloadSource& source) {
    report_progress(true);
    // An empty file has its one block complete already.
    if (source.length() == 0) next_step();
}

// Never more room than the range has bytes left, nor (past
// download.rate_limit) than the bucket holds.
std::span<std::byte> Download::source_room(DownloadSource& source) {
    Slot& slot = slot_of(source);
    if (!slot.body || source.received() >= source.length()) return {};
    if (!slot.pending) slot.pending = take_pending();
    std::span<std::byte> room = slot.pending->room();
    std::uint64_t most = source.length() - source.received();
    TokenBucket& limit = manager_.daemon().download_limit();
    if (limit.limited())
        most = std::min(most, std::max<std::uint64_t>(limit.available(now_ms(manager_.daemon().loop())),
                                                      TokenBucket::min_burst / 4));
    return room.first(static_cast<std::size_t>(std::min<std::uint64_t>(room.size(), most)));
}

void Download::source_bytes(DownloadSource& source, ByteSpan bytes) {
    Slot& slot = slot_of(source);
    if (!slot.pending) slot.pending = take_pending();
    if (!slot.pending->room().empty() && bytes.data() == slot.pending->room().data())
        slot.pending->grew(bytes.size()); // read in place
    else
        slot.pending->append(bytes); // bytes that came with GET_OK
    pace_reading(source, bytes.size());
    if (slot.pending->size() >= write_batch) source.pause_reading(); // resumed once the batch is taken
    next_step();
    report_progress(false);
}

// Past download.rate_limit no source is read until the debt is paid.
void Download::pace_reading(DownloadSource& source, std::uint64_t bytes) {
    TokenBucket& limit = manager_.daemon().download_limit();
    if (!limit.limited()) return;
    std::uint64_t now = now_ms(manager_.daemon().loop());
    limit.take(now, bytes);
    if (limit.available(now) > 0) return;
    source.pause_reading();
    if (limit_timer_.active()) return;
    limit_timer_.start_once(std::max<std::uint64_t>(1, limit.wait_ms(now, TokenBucket::min_burst / 4)), [this] {
        for (Slot& slot : slots_)
            if (slot.source && slot.source->active() && pending_size(slot) < write_batch) slot.source->resume_reading();
    });
}

// A batch is written when full, when its range has all arrived (or its
// holder is gone), or once it has waited flush_after_ms.
bool Download::write_due(const Slot& slot) const {
    if (flush_due_ || slot.dropped || pending_size(slot) >= write_batch) return true;
    const DownloadSource* source = slot.source.get();
    return !source || !source->active() || source->received() == source->length();
}

// A buffer for the next bytes, a used one when there is one.
std::shared_ptr<FillBuffer> Download::take_pending() {
    if (spare_buffers_.empty()) return std::make_shared<FillBuffer>(write_batch);
    auto buffer = std::move(spare_buffers_.back());
    spare_buffers_.pop_back();
    return buffer;
}

void Download::give_back(std::shared_ptr<FillBuffer> buffer) {
    buffer->clear();
    if (spare_buffers_.size() < 2) spare_buffers_.push_back(std::move(buffer));
}

void Download::source_closed(DownloadSource& source, DownloadSource::Stage was, const std::string& reason, bool busy) {
    Slot& slot = slot_of(source);
    bool whole_range = was == DownloadSource::Stage::body && source.received() == source.length();
    if (!resumable() && whole_range && !slot.dropped && !slot.cancelled) plain_received_ = true;
    if (ranges_ && !whole_range) ranges_->release(source.id());
    if (slot.cancelled || slot.dropped || whole_range || outcome_) {
        slot.cancelled = false;
        return next_step();
    }
    if (busy && !aborted_) {
        slot.busy = true;
        clear_pending(slot);
        manager_.daemon().log().info("{} is busy for {}; trying another holder", source.text(), printable(plan_.name));
        return next_step();
    }
    std::string why = aborted_ ? "cancelled"
                      : was == DownloadSource::Stage::body
                          ? fmt::format("{} after {} of {} bytes", reason, source.received(), source.length())
                          : reason;
    drop(slot, why);
}

// The holder fails for this download: its ranges go to the others. Whole
// blocks it sent before it went are still written and checked (a bad one
// drops nothing more), the rest of its bytes go.
void Download::drop(Slot& slot, const std::string& reason) {
    if (slot.dropped) return;
    slot.dropped = true;
    DownloadSource& source = *slot.source;
    failures_.push_back(fmt::format("{}: {}", source.text(), reason));
    if (!aborted_)
        manager_.daemon().log().warn("download of {} from {} failed: {}", printable(plan_.name), source.text(), reason);
    if (!resumable()) {
        clear_pending(slot);
    } else if (slot.pending) {
        std::uint64_t keep = slot.pending->size() / content::block_size * content::block_size;
        if (slot.pending_offset + slot.pending->size() == plan_.size) keep = slot.pending->size();
        slot.pending->truncate(keep);
    }
    if (ranges_) ranges_->release(source.id());
    if (source.active()) return source.close(reason); // source_closed goes on
    next_step();
}

// A whole block (or the file's short last one) waits in this slot.
bool Download::ready_block(const Slot& slot) const {
    if (!slot.body || !hashes_known()) return false;
    std::uint64_t block = slot.pending_offset / content::block_size;
    if (block >= verified_.size()) return false;
    std::size_t length = content::block_length(plan_.size, block);
    return length > 0 ? pending_size(slot) >= length : !verified_[block];
}

// Writes the whole blocks waiting in this slot and checks each against its
// leaf in the same job; a block already verified (a copy from another
// source) is not written again.
void Download::write_blocks(Slot& slot) {
    struct Block {
        std::uint64_t index;
        std::size_t at; // in the batch
        std::size_t length;
        bool good = false;
    };
    // An empty file's one block is complete with no byte: no batch yet.
    auto batch = slot.pending ? std::exchange(slot.pending, nullptr) : take_pending();
    ByteSpan bytes = batch->bytes();
    auto blocks = std::make_shared<std::vector<Block>>();
    std::size_t used = 0;
    while (true) {
        std::uint64_t index = (slot.pending_offset + used) / content::block_size;
        if (index >= verified_.size()) break;
        std::size_t length = content::block_length(plan_.size, index);
        if (bytes.size() - used < length || (length == 0 && verified_[index])) break;
        if (!verified_[index]) blocks->push_back(Block{index, used, length});
        used += length;
        if (length == 0) break;
    }
    slot.pending_offset += used;
    // An unfinished block (a batch written early) starts the next batch:
    // the one copy, of less than a block, and only then.
    if (used < bytes.size()) {
        slot.pending = take_pending();
        slot.pending->append(bytes.subspan(used));
    }
    if (slot.source && slot.source->active() && !limit_timer_.active()) slot.source->resume_reading();
    if (blocks->empty()) {
        give_back(std::move(batch));
        return next_step(); // copies of verified blocks only
    }
    file_busy_ = true;
    auto status = std::make_shared<Status>(Ok{});
    std::size_t index = static_cast<std::size_t>(&slot - slots_.data());
    // content_ does not change once the ranges are planned: the job reads it.
    queue_work(
        manager_.daemon().loop(),
        [fd = fd_, batch, blocks, status, content = &content_] {
            ByteSpan all = batch->bytes();
            for (Block& block : *blocks) {
                ByteSpan bytes = all.subspan(block.at, block.length);
                block.good = content::verify_block(*content, block.index, bytes);
                if (!block.good) break; // a bad block is not written: the file keeps only checked bytes
                auto offset = block.index * content::block_size;
                if (int error = write_at(fd, bytes, offset); error != 0) {
                    *status = make_error(ErrorCode::io_error, errno_text(error));
                    block.good = false;
                    break;
                }
                // Writeback starts now, while the rest arrives, not all at
                // the final fsync.
                start_writeback(fd, offset, bytes.size());
            }
        },
        [this, batch, blocks, status, index, hold = hold()] {
            file_busy_ = false;
            give_back(batch);
            if (!*status)
                return finish_with(make_error(ErrorCode::io_error, fmt::format("cannot write {}: {}", part_path_,
                                                                                 status->error().message)));
            std::vector<std::pair<std::uint64_t, bool>> checked;
            for (const Block& block : *blocks) {
                checked.emplace_back(block.index, block.good);
                if (!block.good) break;
            }
            blocks_written(slots_.at(index), checked);
        });
}

void Download::blocks_written(Slot& slot, const std::vector<std::pair<std::uint64_t, bool>>& checked) {
    DownloadSource& source = *slot.source;
    if (Logger& log = manager_.daemon().log(); log.enabled(LogLevel::debug) && !checked.empty())
        log.debug("{}: blocks {} to {} from {} checked: {}", printable(plan_.name), checked.front().first,
                  checked.back().first, source.text(), checked.back().second ? "verified" : "the last one is bad");
    for (const auto& [block, good] : checked) {
        if (!good) {
            std::string why = fmt::format("block {} does not match its hash", block);
            manager_.daemon().log().warn("{} sent bad data for {}: {}; it is dropped for this download",
                                         source.text(), printable(plan_.name), why);
            clear_pending(slot);
            drop(slot, why);
            return;
        }
        verified_[block] = true;
        state_dirty_ = true;
        ++slot.verified_blocks;
        RangePlan::Verified change = ranges_->block_verified(source.id(), block);
        for (RangePlan::SourceId other : change.outrun) {
            Slot& loser = slots_.at(other);
            if (!loser.source->active() || loser.cancelled) continue;
            manager_.daemon().log().info("{} was outrun by {} for the last blocks of {}; it is stopped",
                                         loser.source->text(), source.text(), printable(plan_.name));
            cancel_source(loser, "outrun by another holder");
        }
    }
    if (source.active() && pending_size(slot) < write_batch && !limit_timer_.active()) source.resume_reading();
    next_step();
}

// Content without a root: bytes are written as they come, checked (if the
// holder named a root) once the file is whole.
void Download::write_plain(Slot& slot) {
    file_busy_ = true;
    auto buffer = slot.pending ? std::exchange(slot.pending, nullptr) : take_pending();
    if (slot.source && slot.source->active() && !limit_timer_.active()) slot.source->resume_reading();
    auto status = std::make_shared<Status>(Ok{});
    std::uint64_t offset = slot.pending_offset;
    slot.pending_offset += buffer->size();
    queue_work(
        manager_.daemon().loop(),
        [fd = fd_, offset, buffer, status] {
            if (int error = write_at(fd, buffer->bytes(), offset); error != 0)
                *status = make_error(ErrorCode::io_error, errno_text(error));
            else
                start_writeback(fd, offset, buffer->size());
        },
        [this, buffer, status, hold = hold()] {
            file_busy_ = false;
            std::uint64_t written = buffer->size();
            give_back(buffer);
            if (!*status)
                return finish_with(make_error(ErrorCode::io_error, fmt::format("cannot write {}: {}", part_path_,
                                                                                 status->error().message)));
            plain_written_ += written;
            next_step();
        });
}

void Download::check_claimed_blocks() {
    file_busy_ = true;
    checking_ = true;
    report_progress(true);
    auto claimed = std::make_shared<std::vector<bool>>(std::move(claimed_));
    claimed_.clear();
    auto good = std::make_shared<std::vector<bool>>(claimed->size(), false);
    queue_work(
        manager_.daemon().loop(),
        [fd = fd_, content = content_, claimed, good] {
            for (std::uint64_t i = 0; i < claimed->size(); ++i) {
                if (!(*claimed)[i]) continue;
                Bytes block;
                (*good)[i] = read_at(fd, i * content::block_size, content::block_length(content.size, i), block) == 0 &&
                             content::verify_block(content, i, block);
            }
        },
        [this, claimed, good, hold = hold()] {
            file_busy_ = false;
            checking_ = false;
            std::uint64_t failed = 0;
            for (std::size_t i = 0; i < good->size(); ++i) {
                if ((*good)[i]) verified_[i] = true;
                if ((*claimed)[i] && !(*good)[i]) ++failed;
            }
            state_dirty_ = true;
            manager_.daemon().log().info("resuming {} with {} of {} bytes verified{}", printable(plan_.name),
                                         group_thousands(verified_bytes()), group_thousands(plan_.size),
                                         failed ? fmt::format(" ({} failed their check)", count_of(failed, "block", "blocks"))
                                                : std::string());
            next_step();
        });
}

void Download::save_state() {
    state_dirty_ = false;
    std::string path = manager_.state_path(*plan_.root);
    if (path.empty()) return next_step();
    ResumeState state{*plan_.root, plan_.size, plan_.name, plan_.output_dir, verified_};
    for (std::size_t i = 0; i < claimed_.size() && i < state.verified.size(); ++i)
        if (claimed_[i]) state.verified[i] = true; // not checked again yet: still claimed
    state_saved_ms_ = now_ms(manager_.daemon().loop());
    auto status = std::make_shared<Status>(Ok{});
    file_busy_ = true;
    queue_work(
        manager_.daemon().loop(),
        [path, bytes = encode_resume_state(state), status] {
            std::string dir = path.substr(0, path.rfind('/'));
            ::mkdir(dir.c_str(), 0750);
            *status = write_file_atomically(path, bytes);
        },
        [this, status, hold = hold()] {
            file_busy_ = false;
            if (!*status)
                manager_.daemon().log().warn("cannot save the state of {} (it will not resume): {}", printable(plan_.name),
                                             status->error().message);
            next_step();
        });
}

void Download::finish_plain() {
    plain_received_ = false;
    if (holder_root_) return verify_whole_file();
    complete(false);
}

// Content the holder had not hashed when listed, but hashed by the time it
// answered GET: the whole file must hash to the root it named.
void Download::verify_whole_file() {
    file_busy_ = true;
    checking_ = true;
    report_progress(true);
    auto hashed = std::make_shared<Result<content::HashedContent>>(make_error(ErrorCode::internal, "not run"));
    queue_work(
        manager_.daemon().loop(), [fd = fd_, size = plan_.size, hashed] { *hashed = content::hash_file(fd, size); },
        [this, hashed, hold = hold()] {
            file_busy_ = false;
            checking_ = false;
            if (*hashed && (*hashed)->root == *holder_root_) {
                content_ = std::move(**hashed);
                plan_.root = holder_root_;
                return complete(true);
            }
            Slot& slot = slots_.at(*plain_source_);
            std::string why = *hashed ? "the bytes do not match the root it announced"
                                      : fmt::format("cannot check {}: {}", part_path_, hashed->error().message);
            if (*hashed)
                manager_.daemon().log().warn("{} sent bad data for {}: {}", slot.source->text(), printable(plan_.name),
                                             why);
            holder_root_.reset();
            drop(slot, why);
        });
}

void Download::complete(bool verified) {
    auto problem = std::make_shared<Error>(ErrorCode::internal, "");
    auto sync_warning = std::make_shared<std::string>();
    file_busy_ = true;
    // napctl shows "syncing": the fsync of a big file may take seconds.
    syncing_ = true;
    report_progress(true);
    std::string state_path = plan_.root ? manager_.state_path(*plan_.root) : std::string();
    queue_work(
        manager_.daemon().loop(),
        [fd = fd_, part = part_path_, final_path = final_path_, dir = plan_.output_dir_fd, state_path, problem,
         sync_warning, part_name = part_path_.substr(part_path_.rfind('/') + 1), name = plan_.name] {
            if (::fsync(fd) != 0)
                *problem = {ErrorCode::io_error, fmt::format("cannot sync {}: {}", part, errno_text(errno))};
            ::close(fd);
            // link() refuses to replace an existing name, unlike rename():
            // a file that appeared meanwhile is kept.
            if (problem->message.empty() && ::linkat(dir->get(), part_name.c_str(), dir->get(), name.c_str(), 0) != 0)
                *problem = errno == EEXIST
                               ? Error{ErrorCode::invalid_argument,
                                       fmt::format("{} already exists; napeerd never replaces a file", final_path)}
                               : Error{ErrorCode::io_error,
                                       fmt::format("cannot create {}: {}", final_path, errno_text(errno))};
            ::unlinkat(dir->get(), part_name.c_str(), 0);
            if (!state_path.empty()) ::unlink(state_path.c_str());
            // The file's bytes are synced; its new name (and the partial
            // file's removal) are durable only once the directory is.
            if (problem->message.empty())
                if (::fsync(dir->get()) != 0)
                    *sync_warning = fmt::format("cannot sync the directory of {}: {}", final_path, errno_text(errno));
        },
        [this, problem, verified, sync_warning, hold = hold()] {
            file_busy_ = false;
            fd_ = -1;
            if (!problem->message.empty()) return finish_with(*problem);
            // The file is complete and in place; only a crash could still
            // lose its name, which the user is told of.
            if (!sync_warning->empty())
                manager_.daemon().log().warn("{} is saved but may not survive a crash: {}", printable(final_path_),
                                             *sync_warning);
            const protocol::Holder& holder = main_slot()->source->holder();
            finish_with(protocol::FetchDone{final_path_, plan_.size, holder.peer_id, holder.peer_name, plan_.root, verified});
        });
}

protocol::FetchProgress Download::progress_now() const {
    std::uint64_t done = resumable() ? verified_bytes() : plain_written_;
    for (const Slot& slot : slots_) done += pending_size(slot);
    std::uint64_t now = now_ms(manager_.daemon().loop());
    return protocol::FetchProgress{std::min(done, plan_.size), plan_.size, sources_in_use(), transfer_id_, phase(),
                                   started_ms_ ? now - started_ms_ : 0};
}

void Download::report_progress(bool force) {
    std::uint64_t now = now_ms(manager_.daemon().loop());
    if (!force && now - last_progress_ms_ < progress_interval_ms) return;
    last_progress_ms_ = now;
    protocol::FetchProgress progress = progress_now();
    manager_.daemon().transfers().update(transfer_id_, {progress.received, progress.total, progress.phase, progress.sources},
                                         now);
    for (const auto& listener : listeners_)
        if (listener.progress) listener.progress(progress);
}

// The outcome is told once every source has closed and no file operation
// runs (next_step).
void Download::finish_with(Result<protocol::FetchDone> result) {
    if (reported_ || outcome_) return;
    outcome_ = std::move(result);
    busy_timer_.stop();
    for (Slot& slot : slots_)
        if (slot.source && slot.source->active()) cancel_source(slot, aborted_ ? "cancelled" : "the download ended");
    next_step();
}

void Download::finish_now(Result<protocol::FetchDone> result) {
    // The partial file is closed before the outcome is told; a resumable
    // one stays with its state, any other goes.
    if (fd_ >= 0) {
        file_busy_ = true;
        int fd = std::exchange(fd_, -1);
        return queue_work(
            manager_.daemon().loop(),
            [fd, dir = plan_.output_dir_fd,
             part_name = resumable() ? std::string() : part_path_.substr(part_path_.rfind('/') + 1)] {
                ::close(fd);
                if (!part_name.empty() && dir) ::unlinkat(dir->get(), part_name.c_str(), 0);
            },
            [this, result = std::move(result), hold = hold()]() mutable {
                file_busy_ = false;
                finish_now(std::move(result));
            });
    }
    reported_ = true;
    state_timer_.stop();
    busy_timer_.stop();
    flush_timer_.stop();
    limit_timer_.stop();
    PeerDaemon& daemon = manager_.daemon();
    bool ok = result.ok();
    if (ok) {
        report_progress(true);
        double seconds = static_cast<double>(now_ms(daemon.loop()) - started_ms_) / 1000.0;
        daemon.log().info("downloaded {} from {}: {} bytes in {:.2f} s, {}, saved as {}", printable(plan_.name),
                          sources_text(), result->size, seconds,
                          result->verified ? fmt::format("verified {}", root_prefix(result->root)) : "not verified",
                          printable(result->path));
        content::SharedContent known;
        if (result->verified) known = std::make_shared<const content::HashedContent>(std::move(content_));
        daemon.share_new_file(result->path, std::move(known));
    } else {
        if (resumable() && verified_bytes() > 0 && fd_ < 0 && !manager_.state_path(*plan_.root).empty())
            result = make_error(result.error().code,
                                fmt::format("{}; {} of {} bytes are verified and kept to resume", result.error().message,
                                            group_thousands(verified_bytes()), group_thousands(plan_.size)));
        daemon.log().warn("download of {} failed: {}", printable(plan_.name), result.error().message);
    }
    using protocol::TransferState;
    daemon.transfers().end(transfer_id_,
                           ok                       ? TransferState::done
                           : !cancel_reason_.empty() ? TransferState::cancelled
                                                    : TransferState::failed,
                           ok ? std::string() : result.error().message, now_ms(daemon.loop()));
    daemon.transfers().keep_outcome(transfer_id_, result);
    auto listeners = std::move(listeners_);
    manager_.download_ended(*this, ok);
    for (auto& listener : listeners)
        if (listener.done) listener.done(result);
    finish(); // may free this download: nothing after it
}

} // namespace napster
