// SPDX-License-Identifier: MIT
#include "peer/upload_server.h"

#include "event/clock.h"
#include "peer/peer_daemon.h"
#include "util/text.h"

namespace napster {

UploadServer::UploadServer(PeerDaemon& daemon)
    : daemon_(daemon),
      admission_({daemon.config().upload_max_pending, daemon.config().upload_max_per_address},
                 "upload.max_pending", "upload.max_per_address"),
      sweep_timer_(daemon.loop()) {}

UploadServer::~UploadServer() = default;

Status UploadServer::start() {
    const PeerConfig& c = daemon_.config();
    auto listener = Listener::listen_tcp(daemon_.loop(), c.upload_address, c.upload_port, "upload.port",
                                         c.source, [this](Connection* connection) { accept(connection); });
    if (!listener) return listener.error();
    listener_ = *listener;
    daemon_.log().info("upload server listening on {}", listener_->endpoint());
    sweep_timer_.start_repeating(1000, [this] { sweep(); });
    return Ok{};
}

void UploadServer::accept(Connection* connection) {
    if (daemon_.stopping()) return connection->close("shutting down");
    auto decision = admission_.arrive(connection->remote_address());
    close_evicted(sessions_, decision.evicted,
                  "dropped to make room for a new connection (upload.max_pending, upload.max_per_address)");
    // Refused before HELLO, so without a frame: the accepting side sends
    // nothing before it.
    if (!decision.admitted) return connection->close(decision.refusal);
    sessions_.add(*this, connection, *decision.admitted);
}

bool UploadServer::begin_upload(ConnectionAdmission::Id id) {
    if (sending_ >= daemon_.config().upload_max_concurrent) return false;
    ++sending_;
    admission_.establish(id);
    return true;
}

void UploadServer::sweep() {
    std::uint64_t now = now_ms(daemon_.loop());
    sessions_.for_each([now](UploadSession& session) { session.tick(now); });
    if (auto turned_away = admission_.due_report(now)) {
        daemon_.log().warn("upload port: turned away {} since the last report "
                           "(upload.max_pending is {}, upload.max_per_address is {})",
                           count_of(*turned_away, "connection", "connections"),
                           admission_.limits().max_pending, admission_.limits().max_per_address);
    }
}

void UploadServer::stop() {
    if (listener_) listener_->close();
    listener_ = nullptr;
    sweep_timer_.stop();
    sessions_.for_each([](UploadSession& session) { session.close("napeerd shutting down"); });
}

bool UploadServer::cancel(protocol::TransferId id, const std::string& reason) {
    bool found = false;
    sessions_.for_each([&](UploadSession& session) {
        if (!found && session.transfer_id() == id) found = session.cancel(reason);
    });
    return found;
}

void UploadServer::report_progress() {
    std::uint64_t now = now_ms(daemon_.loop());
    sessions_.for_each([now](UploadSession& session) { session.report_progress(now); });
}

void UploadServer::upload_ended(ConnectionAdmission::Id id, bool began, bool complete) {
    admission_.leave(id);
    if (began) --sending_;
    if (complete) ++completed_;
}

} // namespace napster
