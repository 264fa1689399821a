// SPDX-License-Identifier: MIT
#pragma once

// napeerd's link to the index: connects (resolving a host name if needed),
// registers, sends the whole share list once, then only changes, all paced
// by the connection draining (a million-file list never sits in the write
// queue at once, and a change waits behind the list it follows); forwards
// searches; pings so that both sides notice a dead link; and reconnects
// with capped exponential backoff and jitter when the link goes.
//
// Ownership: owns its connector, its Connection (through close()) and its
// timers. Lives as long as the PeerDaemon, which outlives the loop run.
// Loop thread only.

#include "event/connection.h"
#include "event/connector.h"
#include "event/paced_sender.h"
#include "event/timer.h"
#include "protocol/control_messages.h"
#include "protocol/index_messages.h"
#include "util/result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace napster {

class PeerDaemon;

class IndexClient final : public Connection::Handler {
public:
    using SearchCallback = std::function<void(Result<protocol::SearchResult>)>;

    explicit IndexClient(PeerDaemon& daemon);

    void start();
    void stop();

    // Fails at once with ErrorCode::not_connected when the index link is down.
    void search(protocol::Search query, SearchCallback callback);
    // Incremental updates; dropped while disconnected, since registration
    // sends the whole current list anyway.
    void announce_added(const std::vector<protocol::FileEntry>& files);
    void announce_removed(const std::vector<std::uint64_t>& file_ids);

    protocol::IndexState state() const { return state_; }
    std::optional<std::uint32_t> peer_id() const { return peer_id_; }
    const std::string& last_error() const { return last_error_; }
    std::uint32_t reconnect_in_ms() const;
    std::string target() const;

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_drained(Connection& connection) override;
    void on_closed(Connection& connection, const std::string& reason) override;

private:
    void begin_attempt();
    void connected(Result<Connection*> connection);
    void registered(std::uint32_t peer_id);
    // Warns when the address the index will advertise this peer at (where
    // this link comes from) does not reach the upload listener.
    void check_advertised_address();
    void schedule_retry(const std::string& error);
    void send_ping();
    void fail_pending_searches(const Error& why);
    void handle_welcome(const protocol::Frame& frame);
    void handle_registered(const protocol::Frame& frame);
    void handle_search_result(const protocol::Frame& frame);

    PeerDaemon& daemon_;
    Connection* connection_ = nullptr;
    PacedSender outgoing_;
    Connector connector_;
    Timer retry_timer_;
    Timer ping_timer_;
    protocol::IndexState state_ = protocol::IndexState::disconnected;
    enum class Step { hello, register_peer, ready } step_ = Step::hello;
    std::optional<std::uint32_t> peer_id_;
    std::string last_error_;
    std::uint64_t backoff_ms_ = 0;
    std::uint64_t last_heard_ms_ = 0;
    std::uint32_t next_request_id_ = 1;
    std::map<std::uint32_t, SearchCallback> pending_searches_;
    bool stopping_ = false;
    bool attempt_running_ = false;
};

} // namespace napster
