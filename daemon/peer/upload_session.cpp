// SPDX-License-Identifier: MIT
#include "peer/upload_session.h"

#include "content/block_read.h"
#include "event/clock.h"
#include "event/file_reader.h"
#include "event/handshake.h"
#include "event/work.h"
#include "fs/shared_file.h"
#include "peer/peer_daemon.h"
#include "peer/upload_server.h"
#include "protocol/common_messages.h"
#include "util/path_text.h"
#include "util/text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace napster {
namespace {

using protocol::ErrorCode;
using protocol::MessageType;

// Reads of a file without hashes; one with hashes is read a block
// (content::block_size) at a time.
constexpr std::size_t chunk_size = 256 * 1024;
// Read ahead while less than this is queued for the socket.
constexpr std::size_t queue_target = 1024 * 1024;
// The next read starts once the queue has fallen to this, so the socket
// has bytes to send while a block is read and checked.
constexpr std::size_t read_ahead_at = queue_target / 2;
// Zero-copy: the thread pool asks the kernel to read this much at a time
// ahead of what sendfile has sent, and checks the file's stat; sendfile
// may go as far as it has asked.
constexpr std::uint64_t prefetch_window = 8 * 1024 * 1024;
constexpr std::uint64_t prefetch_ahead = 3 * prefetch_window;

} // namespace

UploadSession::UploadSession(UploadServer& server, Connection* connection, ConnectionAdmission::Id admission_id)
    : ConnectionSession(connection), server_(server), admission_id_(admission_id),
      connected_ms_(now_ms(server.daemon().loop())), who_(connection->remote_endpoint()),
      limit_timer_(server.daemon().loop()) {
    connection->start_reading();
}

void UploadSession::tick(std::uint64_t now) {
    if (!connection()) return;
    report_progress(now);
    const PeerConfig& config = server_.daemon().config();
    if (!get_done_) {
        if (now - connected_ms_ > std::uint64_t{config.upload_handshake_timeout} * 1000)
            close(fmt::format("no GET within {} s (upload.handshake_timeout)", config.upload_handshake_timeout));
        return;
    }
    // What the socket has taken: handed to it minus still queued.
    std::uint64_t taken = bytes_sent() - connection()->pending_write_bytes();
    if (taken != progress_ || progress_ms_ == 0) {
        progress_ = taken;
        progress_ms_ = now;
    } else if (now - progress_ms_ > std::uint64_t{config.upload_idle_timeout} * 1000) {
        outcome_ = fmt::format("failed: the downloader took nothing for {} s (upload.idle_timeout)",
                               config.upload_idle_timeout);
        close(outcome_);
    }
}

UploadSession::~UploadSession() {
    if (file_ >= 0) ::close(file_);
}

void UploadSession::on_frame(Connection& connection, const protocol::Frame& frame) {
    if (!hello_done_) {
        hello_done_ = answer_hello(connection, frame,
                                   {protocol::Channel::transfer, "this peer", "this is a peer's upload port"});
        return;
    }
    // Reading stops at GET: nothing may follow it, PING included.
    if (frame.type == MessageType::ping) return answer_ping(connection, frame);
    if (frame.type == MessageType::get_hashes) return handle_get_hashes(frame);
    if (frame.type != MessageType::get)
        return connection.fail(
            {ErrorCode::unexpected_message,
             fmt::format("expected GET_HASHES, GET or PING, not {}", protocol::message_type_name(frame.type))});
    handle_get(frame);
}

