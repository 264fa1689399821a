// SPDX-License-Identifier: MIT
#include "peer/index_client.h"

#include "catalog/share_catalog.h"
#include "event/clock.h"
#include "event/handshake.h"
#include "event/socket_address.h"
#include "peer/fetch_choice.h"
#include "peer/peer_daemon.h"
#include "protocol/common_messages.h"
#include "util/text.h"

#include <fmt/format.h>

#include <random>

namespace napster {
namespace {

using protocol::ErrorCode;
using protocol::MessageType;

constexpr std::uint64_t first_retry_ms = 500;
constexpr std::uint64_t max_retry_ms = 30'000;
constexpr std::uint64_t ping_interval_ms = 15'000;
// Three missed pings: the index is gone even if TCP has not noticed.
constexpr std::uint64_t silence_limit_ms = 45'000;
constexpr std::uint64_t handshake_limit_ms = 10'000;
// Per address the index's name resolves to.
constexpr std::uint64_t connect_timeout_ms = 10'000;

} // namespace

IndexClient::IndexClient(PeerDaemon& daemon)
    : daemon_(daemon), connector_(daemon.loop()), retry_timer_(daemon.loop()),
      ping_timer_(daemon.loop()) {}

std::string IndexClient::target() const {
    return endpoint_text(daemon_.config().index_address, daemon_.config().index_port);
}

std::uint32_t IndexClient::reconnect_in_ms() const {
    return static_cast<std::uint32_t>(retry_timer_.due_in_ms());
}

void IndexClient::start() {
    begin_attempt();
}

void IndexClient::stop() {
    stopping_ = true;
    connector_.cancel();
    retry_timer_.stop();
    ping_timer_.stop();
    fail_pending_searches({ErrorCode::not_connected, "napeerd is shutting down"});
    if (connection_) connection_->close("napeerd shutting down");
}

void IndexClient::begin_attempt() {
    if (stopping_ || attempt_running_) return;
    attempt_running_ = true;
    state_ = protocol::IndexState::connecting;
    // Every address the name resolves to is tried in turn; the connector
    // is ours and calls back no one once stopped.
    connector_.connect(daemon_.config().index_address, daemon_.config().index_port, connect_timeout_ms,
                       [this](Result<Connection*> connection) { connected(std::move(connection)); });
}

void IndexClient::connected(Result<Connection*> connection) {
    if (!connection) {
        attempt_running_ = false;
        state_ = protocol::IndexState::disconnected;
        return schedule_retry(connection.error().message);
    }
    connection_ = *connection;
    connection_->set_handler(this);
    step_ = Step::hello;
    last_heard_ms_ = now_ms(daemon_.loop());
    outgoing_.attach(*connection_);
    connection_->start_reading();
    connection_->send_message(protocol::Hello{protocol::version, protocol::Channel::index});
    ping_timer_.start_repeating(ping_interval_ms, [this] { send_ping(); });
}

void IndexClient::send_ping() {
    if (!connection_) return;
    std::uint64_t silent = now_ms(daemon_.loop()) - last_heard_ms_;
    if (step_ != Step::ready && silent > handshake_limit_ms)
        return connection_->close("the index did not answer the handshake within 10 s");
    if (silent > silence_limit_ms) return connection_->close("the index has been silent for 45 s");
    connection_->send_message(protocol::Ping{now_ms(daemon_.loop())});
}

void IndexClient::on_frame(Connection& connection, const protocol::Frame& frame) {
    last_heard_ms_ = now_ms(daemon_.loop());
    if (frame.type == MessageType::error) {
        auto error = protocol::decode_message<protocol::ErrorMessage>(frame.payload);
        // A refused batch (over limits.max_files_per_peer) leaves the link
        // up: reconnecting would only send the same list again.
        if (error && error->code == ErrorCode::limit_exceeded && step_ == Step::ready) {
            daemon_.log().warn("the index refused files: {}", printable(error->text));
            return;
        }
        connection.close(error ? fmt::format("the index refused us: {}", printable(error->text))
                               : "the index sent a malformed ERROR");
        return;
    }
    // PING is valid at any time after WELCOME (napster-protocol(7)).
    if (frame.type == MessageType::ping && step_ != Step::hello) return answer_ping(connection, frame);
    switch (step_) {
    case Step::hello:
        return handle_welcome(frame);
    case Step::register_peer:
        return handle_registered(frame);
    case Step::ready:
        break;
    }
    switch (frame.type) {
    case MessageType::search_result:
        return handle_search_result(frame);
    case MessageType::ping:
        return answer_ping(connection, frame);
    case MessageType::pong:
        return;
    default:
        return connection.fail(
            {ErrorCode::unexpected_message, fmt::format("{} is not valid from an index",
                                                        protocol::message_type_name(frame.type))});
    }
}

void IndexClient::handle_welcome(const protocol::Frame& frame) {
    if (frame.type != MessageType::welcome)
        return connection_->fail({ErrorCode::unexpected_message, "expected WELCOME"});
    auto welcome = protocol::decode_message<protocol::Welcome>(frame.payload);
    if (!welcome) return connection_->fail(welcome.error());
    if (auto version = protocol::check_welcome(*welcome, "the index"); !version)
        return connection_->fail(version.error());
    step_ = Step::register_peer;
    connection_->send_message(
        protocol::RegisterPeer{daemon_.config().name, daemon_.uploads().port()});
}

void IndexClient::handle_registered(const protocol::Frame& frame) {
    if (frame.type != MessageType::registered)
        return connection_->fail({ErrorCode::unexpected_message, "expected REGISTERED"});
    auto reg = protocol::decode_message<protocol::Registered>(frame.payload);
    if (!reg) return connection_->fail(reg.error());
    registered(reg->peer_id);
}

void IndexClient::handle_search_result(const protocol::Frame& frame) {
    auto result = protocol::decode_message<protocol::SearchResult>(frame.payload);
    if (!result) return connection_->fail(result.error());
    auto it = pending_searches_.find(result->request_id);
    if (it == pending_searches_.end()) return; // its asker gave up
    auto callback = std::move(it->second);
    pending_searches_.erase(it);
    callback(std::move(*result));
}

void IndexClient::registered(std::uint32_t peer_id) {
    step_ = Step::ready;
    state_ = protocol::IndexState::connected;
    peer_id_ = peer_id;
    backoff_ms_ = 0;
    last_error_.clear();
    // The list goes a batch at a time as the socket takes it; the log line
    // says when all of it has been handed to the socket.
    auto cursor = std::make_shared<ShareListCursor>(daemon_.shares().file_ids());
    outgoing_.clear();
    outgoing_.push([this, cursor]() -> std::optional<Bytes> {
        auto batch = cursor->next_batch(daemon_.shares());
        if (batch.empty()) {
            daemon_.log().info("connected to index {} as peer {}; file list synced ({})", target(),
                               *peer_id_, count_of(cursor->sent(), "file", "files"));
            return std::nullopt;
        }
        return protocol::encode_message(protocol::FilesAdd{std::move(batch)});
    });
    outgoing_.pump(*connection_);
    check_advertised_address();
    // Downloads interrupted earlier (napeerd stopped, holders gone) can
    // find their holders now.
    daemon_.downloads().resume_interrupted();
}

// The index records a peer at the source address of its index link
// (napster-protocol(7), REGISTER_PEER) and sends downloaders there. Behind
// NAT it sees another address, which napeerd cannot know: the check is
// about this host's own addresses (the index over ::1 while uploads listen
// on 127.0.0.1, say).
void IndexClient::check_advertised_address() {
    const PeerConfig& config = daemon_.config();
    auto local = connection_->local_socket_address();
    auto bound = ip_address(config.upload_address, daemon_.uploads().port());
    if (!local || !bound || listener_reaches(*bound, *local)) return;
    std::string advertised = address_text(*local);
    daemon_.log().warn("other peers cannot download from this one: the index {} sees this peer at {} and sends "
                       "them to {}, but uploads listen on {} only; set upload.address{} to {} or {}",
                       target(), advertised, endpoint_text(advertised, daemon_.uploads().port()),
                       endpoint_text(*bound), config.source.empty() ? "" : fmt::format(" in {}", config.source),
                       local->ss_family == AF_INET6 ? "::" : "0.0.0.0", advertised);
}

void IndexClient::on_drained(Connection& connection) {
    outgoing_.pump(connection);
}

void IndexClient::on_closed(Connection&, const std::string& reason) {
    connection_ = nullptr;
    outgoing_.clear();
    attempt_running_ = false;
    ping_timer_.stop();
    bool was_connected = state_ == protocol::IndexState::connected;
    state_ = protocol::IndexState::disconnected;
    peer_id_.reset();
    fail_pending_searches(
        {ErrorCode::not_connected, fmt::format("lost the connection to the index: {}", reason)});
    if (stopping_) return;
    if (was_connected) daemon_.log().warn("lost the index {}: {}", target(), reason);
    schedule_retry(reason);
}

void IndexClient::schedule_retry(const std::string& error) {
    if (stopping_) return;
    // Log the first failure of a streak, then only at debug level: a peer
    // waiting for its index must not flood the journal.
    if (last_error_ != error) daemon_.log().warn("index {}: {}", target(), error);
    last_error_ = error;
    backoff_ms_ = backoff_ms_ == 0 ? first_retry_ms : std::min(backoff_ms_ * 2, max_retry_ms);
    // Full jitter in the upper half keeps restarted peers from arriving together.
    static thread_local std::minstd_rand random{std::random_device{}()};
    std::uint64_t delay = backoff_ms_ / 2 + random() % (backoff_ms_ / 2 + 1);
    daemon_.log().debug("reconnecting to the index in {} ms", delay);
    retry_timer_.start_once(delay, [this] { begin_attempt(); });
}

void IndexClient::search(protocol::Search query, SearchCallback callback) {
    if (state_ != protocol::IndexState::connected || !connection_) {
        std::string why =
            last_error_.empty()
                ? fmt::format("napeerd is not connected to the index at {} ({})", target(),
                              protocol::index_state_name(state_))
                : fmt::format("napeerd is not connected to the index: {}", last_error_);
        callback(make_error(ErrorCode::not_connected, std::move(why)));
        return;
    }
    // The asker's request id comes back in the result; the index sees ours,
    // unique on this link.
    std::uint32_t asker_id = query.request_id;
    query.request_id = next_request_id_++;
    Logger& log = daemon_.log();
    if (log.enabled(LogLevel::debug))
        log.debug("search {} sent to the index: {}{}", query.request_id,
                  // fmt, not operator+: g++ 12 -O3 warns falsely (-Wrestrict) on the latter.
                  query.root ? fmt::format("root {}", root_prefix(query.root))
                             : fmt::format("\"{}\"", printable(query.query)),
                  query.exact() ? " (exact)" : "");
    pending_searches_.emplace(query.request_id, [this, id = query.request_id, asker_id, callback = std::move(callback)](
                                                    Result<protocol::SearchResult> result) {
        if (result) {
            daemon_.log().debug("search {} answered: {} of {}{} matches", id, count_of(result->hits.size(), "hit", "hits"),
                                result->total_is_lower_bound ? "at least " : "", result->total_matches);
            result->request_id = asker_id;
        } else {
            daemon_.log().debug("search {} failed: {}", id, result.error().message);
        }
        callback(std::move(result));
    });
    connection_->send_message(query);
}

// Changes queue behind whatever is still being sent, the initial list
// included, so the index sees them in the order they happened.
void IndexClient::announce_added(const std::vector<protocol::FileEntry>& files) {
    if (state_ != protocol::IndexState::connected || !connection_ || files.empty()) return;
    for (auto& batch : split_into_batches(files))
        outgoing_.push_frame(protocol::encode_message(protocol::FilesAdd{std::move(batch)}));
    outgoing_.pump(*connection_);
}

void IndexClient::announce_removed(const std::vector<std::uint64_t>& file_ids) {
    if (state_ != protocol::IndexState::connected || !connection_ || file_ids.empty()) return;
    for (std::size_t i = 0; i < file_ids.size(); i += protocol::max_batch_files) {
        std::size_t end = std::min(file_ids.size(), i + protocol::max_batch_files);
        outgoing_.push_frame(protocol::encode_message(
            protocol::FilesRemove{{file_ids.begin() + static_cast<std::ptrdiff_t>(i),
                                   file_ids.begin() + static_cast<std::ptrdiff_t>(end)}}));
    }
    outgoing_.pump(*connection_);
}

void IndexClient::fail_pending_searches(const Error& why) {
    auto pending = std::move(pending_searches_);
    pending_searches_.clear();
    for (auto& [id, callback] : pending)
        callback(why);
}

} // namespace napster
