// SPDX-License-Identifier: MIT
#include "peer/download.h"

#include "event/clock.h"
#include "event/handshake.h"
#include "event/work.h"
#include "fs/partial_name.h"
#include "peer/fetch_choice.h"
#include "peer/peer_daemon.h"
#include "protocol/common_messages.h"
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

constexpr std::uint64_t stall_limit_ms = 30'000;
// Per address the holder listed; a holder that does not answer is skipped.
constexpr std::uint64_t connect_timeout_ms = 10'000;
constexpr std::uint64_t progress_interval_ms = 250;
// Bytes gathered for one pwrite (a whole number of blocks): while one such
// buffer is being written and the next is full, the socket is not read.
constexpr std::size_t write_batch = 4 * content::block_size;
constexpr std::uint64_t flush_after_ms = 250;
// The resume state is rewritten at most this often while bytes arrive.
constexpr std::uint64_t state_save_interval_ms = 2'000;
constexpr std::uint64_t cleanup_interval_ms = 24 * 3600 * 1000;
constexpr std::size_t max_state_file = 64 * 1024 * 1024;

std::string errno_text(int error) {
    return std::strerror(error);
}

// What the start of a download finds on the thread pool.
struct Opening {
    Error problem{ErrorCode::internal, ""};
    int fd = -1;
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
    if (plan.root)
        if (auto running = by_root_.find(*plan.root); running != by_root_.end()) {
            daemon_.log().info("joining the download of {} already running", printable(running->second->plan().name));
            return running->second->add_listener(std::move(progress), std::move(done));
        }
    ++active_;
    protocol::RootHash root = plan.root;
    Download& download = downloads_.add(*this, std::move(plan));
    if (root) by_root_[*root] = &download;
    download.add_listener(std::move(progress), std::move(done));
    download.start();
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
                if (f.age_seconds >= static_cast<std::int64_t>(daemon_.config().download_keep_partial)) {
                    daemon_.log().info("removing the partial download of {} ({} of {} bytes), untouched for {} "
                                       "(download.keep_partial)",
                                       printable(state.name),
                                       group_thousands(std::min(state.size, state.verified_count() * content::block_size)),
                                       group_thousands(state.size), count_of(static_cast<unsigned long long>(f.age_seconds) / 86400, "day", "days"));
                    remove.push_back(f.path);
                    remove.push_back(join_path(state.output_dir, resumable_partial_name(state.root)));
                    continue;
                }
                if (resume) resume_one(std::move(state));
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
        if (daemon_.stopping()) return;
        Result<FetchChoice> choice = answer ? choose_fetch(request, *answer, daemon_.index().peer_id())
                                            : Result<FetchChoice>(answer.error());
        if (!choice) {
            daemon_.log().info("the partial download of {} is kept for later: {}", printable(request.name),
                               choice.error().message);
            return;
        }
        daemon_.log().info("resuming the download of {}", printable(request.name));
        fetch(FetchPlan{request.name, choice->size, choice->root, std::move(choice->holders), request.output_dir},
              nullptr, [](Result<protocol::FetchDone>) {});
    });
}

Download::Download(DownloadManager& manager, FetchPlan plan)
    : manager_(manager), plan_(std::move(plan)), connector_(manager.daemon().loop()),
      stall_timer_(manager.daemon().loop()), rate_timer_(manager.daemon().loop()),
      state_timer_(manager.daemon().loop()), flush_timer_(manager.daemon().loop()),
      limit_timer_(manager.daemon().loop()) {}

// Every path to the outcome closes the partial file first; this only
// guards against a descriptor left by a bug.
Download::~Download() {
    if (fd_ >= 0) ::close(fd_);
}

void Download::add_listener(DownloadManager::ProgressCallback progress, DownloadManager::DoneCallback done) {
    listeners_.push_back(Listener{std::move(progress), std::move(done)});
    if (listeners_.size() > 1) report_progress(true);
}

std::string Download::holder_text() const {
    return fmt::format("peer {} ({})", holder().peer_id, printable(holder().peer_name));
}

