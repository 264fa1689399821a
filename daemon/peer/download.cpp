// SPDX-License-Identifier: MIT
#include "peer/download.h"

#include "event/clock.h"
#include "event/handshake.h"
#include "event/work.h"
#include "fs/partial_name.h"
#include "peer/peer_daemon.h"
#include "protocol/common_messages.h"
#include "protocol/transfer_messages.h"
#include "util/path_text.h"
#include "util/text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace napster {
namespace {

using protocol::ErrorCode;
using protocol::MessageType;

constexpr std::uint64_t stall_limit_ms = 30'000;
// Per address the holder listed; a holder that does not answer is skipped.
constexpr std::uint64_t connect_timeout_ms = 10'000;
constexpr std::uint64_t progress_interval_ms = 250;
// Stop reading from the socket while this much waits for the disk.
constexpr std::size_t max_unwritten = 4 * 1024 * 1024;

std::string errno_text(int error) {
    return std::strerror(error);
}

} // namespace

DownloadManager::DownloadManager(PeerDaemon& daemon)
    : daemon_(daemon), unique_(std::random_device{}()) {}

DownloadManager::~DownloadManager() = default;

void DownloadManager::fetch(FetchPlan plan, ProgressCallback progress, DoneCallback done) {
    if (daemon_.stopping()) return done(make_error(ErrorCode::busy, "napeerd is shutting down"));
    ++active_;
    downloads_.add(*this, std::move(plan), std::move(progress), std::move(done)).start();
}

void DownloadManager::stop() {
    downloads_.for_each([](Download& download) { download.abort("napeerd is shutting down"); });
}

void DownloadManager::download_ended(bool ok) {
    --active_;
    if (ok) ++completed_;
}

Download::Download(DownloadManager& manager, FetchPlan plan,
                   DownloadManager::ProgressCallback progress, DownloadManager::DoneCallback done)
    : manager_(manager), plan_(std::move(plan)), progress_(std::move(progress)),
      done_(std::move(done)), connector_(manager.daemon().loop()),
      stall_timer_(manager.daemon().loop()) {}

// Every path to the outcome drops the partial file first; this only
// guards against a descriptor left by a bug.
Download::~Download() {
    if (fd_ >= 0) ::close(fd_);
}

std::string Download::holder_text() const {
    const auto& h = plan_.holders.at(holder_index_ - 1);
    return fmt::format("peer {} ({})", h.peer_id, printable(h.peer_name));
}