// Answered from the share list alone: the leaves were checked against the
// root when the file was hashed, and a changed file has none.
void UploadSession::handle_get_hashes(const protocol::Frame& frame) {
    auto ask = protocol::decode_message<protocol::GetHashes>(frame.payload);
    if (!ask) return connection()->fail(ask.error());
    const SharedFile* file = server_.daemon().shares().find(ask->file_id);
    if (!file || file->name() != ask->name)
        return connection()->fail({ErrorCode::not_found, fmt::format("{} is not shared here", printable(ask->name))});
    if (!file->content || file->content->root != ask->root)
        return connection()->fail(
            {ErrorCode::not_found, fmt::format("{} here is not the content asked for (or not hashed yet)",
                                               printable(ask->name))});
    const content::HashedContent& content = *file->content;
    protocol::Hashes reply{content.root, content.size, ask->first, {}};
    if (ask->first < content.blocks.size()) {
        std::uint64_t end = std::min<std::uint64_t>(content.blocks.size(), ask->first + ask->count);
        reply.leaves.assign(content.blocks.begin() + static_cast<std::ptrdiff_t>(ask->first),
                            content.blocks.begin() + static_cast<std::ptrdiff_t>(end));
    }
    connection()->send_message(reply);
}

void UploadSession::refuse(const Error& error) {
    outcome_ = fmt::format("refused: {}", error.message);
    if (connection()) connection()->fail(error);
}

void UploadSession::handle_get(const protocol::Frame& frame) {
    auto get = protocol::decode_message<protocol::Get>(frame.payload);
    if (!get) return connection()->fail(get.error());
    get_done_ = true;
    request_ = std::move(*get);
    connection()->pause_reading(); // nothing more may come; stop buffering
    if (request_.requester_id != protocol::unknown_peer_id)
        who_ = fmt::format("peer {} ({}) at {}", request_.requester_id, printable(request_.requester_name), who_);
    PeerDaemon& daemon = server_.daemon();
    daemon.log().info("{} requested {}", who_, printable(request_.name));
    if (daemon.log().enabled(LogLevel::debug))
        daemon.log().debug("GET from {}: file id {}, bytes {} to {}, root {}", who_, request_.file_id, request_.offset,
                           request_.length ? fmt::format("{}", request_.offset + request_.length) : "the end",
                           request_.root ? "given" : "none");

    const SharedFile* file = daemon.shares().find(request_.file_id);
    if (!file || file->name() != request_.name)
        return refuse({ErrorCode::not_found, fmt::format("{} is not shared here", printable(request_.name))});
    if (request_.root && (!file->content || file->content->root != *request_.root))
        return refuse({ErrorCode::not_found, fmt::format("{} here is not the content asked for (or not hashed yet)",
                                                         printable(request_.name))});
    // The stat the hashes belong to: the file must stay so while it is
    // sent, or the upload ends rather than send bytes of another content.
    content_ = file->content;
    hashed_key_ = file->key();
    if (!server_.begin_upload(admission_id_))
        return refuse({ErrorCode::busy, fmt::format("this peer is sending {} uploads (upload.max_concurrent); "
                                                    "try another holder or later",
                                                    daemon.config().upload_max_concurrent)});
    began_ = true;
    transfer_id_ = daemon.transfers().begin(protocol::TransferDirection::upload, request_.name,
                                            now_ms(daemon.loop()));
    report_progress(now_ms(daemon.loop()));

    auto result = std::make_shared<Result<OpenedSharedFile>>(make_error(ErrorCode::internal, "not opened"));
    queue_work(
        daemon.loop(),
        [result, path = daemon.shares().full_path(*file), root = daemon.shares().roots().at(file->root)] {
            *result = open_shared_file(path, root);
        },
        [this, result, hold = hold()] {
            if (*result) file_ = (*result)->fd;
            if (!connection()) return;
            if (!*result) return refuse(result->error());
            opened((*result)->key);
        });
}

