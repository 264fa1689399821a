// SPDX-License-Identifier: MIT
#include "peer/download_source.h"

#include "event/clock.h"
#include "event/handshake.h"
#include "peer/download.h"
#include "peer/peer_daemon.h"
#include "protocol/common_messages.h"
#include "util/text.h"

#include <fmt/format.h>

namespace napster {
namespace {

using protocol::ErrorCode;
using protocol::MessageType;

constexpr std::uint64_t stall_limit_ms = 30'000;
// Per address the holder listed; a holder that does not answer is skipped.
constexpr std::uint64_t connect_timeout_ms = 10'000;

} // namespace

DownloadSource::DownloadSource(Download& download, const protocol::Holder& holder, std::size_t id)
    : download_(download), holder_(holder), id_(id), connector_(download.daemon().loop()),
      stall_timer_(download.daemon().loop()), rate_timer_(download.daemon().loop()) {}

// The Download closes every connection before it goes; the connector and
// the timers stop with their destructors.
DownloadSource::~DownloadSource() {
    if (connection_) connection_->set_handler(nullptr);
}

std::string DownloadSource::text() const {
    return fmt::format("peer {} ({})", holder_.peer_id, printable(holder_.peer_name));
}

void DownloadSource::connect() {
    stage_ = Stage::connecting;
    busy_answer_ = false;
    offset_ = length_ = received_ = asked_length_ = 0;
    // The connector is ours and calls back no one once cancelled or gone.
    connector_.connect(holder_.address, holder_.port, connect_timeout_ms,
                       [this](Result<Connection*> connection) { connected(std::move(connection)); });
}

void DownloadSource::connected(Result<Connection*> connection) {
    if (!connection) return ended(connection.error().message, false);
    stage_ = Stage::hello;
    connection_ = *connection;
    connection_->set_handler(this);
    connection_->start_reading();
    connection_->send_message(protocol::Hello{protocol::version, protocol::Channel::transfer});
    restart_stall_timer();
}

void DownloadSource::close(const std::string& reason) {
    if (connection_) return connection_->close(reason); // on_closed goes on
    if (stage_ == Stage::connecting) {
        connector_.cancel();
        ended(reason, false);
    }
}

void DownloadSource::pause_reading() {
    if (connection_) connection_->pause_reading();
}

void DownloadSource::resume_reading() {
    if (connection_) connection_->start_reading();
}

void DownloadSource::ask_hashes(const protocol::RootHash& root, std::uint64_t first, std::uint32_t count) {
    stage_ = Stage::hashes;
    connection_->send_message(protocol::GetHashes{holder_.file_id, holder_.name, *root, first, count});
}

void DownloadSource::get(const protocol::RootHash& root, std::uint64_t offset, std::uint64_t length) {
    PeerDaemon& daemon = download_.daemon();
    protocol::Get request;
    request.requester_id = daemon.index().peer_id().value_or(protocol::unknown_peer_id);
    request.requester_name = daemon.config().name;
    request.file_id = holder_.file_id;
    request.name = holder_.name;
    request.root = root;
    request.offset = offset;
    request.length = length;
    connection_->send_message(request);
    offset_ = offset;
    asked_length_ = length;
    stage_ = Stage::get;
}

void DownloadSource::restart_stall_timer() {
    stall_timer_.start_once(stall_limit_ms, [this] {
        if (connection_) connection_->close("no data for 30 s");
    });
}

void DownloadSource::on_frame(Connection& connection, const protocol::Frame& frame) {
    restart_stall_timer();
    if (frame.type == MessageType::error) {
        auto error = protocol::decode_message<protocol::ErrorMessage>(frame.payload);
        busy_answer_ = error && error->code == ErrorCode::busy;
        return connection.close(error ? fmt::format("refused: {}", printable(error->text)) : "sent a malformed ERROR");
    }
    // After WELCOME the holder may PING until GET_OK (napster-protocol(7)).
    if (frame.type == MessageType::ping && (stage_ == Stage::get || stage_ == Stage::hashes))
        return answer_ping(connection, frame);
    if (stage_ == Stage::hello) {
        if (frame.type != MessageType::welcome)
            return connection.fail({ErrorCode::unexpected_message, "expected WELCOME"});
        auto welcome = protocol::decode_message<protocol::Welcome>(frame.payload);
        if (!welcome) return connection.fail(welcome.error());
        if (auto version = protocol::check_welcome(*welcome, "the holder"); !version)
            return connection.fail(version.error());
        return download_.source_ready(*this);
    }
    if (stage_ == Stage::hashes && frame.type == MessageType::hashes) {
        auto hashes = protocol::decode_message<protocol::Hashes>(frame.payload);
        if (!hashes) return connection.fail(hashes.error());
        return download_.source_hashes(*this, *hashes);
    }
    if (stage_ == Stage::get && frame.type == MessageType::get_ok) return handle_get_ok(frame);
    connection.fail({ErrorCode::unexpected_message,
                     fmt::format("{} is not expected now", protocol::message_type_name(frame.type))});
}

void DownloadSource::handle_get_ok(const protocol::Frame& frame) {
    auto ok = protocol::decode_message<protocol::GetOk>(frame.payload);
    if (!ok) return connection_->fail(ok.error());
    std::uint64_t size = download_.plan().size;
    std::uint64_t wanted = asked_length_ ? asked_length_ : size - offset_;
    // Checked before a byte is written: a holder must not fill the disk
    // with more, or hand over something else, than was asked for.
    if (ok->size != size)
        return connection_->fail({ErrorCode::invalid_argument,
                                  fmt::format("the holder announced {} bytes, the index listed {}", ok->size, size)});
    if (ok->offset != offset_ || ok->length != wanted)
        return connection_->fail({ErrorCode::invalid_argument, "GET_OK is not the range asked for"});
    if (Status accepted = download_.source_get_ok(*this, *ok); !accepted) return connection_->fail(accepted.error());
    connection_->set_raw_mode();
    stage_ = Stage::body;
    length_ = ok->length;
    received_ = 0;
    rate_window_ms_ = now_ms(download_.daemon().loop());
    rate_window_bytes_ = 0;
    rate_timer_.start_repeating(1000, [this] { check_rate(); });
    download_.source_body_started(*this);
}

void DownloadSource::check_rate() {
    const PeerConfig& config = download_.daemon().config();
    if (!connection_ || stage_ != Stage::body || config.download_min_rate == 0) return;
    std::uint64_t now = now_ms(download_.daemon().loop());
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

// The receive path: count, hand over, close at the end. Writing, checking
// and pacing (pause_reading) are the download's.
void DownloadSource::on_raw(Connection& connection, ByteSpan bytes) {
    if (bytes.size() > length_ - received_) return connection.close("the holder sent more bytes than it announced");
    restart_stall_timer();
    received_ += bytes.size();
    download_.source_bytes(*this, bytes);
    if (received_ == length_ && connection_) connection.close("all bytes received");
}

// The body lands in the download's batch for this source, in place.
std::span<std::byte> DownloadSource::raw_room(Connection&) {
    if (stage_ != Stage::body) return {};
    return download_.source_room(*this);
}

void DownloadSource::on_closed(Connection&, const std::string& reason) {
    connection_ = nullptr;
    ended(reason, busy_answer_);
}

void DownloadSource::ended(const std::string& reason, bool busy_answer) {
    stall_timer_.stop();
    rate_timer_.stop();
    Stage was = stage_;
    stage_ = Stage::idle;
    download_.source_closed(*this, was, reason, busy_answer); // may free nothing of ours: the download owns us
}

} // namespace napster
