// SPDX-License-Identifier: MIT
#pragma once

// napeerd's Unix control socket, driven by napctl: one request per
// connection after HELLO/WELCOME. Root, the daemon's own user and members
// of its group (primary or supplementary) may connect; SO_PEERCRED tells
// who calls. Privileged operations never listen on TCP.
//
// Ownership: the server owns the listener and its sessions (shared, so a
// fetch still running when napctl hangs up finds its session gone through
// a weak reference instead of a dangling one). Loop thread only.

#include "event/connection.h"
#include "event/listener.h"
#include "event/paced_sender.h"
#include "protocol/control_messages.h"
#include "util/result.h"

#include <array>
#include <memory>
#include <unordered_map>

namespace napster {

class PeerDaemon;
class ControlSession;

class ControlServer {
public:
    explicit ControlServer(PeerDaemon& daemon);
    ~ControlServer();

    Status start();
    void stop();

    PeerDaemon& daemon() { return daemon_; }
    void session_closed(ControlSession* session);

private:
    PeerDaemon& daemon_;
    Listener* listener_ = nullptr;
    std::unordered_map<ControlSession*, std::shared_ptr<ControlSession>> sessions_;
};

class ControlSession final : public Connection::Handler,
                             public std::enable_shared_from_this<ControlSession> {
public:
    ControlSession(ControlServer& server, Connection* connection);

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_drained(Connection& connection) override;
    void on_closed(Connection& connection, const std::string& reason) override;
    void close(const std::string& reason);

private:
    // One entry per request type, sorted by type (checked at compile time).
    struct Command {
        protocol::MessageType type;
        void (ControlSession::*handler)(const protocol::Frame&);
    };
    static constexpr std::array<Command, 5> command_table() {
        return {{{protocol::MessageType::search, &ControlSession::handle_search},
                 {protocol::MessageType::fetch, &ControlSession::handle_fetch},
                 {protocol::MessageType::status, &ControlSession::handle_status},
                 {protocol::MessageType::shares, &ControlSession::handle_shares},
                 {protocol::MessageType::rescan, &ControlSession::handle_rescan}}};
    }

    void handle_search(const protocol::Frame& frame);
    void handle_fetch(const protocol::Frame& frame);
    void handle_status(const protocol::Frame& frame);
    void handle_shares(const protocol::Frame& frame);
    void handle_rescan(const protocol::Frame& frame);
    void start_fetch(protocol::Fetch request, std::vector<protocol::Holder> holders, std::uint64_t size);

    ControlServer& server_;
    Connection* connection_;
    bool hello_done_ = false;
    bool request_done_ = false;
    PacedSender outgoing_; // SHARES_BATCH frames
};

} // namespace napster