void UploadSession::opened(const content::FileKey& key) {
    size_ = key.size;
    if (content_ && key != hashed_key_) {
        // Changed since it was hashed: the watcher brings the new stat and
        // a new hash; until then this peer has no content to offer for it.
        if (request_.root)
            return refuse({ErrorCode::not_found,
                           fmt::format("{} changed since it was hashed; try another holder or later",
                                       printable(request_.name))});
        content_.reset();
    }
    if (request_.offset > size_)
        return refuse({ErrorCode::invalid_argument,
                       fmt::format("offset {} is past the end ({} bytes)", request_.offset, size_)});
    std::uint64_t available = size_ - request_.offset;
    if (request_.length > available)
        return refuse({ErrorCode::invalid_argument,
                       fmt::format("{} bytes from offset {} is past the end ({} bytes)", request_.length,
                                   request_.offset, size_)});
    offset_ = request_.offset;
    to_send_ = request_.length == 0 ? available : request_.length;
    opened_key_ = key;
    const SharedFile* file = server_.daemon().shares().find(request_.file_id);
    // An empty range has no window: GET_OK and the end come from read_next.
    if (to_send_ > 0 && content_ && file && file->key() == hashed_key_ && file->content == content_ &&
        file->blocks_confirmed(offset_, to_send_)) {
        zero_copy_ = true;
        prefetched_ = allowed_ = offset_;
        server_.daemon().log().debug("sending {} to {} with sendfile", printable(request_.name), who_);
        return prefetch(); // GET_OK goes once the first window is asked for and the stat checked
    }
    // At most one read in flight, started while less than queue_target is
    // queued: the queue never holds more than that and one read.
    connection()->set_write_limit(queue_target + std::max(chunk_size, content::block_size) + 64);
    connection()->set_low_water(read_ahead_at);
    read_next(); // GET_OK goes with the first bytes read
}

std::uint64_t UploadSession::bytes_sent() const {
    if (!zero_copy_) return sent_;
    return connection() ? connection()->file_bytes_sent() : sent_;
}

// Zero-copy: the thread pool asks the kernel to read a window into the
// page cache (that may wait on the disk's metadata) and checks that the
// file is still as opened and hashed; sendfile may then go over it, one
// window at a time, with up to prefetch_ahead asked for beyond. A write
// moves mtime and ctime before its bytes land, so a change is caught at
// the next window, and the downloader's block check catches any changed
// bytes that went out before.
void UploadSession::prefetch() {
    std::uint64_t end = offset_ + to_send_;
    if (prefetching_ || !connection() || prefetched_ == end || prefetched_ >= allowed_ + prefetch_ahead) return;
    prefetching_ = true;
    std::uint64_t from = prefetched_;
    std::uint64_t until = std::min(end, from + prefetch_window);
    auto status = std::make_shared<Status>(Ok{});
    queue_work(
        server_.daemon().loop(),
        [fd = file_, key = opened_key_, from, until, status] {
            (void)::posix_fadvise(fd, static_cast<off_t>(from), static_cast<off_t>(until - from),
                                  POSIX_FADV_WILLNEED);
            auto now = file_key_of_fd(fd);
            if (!now)
                *status = now.error();
            else if (*now != key)
                *status = make_error(ErrorCode::io_error, "the file changed while being sent");
        },
        [this, status, until, hold = hold()] {
            prefetching_ = false;
            if (!connection()) return;
            if (!*status) {
                if (!get_ok_sent_) return refuse(status->error());
                outcome_ = fmt::format("failed: {}", status->error().message);
                return connection()->close(outcome_);
            }
            prefetched_ = until;
            if (!get_ok_sent_) {
                send_get_ok();
                connection()->send_file(file_, offset_, to_send_, allowed_); // allow_more grants the first window
            }
            allow_more();
        });
}

// Once sendfile has reached what it was allowed: the next window, if the
// thread pool has asked for it; and more asked for.
void UploadSession::allow_more() {
    if (!connection()) return;
    if (offset_ + connection()->file_bytes_sent() == allowed_ && allowed_ < prefetched_ && !limit_timer_.active()) {
        std::uint64_t grant = std::min(prefetched_, allowed_ + prefetch_window) - allowed_;
        grant = granted(grant);
        if (grant > 0) {
            allowed_ += grant;
            connection()->allow_file_until(allowed_);
        }
    }
    prefetch();
}

