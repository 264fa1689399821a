// SPDX-License-Identifier: MIT
#pragma once

// napeerd's Unix control socket, driven by napctl: one request per
// connection after HELLO/WELCOME. Root, the daemon's own user and members
// of its group (primary or supplementary) may connect; SO_PEERCRED tells
// who calls. Privileged operations never listen on TCP.
//
// Ownership: the server owns the listener and, through its registry, its
// sessions. A search or fetch in flight holds its session, so an answer
// that comes after napctl hung up finds it closed, not freed. Loop thread
// only.

#include "event/admission.h"
#include "event/connection_session.h"
#include "event/listener.h"
#include "event/paced_sender.h"
#include "event/session.h"
#include "event/timer.h"
#include "peer/download.h"
#include "protocol/control_messages.h"
#include "util/result.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace napster {

class PeerDaemon;
class ControlServer;

class ControlSession final : public ConnectionSession {
public:
    ControlSession(ControlServer& server, Connection* connection, ConnectionAdmission::Id admission_id);

    ConnectionAdmission::Id admission_id() const { return admission_id_; }
    // Called by the server's sweep about once a second: closes a session
    // that sent no request within control.handshake_timeout.
    void tick(std::uint64_t now_ms);

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_drained(Connection& connection) override;

    bool watching() const { return watching_; }
    // The server's watch tick: sends `update` (encoded) if it differs from
    // the last one sent, or the keepalive is due, and nothing waits unread.
    void send_watch(const Bytes& update, std::uint64_t now_ms);

private:
    // One entry per request type, sorted by type (checked at compile time).
    struct Command {
        protocol::MessageType type;
        void (ControlSession::*handler)(const protocol::Frame&);
    };
    static constexpr std::array<Command, 10> command_table() {
        return {{{protocol::MessageType::search, &ControlSession::handle_search},
                 {protocol::MessageType::fetch, &ControlSession::handle_fetch},
                 {protocol::MessageType::status, &ControlSession::handle_status},
                 {protocol::MessageType::shares, &ControlSession::handle_shares},
                 {protocol::MessageType::rescan, &ControlSession::handle_rescan},
                 {protocol::MessageType::transfers, &ControlSession::handle_transfers},
                 {protocol::MessageType::cancel, &ControlSession::handle_cancel},
                 {protocol::MessageType::wait, &ControlSession::handle_wait},
                 {protocol::MessageType::watch, &ControlSession::handle_watch},
                 {protocol::MessageType::reload, &ControlSession::handle_reload}}};
    }

    void handle_search(const protocol::Frame& frame);
    void handle_fetch(const protocol::Frame& frame);
    void handle_status(const protocol::Frame& frame);
    void handle_shares(const protocol::Frame& frame);
    void handle_rescan(const protocol::Frame& frame);
    void handle_reload(const protocol::Frame& frame);
    Result<std::shared_ptr<const OwnedFd>> take_output_dir(const protocol::Fetch& fetch);
    void handle_transfers(const protocol::Frame& frame);
    void handle_cancel(const protocol::Frame& frame);
    void handle_wait(const protocol::Frame& frame);
    void handle_watch(const protocol::Frame& frame);
    void start_fetch(FetchPlan plan);
    // FETCH and WAIT: progress while the download runs, then its outcome.
    DownloadManager::ProgressCallback progress_sender();
    DownloadManager::DoneCallback outcome_sender();
    void on_disconnected(const std::string& reason) override;

    ControlServer& server_;
    ConnectionAdmission::Id admission_id_;
    std::uint64_t connected_ms_;
    bool hello_done_ = false;
    bool request_done_ = false;
    std::optional<Error> refusal_; // a caller who may not drive napeerd
    PacedSender outgoing_;         // SHARES_BATCH frames
    // The phase of the last FETCH_PROGRESS sent: a change of phase is sent
    // even while earlier bytes wait, so "syncing" is never lost.
    protocol::TransferState last_phase_sent_ = protocol::TransferState::connecting;
    bool watching_ = false;
    Bytes last_watch_sent_;
    std::uint64_t last_watch_ms_ = 0;
};

class ControlServer {
public:
    explicit ControlServer(PeerDaemon& daemon);
    ~ControlServer();

    Status start();
    void stop();

    PeerDaemon& daemon() { return daemon_; }
    // A reload changed control.max_pending or max_per_user.
    void set_admission_limits(AdmissionLimits limits) { admission_.set_limits(limits); }
    // For sessions: a request arrived, or the connection went.
    void request_received(ConnectionAdmission::Id id) { admission_.establish(id); }
    void session_left(ConnectionAdmission::Id id) { admission_.leave(id); }
    // WATCH sessions: the watch timer runs while there is one.
    void watch_started();
    void watch_ended();

private:
    void accept(Connection* connection);
    void sweep();
    void watch_tick();

    PeerDaemon& daemon_;
    Listener* listener_ = nullptr;
    ConnectionAdmission admission_;
    Timer sweep_timer_;
    Timer watch_timer_;
    std::size_t watchers_ = 0;
    SessionRegistry<ControlSession> sessions_;
};

} // namespace napster