std::uint64_t Download::first_missing_block() const {
    auto it = std::find(verified_.begin(), verified_.end(), false);
    return static_cast<std::uint64_t>(it - verified_.begin());
}

std::uint64_t Download::verified_bytes() const {
    std::uint64_t bytes = 0;
    for (std::uint64_t i = 0; i < verified_.size(); ++i)
        if (verified_[i]) bytes += content::block_length(plan_.size, i);
    return bytes;
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
         state_path = plan_.root ? manager_.state_path(*plan_.root) : std::string(), plan = plan_, opening] {
            struct stat st {};
            if (stat(dir.c_str(), &st) != 0) {
                opening->problem = {ErrorCode::io_error, fmt::format("cannot use {}: {}", dir, errno_text(errno))};
                return;
            }
            if (!S_ISDIR(st.st_mode)) {
                opening->problem = {ErrorCode::invalid_argument, fmt::format("{} is not a directory", dir)};
                return;
            }
            if (lstat(final_path.c_str(), &st) == 0) {
                opening->problem = {ErrorCode::invalid_argument,
                                    fmt::format("{} already exists; napeerd never replaces a file", final_path)};
                return;
            }
            // A resumable partial file is ours by its name: opened again
            // as it is; any other is new.
            int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (resumable ? 0 : O_EXCL);
            opening->fd = ::open(part.c_str(), flags, 0644);
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
            } else if (state->output_dir != plan.output_dir) {
                // An earlier fetch of this content into another directory:
                // its partial file would be left behind for good.
                ::unlink(join_path(state->output_dir, resumable_partial_name(state->root)).c_str());
            }
        },
        [this, opening, hold = hold()] {
            file_busy_ = false;
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

void Download::abort(const std::string& reason) {
    aborted_ = true;
    if (connection_) return connection_->close(reason); // on_closed goes on
    if (stage_ == Stage::connecting) {
        connector_.cancel();
        stage_ = Stage::between_holders;
    }
    next_step();
}

void Download::try_next_holder() {
    if (reported_) return;
    if (aborted_)
        return finish_with(make_error(ErrorCode::busy, "the download was cancelled: napeerd is shutting down"));
    if (holder_index_ >= plan_.holders.size()) {
        std::string why;
        for (const auto& f : failures_) why += (why.empty() ? "" : "; ") + f;
        return finish_with(make_error(ErrorCode::io_error,
                                      fmt::format("could not fetch {}: {}", printable(plan_.name),
                                                  why.empty() ? "no holder to fetch from" : why)));
    }
    const protocol::Holder& next = plan_.holders[holder_index_++];
    stage_ = Stage::connecting;
    file_failed_ = false;
    // The connector is ours and calls back no one once cancelled or gone.
    connector_.connect(next.address, next.port, connect_timeout_ms,
                       [this](Result<Connection*> connection) { connected(std::move(connection)); });
}

void Download::connected(Result<Connection*> connection) {
    if (!connection) return holder_failed(connection.error().message);
    stage_ = Stage::hello;
    connection_ = *connection;
    connection_->set_handler(this);
    connection_->start_reading();
    connection_->send_message(protocol::Hello{protocol::version, protocol::Channel::transfer});
    restart_stall_timer();
}

void Download::restart_stall_timer() {
    stall_timer_.start_once(stall_limit_ms, [this] {
        if (connection_) connection_->close("no data for 30 s");
    });
}

void Download::on_frame(Connection& connection, const protocol::Frame& frame) {
    restart_stall_timer();
    if (frame.type == MessageType::error) {
        auto error = protocol::decode_message<protocol::ErrorMessage>(frame.payload);
        return connection.close(error ? fmt::format("refused: {}", printable(error->text))
                                      : "sent a malformed ERROR");
    }
    // After WELCOME the holder may PING until GET_OK (napster-protocol(7)).
    if (frame.type == MessageType::ping && (stage_ == Stage::get || stage_ == Stage::hashes))
        return answer_ping(connection, frame);
    if (stage_ == Stage::hello) return handle_welcome(frame);
    if (stage_ == Stage::hashes && frame.type == MessageType::hashes) return handle_hashes(frame);
    if (stage_ == Stage::get && frame.type == MessageType::get_ok) return handle_get_ok(frame);
    connection.fail({ErrorCode::unexpected_message,
                     fmt::format("{} is not expected now", protocol::message_type_name(frame.type))});
}

void Download::handle_welcome(const protocol::Frame& frame) {
    if (frame.type != MessageType::welcome)
        return connection_->fail({ErrorCode::unexpected_message, "expected WELCOME"});
    auto welcome = protocol::decode_message<protocol::Welcome>(frame.payload);
    if (!welcome) return connection_->fail(welcome.error());
    if (auto version = protocol::check_welcome(*welcome, "the holder"); !version)
        return connection_->fail(version.error());
    if (resumable() && content_.blocks.size() != content::block_count(plan_.size)) return ask_hashes();
    send_get();
}

void Download::ask_hashes() {
    stage_ = Stage::hashes;
    std::uint64_t have = content_.blocks.size();
    std::uint64_t want = std::min<std::uint64_t>(protocol::max_hashes_per_reply, content::block_count(plan_.size) - have);
    connection_->send_message(protocol::GetHashes{holder().file_id, holder().name, *plan_.root, have,
                                                  static_cast<std::uint32_t>(want)});
}

// The block hashes are believed only once they hash to the root asked for:
// a holder cannot make bad blocks pass with hashes of its own.
void Download::handle_hashes(const protocol::Frame& frame) {
    auto hashes = protocol::decode_message<protocol::Hashes>(frame.payload);
    if (!hashes) return connection_->fail(hashes.error());
    if (hashes->root != *plan_.root || hashes->size != plan_.size || hashes->first != content_.blocks.size() ||
        hashes->leaves.empty())
        return connection_->fail({ErrorCode::invalid_argument, "HASHES is not the answer to the GET_HASHES sent"});
    content_.blocks.insert(content_.blocks.end(), hashes->leaves.begin(), hashes->leaves.end());
    if (content_.blocks.size() < content::block_count(plan_.size)) return ask_hashes();
    content_.root = *plan_.root;
    content_.size = plan_.size;
    if (!content::blocks_match_root(content_)) {
        content_.blocks.clear();
        bad_data_ = "its block hashes do not match the root";
        manager_.daemon().log().warn("{} sent bad data for {}: {}", holder_text(), printable(plan_.name), bad_data_);
        return connection_->close(bad_data_);
    }
    if (std::find(claimed_.begin(), claimed_.end(), true) != claimed_.end()) {
        // The partial file's blocks are checked with no holder waiting on
        // us (its handshake timeout), then this holder is asked again.
        stage_ = Stage::checking;
        return connection_->close("checking the partial file before resuming");
    }
    send_get();
}

void Download::check_claimed_blocks() {
    file_busy_ = true;
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

void Download::send_get() {
    std::uint64_t offset = 0;
    if (resumable()) {
        std::uint64_t block = first_missing_block();
        if (block == verified_.size()) {
            stage_ = Stage::body; // nothing left: the partial file is whole
            body_offset_ = written_ = plan_.size;
            length_ = received_ = 0;
            return connection_->close("every block is verified");
        }
        offset = block * content::block_size;
    }
    protocol::Get get;
    get.requester_id = manager_.daemon().index().peer_id().value_or(protocol::unknown_peer_id);
    get.requester_name = manager_.daemon().config().name;
    get.file_id = holder().file_id;
    get.name = holder().name;
    get.root = plan_.root;
    get.offset = offset;
    connection_->send_message(get);
    body_offset_ = offset;
    stage_ = Stage::get;
}

void Download::handle_get_ok(const protocol::Frame& frame) {
    auto ok = protocol::decode_message<protocol::GetOk>(frame.payload);
    if (!ok) return connection_->fail(ok.error());
    // Refused before a byte is written: a holder must not fill the disk
    // with more, or hand over something else, than was listed.
    if (ok->size != plan_.size)
        return connection_->fail({ErrorCode::invalid_argument,
                                  fmt::format("the holder announced {} bytes, the index listed {}", ok->size, plan_.size)});
    if (plan_.root && ok->root != plan_.root)
        return connection_->fail({ErrorCode::invalid_argument, "the holder offers other content than asked for"});
    if (ok->offset != body_offset_ || ok->length != plan_.size - body_offset_)
        return connection_->fail({ErrorCode::invalid_argument, "GET_OK is not the range asked for"});
    if (!plan_.root) holder_root_ = ok->root;
    connection_->set_raw_mode();
    stage_ = Stage::body;
    length_ = ok->length;
    received_ = 0;
    written_ = body_offset_;
    block_hasher_ = resumable() ? std::make_shared<content::TreeHasher>() : nullptr;
    rate_window_ms_ = now_ms(manager_.daemon().loop());
    rate_window_bytes_ = 0;
    rate_timer_.start_repeating(1000, [this] { check_rate(); });
    report_progress(true);
    // An empty file (or one whose last block is all that is left and is
    // empty) has its one block complete already.
    if (length_ == 0 && resumable()) {
        drop_pending();
        return write_pending();
    }
}

void Download::check_rate() {
    const PeerConfig& config = manager_.daemon().config();
    if (!connection_ || stage_ != Stage::body || config.download_min_rate == 0) return;
    std::uint64_t now = now_ms(manager_.daemon().loop());
    std::uint64_t window_ms = std::uint64_t{config.download_min_rate_window} * 1000;
    if (now - rate_window_ms_ < window_ms) return;
    std::uint64_t got = received_ - rate_window_bytes_;
    if (got * 1000 < config.download_min_rate * (now - rate_window_ms_))
        return connection_->close(fmt::format("it sent {} in {} s, less than download.min_rate ({} bytes/s)",
                                              count_of(got, "byte", "bytes"), (now - rate_window_ms_) / 1000,
                                              config.download_min_rate));
    rate_window_ms_ = now;
    rate_window_bytes_ = received_;
}

// Never more room than the body has bytes left: what a holder sends past
// its length lands in the shared buffer and is refused there.
std::span<std::byte> Download::raw_room(Connection&) {
    if (stage_ != Stage::body || received_ >= length_) return {};
    if (!pending_) pending_ = std::make_shared<FillBuffer>(write_batch);
    std::span<std::byte> room = pending_->room();
    std::uint64_t most = length_ - received_;
    // download.rate_limit: a read no larger than what the bucket holds
    // (or a minimal read), so debt stays small.
    TokenBucket& limit = manager_.daemon().download_limit();
    if (limit.limited())
        most = std::min(most, std::max<std::uint64_t>(limit.available(now_ms(manager_.daemon().loop())),
                                                      TokenBucket::min_burst / 4));
    return room.first(static_cast<std::size_t>(std::min<std::uint64_t>(room.size(), most)));
}

// Past download.rate_limit the socket is not read until the debt is paid.
void Download::pace_reading(Connection& connection, std::uint64_t bytes) {
    TokenBucket& limit = manager_.daemon().download_limit();
    if (!limit.limited() || received_ == length_) return;
    std::uint64_t now = now_ms(manager_.daemon().loop());
    limit.take(now, bytes);
    if (limit.available(now) > 0 || limit_timer_.active()) return;
    connection.pause_reading();
    limit_timer_.start_once(std::max<std::uint64_t>(1, limit.wait_ms(now, TokenBucket::min_burst / 4)), [this] {
        if (connection_ && stage_ == Stage::body && !(pending_ && pending_->size() >= write_batch))
            connection_->start_reading();
    });
}

void Download::on_raw(Connection& connection, ByteSpan bytes) {
    if (bytes.size() > length_ - received_) return connection.close("the holder sent more bytes than it announced");
    restart_stall_timer();
    received_ += bytes.size();
    if (!pending_) pending_ = std::make_shared<FillBuffer>(write_batch);
    if (!pending_->room().empty() && bytes.data() == pending_->room().data())
        pending_->grew(bytes.size()); // read in place
    else
        pending_->append(bytes);
    pace_reading(connection, bytes.size());
    // A full buffer waits for the one being written: stop reading till then.
    if (pending_->size() >= write_batch && file_busy_) connection.pause_reading();
    next_step();
    report_progress(false);
    if (received_ == length_) connection.close("all bytes received");
}

// Writes what has arrived and, with a root, checks each block it
// completes: a bad one is known before the next write.
void Download::write_pending() {
    file_busy_ = true;
    if (!pending_) pending_ = std::make_shared<FillBuffer>(write_batch);
    std::shared_ptr<FillBuffer> buffer = std::exchange(pending_, std::move(spare_));
    struct Outcome {
        Status status = Ok{};
        std::vector<std::pair<std::uint64_t, bool>> checked; // block, good
    };
    auto outcome = std::make_shared<Outcome>();
    // content_ does not change while a body arrives: the job reads it.
    queue_work(
        manager_.daemon().loop(),
        [fd = fd_, offset = written_, buffer, outcome, hasher = block_hasher_, first_block = body_offset_ / content::block_size,
         size = plan_.size, blocks = resumable() ? &content_ : nullptr] {
            if (int error = write_at(fd, buffer->bytes(), offset); error != 0)
                outcome->status = make_error(ErrorCode::io_error, errno_text(error));
            if (!outcome->status) return;
            // Writeback starts now, while the rest arrives, not all at the
            // final fsync.
            (void)::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(buffer->size()),
                                    SYNC_FILE_RANGE_WRITE);
            if (!hasher) return;
            std::size_t before = hasher->full_block_leaves().size();
            hasher->update(buffer->bytes());
            std::vector<content::Digest> done(hasher->full_block_leaves().begin() + static_cast<std::ptrdiff_t>(before),
                                              hasher->full_block_leaves().end());
            // The last block, shorter than the others or empty, is complete
            // when the file is.
            if (offset + buffer->size() == size && (size % content::block_size != 0 || size == 0))
                done.push_back(hasher->finish().blocks.back());
            for (std::size_t k = 0; k < done.size(); ++k) {
                std::uint64_t block = first_block + before + k;
                outcome->checked.emplace_back(block, done[k] == blocks->blocks.at(block));
            }
        },
        [this, buffer, outcome, hold = hold()] {
            file_busy_ = false;
            if (!outcome->status) {
                std::string why = fmt::format("cannot write {}: {}", part_path_, outcome->status.error().message);
                if (stage_ != Stage::body) return next_step();
                file_failed_ = true;
                if (connection_) return connection_->close(why);
                return holder_failed(why);
            }
            written_ += buffer->size();
            buffer->clear();
            if (!spare_) spare_ = buffer;
            written(std::move(outcome->checked));
        });
}

void Download::written(std::vector<std::pair<std::uint64_t, bool>> checked) {
    for (const auto& [block, good] : checked) {
        if (good) {
            verified_[block] = true;
            state_dirty_ = true;
        } else if (bad_data_.empty()) {
            bad_data_ = fmt::format("block {} does not match its hash", block);
            manager_.daemon().log().warn("{} sent bad data for {}: {}; it is dropped for this download",
                                         holder_text(), printable(plan_.name), bad_data_);
        }
    }
    if (!bad_data_.empty()) {
        drop_pending();
        if (stage_ == Stage::body) {
            if (connection_) return connection_->close(bad_data_);
            return holder_failed(bad_data_);
        }
        bad_data_.clear(); // bytes of a holder already dropped: nothing more to do
    }
    // The next batch may go out first (it swaps in an empty buffer), so
    // reading resumes with room.
    next_step();
    if (connection_ && !(pending_ && pending_->size() >= write_batch) && !limit_timer_.active())
        connection_->start_reading();
}

void Download::on_closed(Connection&, const std::string& reason) {
    connection_ = nullptr;
    stall_timer_.stop();
    rate_timer_.stop();
    if (stage_ == Stage::checking && !aborted_) {
        // Not a failure: the same holder is asked again once the partial
        // file is checked.
        --holder_index_;
        stage_ = Stage::between_holders;
        return next_step();
    }
    if (!aborted_ && !file_failed_ && bad_data_.empty() && stage_ == Stage::body && received_ == length_)
        return next_step();
    std::string why = aborted_ ? "cancelled"
                      : !bad_data_.empty() ? bad_data_
                      : stage_ == Stage::body ? fmt::format("{} after {} of {} bytes", reason, received_, length_)
                                              : reason;
    holder_failed(why);
}

void Download::holder_failed(const std::string& reason) {
    failures_.push_back(fmt::format("{}: {}", holder_text(), reason));
    if (!aborted_)
        manager_.daemon().log().warn("download of {} from {} failed: {}", printable(plan_.name), holder_text(), reason);
    stage_ = Stage::between_holders;
    stall_timer_.stop();
    rate_timer_.stop();
    // Bytes that arrived before the holder went are still checked and kept
    // (next_step writes them), unless they are what made it fail.
    if (!resumable() || !bad_data_.empty() || file_failed_) {
        drop_pending();
        block_hasher_.reset();
    }
    bad_data_.clear();
    next_step();
}

// What to do once no file operation is running: between holders, start the
// partial file again (no root) or save what is verified (root), check a
// resumed file's blocks, then try the next holder; during a body, write what
// has arrived; at its end, finish the file.
void Download::next_step() {
    if (file_busy_ || reported_ || fd_ < 0) return;
    if (stage_ == Stage::between_holders) {
        if (resumable() && has_pending()) return write_pending();
        if (!resumable() && written_ > 0) {
            file_busy_ = true;
            written_ = 0;
            return queue_work(
                manager_.daemon().loop(), [fd = fd_] { (void)::ftruncate(fd, 0); },
                [this, hold = hold()] {
                    file_busy_ = false;
                    next_step();
                });
        }
        if (state_dirty_) return save_state();
        if (!claimed_.empty() && !content_.blocks.empty() && !aborted_) return check_claimed_blocks();
        return try_next_holder();
    }
    if (stage_ != Stage::body) return;
    // Large writes: a full batch, what is left once every byte is here, or
    // what has waited flush_after_ms (bytes that may be all a stalling
    // holder sends: written and verified on time all the same).
    if (has_pending() && (pending_->size() >= write_batch || received_ == length_ || flush_due_)) {
        flush_due_ = false;
        flush_timer_.stop();
    limit_timer_.stop();
        return write_pending();
    }
    if (has_pending() && !flush_timer_.active())
        flush_timer_.start_once(flush_after_ms, [this] {
            flush_due_ = true;
            next_step();
        });
    if (state_dirty_) {
        std::uint64_t since = now_ms(manager_.daemon().loop()) - state_saved_ms_;
        if (since >= state_save_interval_ms) return save_state();
        // The bytes may stop here (a holder that stalls): the blocks
        // verified so far are saved on time all the same, not only when
        // the next bytes come.
        if (!state_timer_.active()) state_timer_.start_once(state_save_interval_ms - since, [this] { next_step(); });
    }
    if (!connection_ && received_ == length_) finish_file();
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

void Download::finish_file() {
    if (resumable()) {
        if (first_missing_block() != verified_.size()) return holder_failed("it left blocks unverified");
        return complete(true);
    }
    if (holder_root_) return verify_whole_file();
    complete(false);
}

// Content the holder had not hashed when listed, but hashed by the time it
// answered GET: the whole file must hash to the root it named.
void Download::verify_whole_file() {
    file_busy_ = true;
    auto hashed = std::make_shared<Result<content::HashedContent>>(make_error(ErrorCode::internal, "not run"));
    queue_work(
        manager_.daemon().loop(), [fd = fd_, size = plan_.size, hashed] { *hashed = content::hash_file(fd, size); },
        [this, hashed, hold = hold()] {
            file_busy_ = false;
            if (*hashed && (*hashed)->root == *holder_root_) {
                content_ = std::move(**hashed);
                plan_.root = holder_root_;
                return complete(true);
            }
            std::string why = *hashed ? "the bytes do not match the root it announced"
                                      : fmt::format("cannot check {}: {}", part_path_, hashed->error().message);
            if (*hashed)
                manager_.daemon().log().warn("{} sent bad data for {}: {}", holder_text(), printable(plan_.name), why);
            holder_root_.reset();
            holder_failed(why);
        });
}

void Download::complete(bool verified) {
    auto problem = std::make_shared<Error>(ErrorCode::internal, "");
    auto sync_warning = std::make_shared<std::string>();
    file_busy_ = true;
    std::string state_path = plan_.root ? manager_.state_path(*plan_.root) : std::string();
    queue_work(
        manager_.daemon().loop(),
        [fd = fd_, part = part_path_, final_path = final_path_, dir = plan_.output_dir, state_path, problem,
         sync_warning] {
            if (::fsync(fd) != 0)
                *problem = {ErrorCode::io_error, fmt::format("cannot sync {}: {}", part, errno_text(errno))};
            ::close(fd);
            // link() refuses to replace an existing name, unlike rename():
            // a file that appeared meanwhile is kept.
            if (problem->message.empty() && ::link(part.c_str(), final_path.c_str()) != 0)
                *problem = errno == EEXIST
                               ? Error{ErrorCode::invalid_argument,
                                       fmt::format("{} already exists; napeerd never replaces a file", final_path)}
                               : Error{ErrorCode::io_error,
                                       fmt::format("cannot create {}: {}", final_path, errno_text(errno))};
            ::unlink(part.c_str());
            if (!state_path.empty()) ::unlink(state_path.c_str());
            // The file's bytes are synced; its new name (and the partial
            // file's removal) are durable only once the directory is.
            if (problem->message.empty())
                if (Status synced = sync_directory(dir); !synced) *sync_warning = synced.error().message;
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
            finish_with(protocol::FetchDone{final_path_, plan_.size, holder().peer_id, holder().peer_name, plan_.root,
                                            verified});
        });
}

void Download::report_progress(bool force) {
    std::uint64_t now = now_ms(manager_.daemon().loop());
    if (!force && now - last_progress_ms_ < progress_interval_ms) return;
    last_progress_ms_ = now;
    std::uint64_t done = stage_ == Stage::body ? body_offset_ + received_ : verified_bytes();
    for (const auto& listener : listeners_)
        if (listener.progress) listener.progress(done, plan_.size);
}

void Download::finish_with(Result<protocol::FetchDone> result) {
    // The partial file is closed before the outcome is told; a resumable
    // one stays with its state, any other goes.
    if (fd_ >= 0) {
        file_busy_ = true;
        int fd = std::exchange(fd_, -1);
        return queue_work(
            manager_.daemon().loop(),
            [fd, part = resumable() ? std::string() : part_path_] {
                ::close(fd);
                if (!part.empty()) ::unlink(part.c_str());
            },
            [this, result = std::move(result), hold = hold()]() mutable {
                file_busy_ = false;
                finish_with(std::move(result));
            });
    }
    reported_ = true;
    stall_timer_.stop();
    rate_timer_.stop();
    state_timer_.stop();
    flush_timer_.stop();
    limit_timer_.stop();
    connector_.cancel();
    PeerDaemon& daemon = manager_.daemon();
    bool ok = result.ok();
    if (ok) {
        report_progress(true);
        double seconds = static_cast<double>(now_ms(daemon.loop()) - started_ms_) / 1000.0;
        daemon.log().info("downloaded {} from {}: {} bytes in {:.2f} s, {}, saved as {}", printable(plan_.name),
                          holder_text(), result->size, seconds,
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
    auto listeners = std::move(listeners_);
    manager_.download_ended(*this, ok);
    for (auto& listener : listeners)
        if (listener.done) listener.done(result);
    finish(); // may free this download: nothing after it
}

} // namespace napster