// upload.rate_limit: what of `want` may go now, taken from the bucket; when
// nothing may, a timer brings the session back once something can.
std::uint64_t UploadSession::granted(std::uint64_t want) {
    TokenBucket& limit = server_.daemon().upload_limit();
    if (!limit.limited()) return want;
    std::uint64_t now = now_ms(server_.daemon().loop());
    std::uint64_t grant = std::min(want, limit.available(now));
    if (grant == 0) {
        wait_for_tokens(want);
        return 0;
    }
    limit.take(now, grant);
    return grant;
}

void UploadSession::wait_for_tokens(std::uint64_t want) {
    TokenBucket& limit = server_.daemon().upload_limit();
    std::uint64_t delay = limit.wait_ms(now_ms(server_.daemon().loop()), std::min<std::uint64_t>(want, chunk_size));
    limit_timer_.start_once(std::max<std::uint64_t>(1, delay), [this] {
        if (zero_copy_) return allow_more();
        read_next();
    });
}

void UploadSession::send_get_ok() {
    get_ok_sent_ = true;
    protocol::RootHash root;
    if (content_) root = content_->root;
    connection()->send_message(protocol::GetOk{size_, root, offset_, to_send_});
}

void UploadSession::read_next() {
    if (!connection() || reading_) return;
    if (sent_ == to_send_) {
        if (!get_ok_sent_) send_get_ok(); // an empty range
        complete_ = true;
        outcome_ = "complete";
        connection()->close_after_writes("upload complete");
        return;
    }
    std::uint64_t position = offset_ + sent_;
    std::uint64_t read_offset = position;
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, to_send_ - sent_));
    block_read_.reset();
    if (content_) {
        block_read_ = content::block_read_at(size_, position, offset_ + to_send_);
        read_offset = block_read_->offset;
        want = block_read_->length;
    }
    // The read path takes from the bucket what it sends, after the read:
    // it waits only while the bucket is empty (or in debt).
    TokenBucket& limit = server_.daemon().upload_limit();
    if (limit_timer_.active()) return;
    if (limit.limited() && limit.available(now_ms(server_.daemon().loop())) == 0) return wait_for_tokens(want);
    reading_ = true;
    // After each read, the file must still be as it was opened: a write
    // moves mtime and ctime before its bytes land, so a read that saw any
    // new byte sees the new times too, and the chunk is not sent. A block
    // must also match its leaf: bytes can change with the stat kept (a
    // hash cache that lies, two writes within one tick of the file
    // system's coarse clock, a disk that returns other bytes), and stat
    // alone would send them.
    auto mismatch = std::make_shared<bool>(false);
    auto check = [fd = file_, key = opened_key_, content = content_, block = block_read_, mismatch,
                  name = printable(request_.name)](ByteSpan bytes) -> Status {
        auto now = file_key_of_fd(fd);
        if (!now) return now.error();
        if (*now != key) return make_error(ErrorCode::io_error, "the file changed while being sent");
        if (block && bytes.size() == block->length && !content::verify_block(*content, block->block, bytes)) {
            *mismatch = true;
            return make_error(ErrorCode::io_error,
                              fmt::format("block {} of {} does not match its hash: the file changed while it was sent",
                                          block->block, name));
        }
        return Ok{};
    };
    read_file_at(
        server_.daemon().loop(), file_, read_offset, want,
        [this, mismatch, hold = hold()](Result<Bytes> chunk) {
            reading_ = false;
            read_done(std::move(chunk), *mismatch);
        },
        std::move(check));
}