void Download::start() {
    started_ms_ = now_ms(manager_.daemon().loop());
    final_path_ = join_path(plan_.output_dir, plan_.name);
    auto problem = std::make_shared<Error>();
    file_busy_ = true;
    queue_work(
        manager_.daemon().loop(),
        [dir = plan_.output_dir, final_path = final_path_, problem] {
            struct stat st {};
            if (stat(dir.c_str(), &st) != 0)
                *problem = {ErrorCode::io_error,
                            fmt::format("cannot use {}: {}", dir, errno_text(errno))};
            else if (!S_ISDIR(st.st_mode))
                *problem = {ErrorCode::invalid_argument, fmt::format("{} is not a directory", dir)};
            else if (lstat(final_path.c_str(), &st) == 0)
                *problem = {ErrorCode::invalid_argument,
                            fmt::format("{} already exists; napeerd never replaces a file",
                                        final_path)};
        },
        [this, problem, hold = hold()] {
            file_busy_ = false;
            if (!problem->message.empty()) return finish_with(*problem);
            next_step();
        });
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
        return finish_with(
            make_error(ErrorCode::busy, "the download was cancelled: napeerd is shutting down"));
    if (holder_index_ >= plan_.holders.size()) {
        std::string why;
        for (const auto& f : failures_) why += (why.empty() ? "" : "; ") + f;
        return finish_with(make_error(ErrorCode::io_error,
                                      fmt::format("could not fetch {}: {}", printable(plan_.name),
                                                  why.empty() ? "no holder to fetch from" : why)));
    }
    const protocol::Holder& holder = plan_.holders[holder_index_++];
    stage_ = Stage::connecting;
    file_failed_ = false;
    // The connector is ours and calls back no one once cancelled or gone.
    connector_.connect(holder.address, holder.port, connect_timeout_ms,
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
    if (frame.type == MessageType::ping && stage_ == Stage::get) return answer_ping(connection, frame);
    if (stage_ == Stage::hello) {
        if (frame.type != MessageType::welcome)
            return connection.fail({ErrorCode::unexpected_message, "expected WELCOME"});
        auto welcome = protocol::decode_message<protocol::Welcome>(frame.payload);
        if (!welcome) return connection.fail(welcome.error());
        if (auto version = protocol::check_welcome(*welcome, "the holder"); !version)
            return connection.fail(version.error());
        const PeerDaemon& daemon = manager_.daemon();
        const protocol::Holder& holder = plan_.holders.at(holder_index_ - 1);
        protocol::Get get;
        get.requester_id = manager_.daemon().index().peer_id().value_or(protocol::unknown_peer_id);
        get.requester_name = daemon.config().name;
        get.file_id = holder.file_id;
        get.name = plan_.name;
        connection.send_message(get);
        stage_ = Stage::get;
        return;
    }
    if (stage_ == Stage::get) {
        if (frame.type != MessageType::get_ok)
            return connection.fail({ErrorCode::unexpected_message, "expected GET_OK"});
        auto ok = protocol::decode_message<protocol::GetOk>(frame.payload);
        if (!ok) return connection.fail(ok.error());
        if (ok->length != ok->size)
            return connection.fail(
                {ErrorCode::invalid_argument, "GET_OK length differs from the size asked for"});
        // Refused before a byte is written: a holder must not fill the
        // disk with more, or hand over something else, than was listed.
        if (ok->size != plan_.size)
            return connection.fail({ErrorCode::invalid_argument,
                                    fmt::format("the holder announced {} bytes, the index listed {}", ok->size,
                                                plan_.size)});
        connection.set_raw_mode();
        return begin_body(*ok);
    }
    connection.fail({ErrorCode::unexpected_message,
                     fmt::format("{} is not expected now", protocol::message_type_name(frame.type))});
}

void Download::begin_body(const protocol::GetOk& ok) {
    stage_ = Stage::body;
    length_ = ok.length;
    received_ = 0;
    written_ = 0;
    connection_->pause_reading(); // until the temporary file is open
    temp_path_ = join_path(plan_.output_dir, partial_name(plan_.name, manager_.next_unique()));
    auto result = std::make_shared<std::pair<int, int>>(-1, 0);
    file_busy_ = true;
    queue_work(
        manager_.daemon().loop(),
        [path = temp_path_, result] {
            result->first = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
            result->second = errno;
        },
        [this, result, hold = hold()] {
            file_busy_ = false;
            if (result->first < 0) {
                std::string why = fmt::format("cannot create {}: {}", temp_path_, errno_text(result->second));
                temp_path_.clear();
                if (stage_ != Stage::body) return next_step(); // the holder failed meanwhile
                file_failed_ = true;
                if (connection_) return connection_->close(why);
                return holder_failed(why);
            }
            // Kept even when the holder failed meanwhile: next_step drops it.
            fd_ = result->first;
            if (stage_ == Stage::body && connection_) connection_->start_reading();
            next_step();
        });
    report_progress(true);
}

void Download::on_raw(Connection& connection, ByteSpan bytes) {
    if (bytes.size() > length_ - received_)
        return connection.close("the holder sent more bytes than it announced");
    restart_stall_timer();
    received_ += bytes.size();
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    if (pending_.size() > max_unwritten) connection.pause_reading();
    next_step();
    report_progress(false);
    if (received_ == length_) connection.close("all bytes received");
}

void Download::write_pending() {
    file_busy_ = true;
    auto buffer = std::make_shared<Bytes>(std::move(pending_));
    pending_.clear();
    auto error = std::make_shared<int>(0);
    queue_work(
        manager_.daemon().loop(),
        [fd = fd_, offset = written_, buffer, error] {
            std::size_t done = 0;
            while (done < buffer->size()) {
                ssize_t n = ::pwrite(fd, buffer->data() + done, buffer->size() - done,
                                     static_cast<off_t>(offset + done));
                if (n < 0 && errno == EINTR) continue;
                if (n <= 0) {
                    *error = n < 0 ? errno : EIO;
                    return;
                }
                done += static_cast<std::size_t>(n);
            }
        },
        [this, buffer, error, hold = hold()] {
            file_busy_ = false;
            if (*error != 0) {
                std::string why = fmt::format("cannot write {}: {}", temp_path_, errno_text(*error));
                if (stage_ != Stage::body) return next_step();
                file_failed_ = true;
                if (connection_) return connection_->close(why);
                return holder_failed(why);
            }
            written_ += buffer->size();
            if (connection_ && pending_.size() < max_unwritten) connection_->start_reading();
            next_step();
        });
}

void Download::on_closed(Connection&, const std::string& reason) {
    connection_ = nullptr;
    stall_timer_.stop();
    if (!aborted_ && !file_failed_ && stage_ == Stage::body && received_ == length_) return next_step();
    holder_failed(aborted_ ? "cancelled"
                           : (stage_ == Stage::body
                                  ? fmt::format("{} after {} of {} bytes", reason, received_, length_)
                                  : reason));
}

void Download::holder_failed(const std::string& reason) {
    failures_.push_back(fmt::format("{}: {}", holder_text(), reason));
    manager_.daemon().log().warn("download of {} from {} failed: {}", printable(plan_.name),
                                 holder_text(), reason);
    stage_ = Stage::between_holders;
    stall_timer_.stop();
    next_step();
}

// What to do once no file operation is running: drop a failed holder's
// partial file and try the next holder, write what has arrived, or sync
// and link the complete file.
void Download::next_step() {
    if (file_busy_ || reported_) return;
    if (stage_ == Stage::between_holders) {
        if (fd_ < 0 && temp_path_.empty()) return try_next_holder();
        file_busy_ = true;
        queue_work(
            manager_.daemon().loop(),
            [fd = fd_, temp = temp_path_] {
                if (fd >= 0) ::close(fd);
                if (!temp.empty()) ::unlink(temp.c_str());
            },
            [this, hold = hold()] {
                file_busy_ = false;
                next_step();
            });
        fd_ = -1;
        temp_path_.clear();
        pending_.clear();
        return;
    }
    if (stage_ != Stage::body || fd_ < 0) return;
    if (!pending_.empty()) return write_pending();
    if (!connection_ && received_ == length_) complete();
}

void Download::complete() {
    auto problem = std::make_shared<Error>();
    file_busy_ = true;
    queue_work(
        manager_.daemon().loop(),
        [fd = fd_, temp = temp_path_, final_path = final_path_, problem] {
            if (::fsync(fd) != 0)
                *problem = {ErrorCode::io_error, fmt::format("cannot sync {}: {}", temp, errno_text(errno))};
            ::close(fd);
            // link() refuses to replace an existing name, unlike rename():
            // a file that appeared meanwhile is kept.
            if (problem->message.empty() && ::link(temp.c_str(), final_path.c_str()) != 0)
                *problem = errno == EEXIST
                               ? Error{ErrorCode::invalid_argument,
                                       fmt::format("{} already exists; napeerd never replaces a file", final_path)}
                               : Error{ErrorCode::io_error,
                                       fmt::format("cannot create {}: {}", final_path, errno_text(errno))};
            ::unlink(temp.c_str());
        },
        [this, problem, hold = hold()] {
            file_busy_ = false;
            fd_ = -1;
            temp_path_.clear();
            if (!problem->message.empty()) return finish_with(*problem);
            const protocol::Holder& holder = plan_.holders.at(holder_index_ - 1);
            finish_with(protocol::FetchDone{final_path_, length_, holder.peer_id, holder.peer_name, {}, false});
        });
}

void Download::report_progress(bool force) {
    std::uint64_t now = now_ms(manager_.daemon().loop());
    if (!force && now - last_progress_ms_ < progress_interval_ms) return;
    last_progress_ms_ = now;
    if (progress_) progress_(received_, length_);
}

void Download::finish_with(Result<protocol::FetchDone> result) {
    reported_ = true;
    stall_timer_.stop();
    connector_.cancel();
    PeerDaemon& daemon = manager_.daemon();
    bool ok = result.ok();
    if (ok) {
        report_progress(true);
        double seconds = static_cast<double>(now_ms(daemon.loop()) - started_ms_) / 1000.0;
        daemon.log().info("downloaded {} from {}: {} bytes in {:.2f} s, saved as {}",
                          printable(plan_.name), holder_text(), result->size, seconds,
                          printable(result->path));
        daemon.share_new_file(result->path);
    } else {
        daemon.log().warn("download of {} failed: {}", printable(plan_.name), result.error().message);
    }
    auto done = std::move(done_);
    manager_.download_ended(ok);
    done(std::move(result));
    finish(); // may free this download: nothing after it
}

} // namespace napster
