// SPDX-License-Identifier: MIT
#pragma once

// One peer's connection to the index: the handshake, registration, its
// file list changes and its searches. Protocol faults get an ERROR reply
// and close this connection only.
//
// Ownership: owned by IndexServer; it does not own the Connection, which
// frees itself after on_closed, where the session asks the server to drop
// it. Loop thread only.

#include "event/connection.h"

#include <cstdint>
#include <optional>
#include <string>

namespace napster {

class IndexServer;

class PeerSession final : public Connection::Handler {
public:
    PeerSession(IndexServer& server, Connection* connection);

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_closed(Connection& connection, const std::string& reason) override;

    void close(const std::string& reason);
    // Called by the server's sweep about once a second: closes a session
    // that never registered or went silent, pings an idle one.
    void tick(std::uint64_t now_ms);

private:
    enum class State { awaiting_hello, awaiting_register, registered };

    void handle_hello(const protocol::Frame& frame);
    void handle_register(const protocol::Frame& frame);
    void handle_files_add(const protocol::Frame& frame);
    void handle_files_remove(const protocol::Frame& frame);
    void handle_search(const protocol::Frame& frame);
    std::string who() const;

    IndexServer& server_;
    Connection* connection_;
    State state_ = State::awaiting_hello;
    std::optional<std::uint32_t> peer_id_;
    std::string peer_name_;
    std::string address_;
    std::uint64_t connected_at_ms_;
    std::uint64_t last_heard_ms_;
    std::uint64_t last_ping_ms_ = 0;
};

} // namespace napster