void UploadSession::read_done(Result<Bytes> chunk, bool block_mismatch) {
    if (block_mismatch) server_.daemon().hasher().rehash(request_.file_id, hashed_key_);
    if (!connection()) return;
    if (!chunk) {
        // Before GET_OK the downloader can be told why; after it only the
        // short body tells (no frame may follow the raw bytes). Bytes
        // already queued were checked: they go first.
        if (!get_ok_sent_) return refuse(chunk.error());
        outcome_ = fmt::format("failed: {}", chunk.error().message);
        if (block_mismatch) return connection()->close_after_writes(outcome_);
        return connection()->close(outcome_);
    }
    Bytes bytes = std::move(*chunk);
    if (block_read_ && bytes.size() == block_read_->length) {
        server_.daemon().shares().confirm_block(request_.file_id, hashed_key_, block_read_->block);
        // A range that starts or ends inside the block: its part alone.
        if (block_read_->skip > 0)
            bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(block_read_->skip));
        bytes.resize(block_read_->take);
    } else if (block_read_) {
        bytes.clear(); // a short block: the file shrank
    }
    if (bytes.empty()) {
        // Cut short: the downloader sees fewer bytes than GET_OK promised
        // and discards its partial file.
        if (!get_ok_sent_)
            return refuse({ErrorCode::io_error, "the file shrank while being read"});
        outcome_ = "failed: the file shrank while being sent";
        return connection()->close(outcome_);
    }
    if (!get_ok_sent_) send_get_ok();
    server_.daemon().upload_limit().take(now_ms(server_.daemon().loop()), bytes.size());
    sent_ += bytes.size();
    connection()->send(std::move(bytes));
    if (connection() && connection()->pending_write_bytes() < queue_target) read_next();
}

// Also once all is read: the last block may leave more than queue_target
// queued, and the upload completes from here.
void UploadSession::on_drained(Connection& connection) {
    if (!get_ok_sent_ || complete_) return;
    if (!zero_copy_) return read_next();
    if (!connection.file_sent()) return allow_more();
    sent_ = connection.file_bytes_sent();
    complete_ = true;
    outcome_ = "complete";
    connection.close_after_writes("upload complete");
}

void UploadSession::on_closing(const Connection& connection) {
    if (zero_copy_) sent_ = connection.file_bytes_sent();
}

// The bytes counted are those handed to the socket; a read still on the
// thread pool is moot and only holds the session until it returns.
void UploadSession::report_progress(std::uint64_t now) {
    if (transfer_id_ == 0 || !connection()) return;
    std::uint64_t taken = bytes_sent() - std::min<std::uint64_t>(bytes_sent(), connection()->pending_write_bytes());
    std::vector<protocol::TransferPeer> peers{
        {request_.requester_id, request_.requester_id == protocol::unknown_peer_id
                                    ? connection()->remote_endpoint().substr(0, protocol::max_peer_name)
                                    : request_.requester_name}};
    server_.daemon().transfers().update(
        transfer_id_,
        {taken, to_send_, get_ok_sent_ ? protocol::TransferState::transferring : protocol::TransferState::connecting,
         std::move(peers)},
        now);
}

bool UploadSession::cancel(const std::string& reason) {
    if (!connection() || complete_) return false;
    cancelled_ = true;
    outcome_ = reason;
    server_.daemon().log().info("upload of {} to {} {}", printable(request_.name), who_, reason);
    close(reason);
    return true;
}

void UploadSession::on_disconnected(const std::string& reason) {
    if (outcome_.empty()) outcome_ = fmt::format("failed: {}", reason);
    if (transfer_id_ != 0) {
        using protocol::TransferState;
        std::uint64_t now = now_ms(server_.daemon().loop());
        auto& transfers = server_.daemon().transfers();
        if (const auto* entry = transfers.find(transfer_id_)) {
            auto progress = entry->progress;
            progress.done = sent_;
            transfers.update(transfer_id_, std::move(progress), now);
        }
        transfers.end(transfer_id_,
                      complete_ ? TransferState::done : cancelled_ ? TransferState::cancelled : TransferState::failed,
                      complete_ ? std::string() : outcome_, now);
    }
    if (get_done_)
        server_.daemon().log().info("upload of {} to {}: {} of {} bytes sent, {}", printable(request_.name), who_,
                                    sent_, to_send_, outcome_);
    server_.upload_ended(admission_id_, began_, complete_);
}

} // namespace napster
