// SPDX-License-Identifier: MIT
#pragma once

// Serves this peer's shared files to other peers: one GET per connection,
// answered with GET_OK and the file's bytes, read on the thread pool and
// paced by how fast the downloader reads.
//
// Ownership: the server owns the listener and, through its registry, its
// sessions (each freed once its connection has closed and no file
// operation of its is in flight). Loop thread only.

#include "event/admission.h"
#include "event/connection.h"
#include "event/listener.h"
#include "event/session.h"
#include "event/timer.h"
#include "peer/upload_session.h"
#include "util/result.h"

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace napster {

class PeerDaemon;

class UploadServer {
public:
    explicit UploadServer(PeerDaemon& daemon);
    ~UploadServer();

    Status start();
    void stop();

    std::uint16_t port() const { return listener_ ? listener_->port() : 0; }
    std::string endpoint() const { return listener_ ? listener_->endpoint() : std::string(); }
    // Uploads past their GET, sending or about to.
    std::uint32_t active() const { return sending_; }
    std::uint64_t completed() const { return completed_; }
    // A reload changed upload.max_pending or max_per_address: connections
    // from now on are admitted by the new caps.
    void set_admission_limits(AdmissionLimits limits) { admission_.set_limits(limits); }

    // napctl cancel of an upload: false when no running upload has that id.
    bool cancel(protocol::TransferId id, const std::string& reason);
    // Each running upload tells the registry where it stands (before TRANSFERS).
    void report_progress();

    // For sessions.
    PeerDaemon& daemon() { return daemon_; }
    // A GET arrived: true if it may be served now (upload.max_concurrent).
    bool begin_upload(ConnectionAdmission::Id id);
    void upload_ended(ConnectionAdmission::Id id, bool began, bool complete);

private:
    PeerDaemon& daemon_;
    void accept(Connection* connection);
    void sweep();

    Listener* listener_ = nullptr;
    ConnectionAdmission admission_;
    Timer sweep_timer_;
    std::uint32_t sending_ = 0;
    SessionRegistry<UploadSession> sessions_;
    std::uint64_t completed_ = 0;
};

} // namespace napster
