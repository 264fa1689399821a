// SPDX-License-Identifier: MIT
#include "peer/upload_server.h"

#include "peer/peer_daemon.h"
#include "peer/upload_session.h"

namespace napster {

UploadServer::UploadServer(PeerDaemon& daemon) : daemon_(daemon) {}

UploadServer::~UploadServer() = default;

Status UploadServer::start() {
    const PeerConfig& c = daemon_.config();
    auto listener = Listener::listen_tcp(daemon_.loop(), c.upload_address, c.upload_port, "upload.port",
                                         c.source, [this](Connection* connection) {
                                             if (daemon_.stopping()) return connection->close("shutting down");
                                             auto session = std::make_unique<UploadSession>(*this, connection);
                                             UploadSession* key = session.get();
                                             sessions_.emplace(key, std::move(session));
                                         });
    if (!listener) return listener.error();
    listener_ = *listener;
    daemon_.log().info("upload server listening on {}", listener_->endpoint());
    return Ok{};
}

void UploadServer::stop() {
    if (listener_) listener_->close();
    listener_ = nullptr;
    for (auto& [key, session] : sessions_) session->close("napeerd shutting down");
}

void UploadServer::session_finished(UploadSession* session, bool complete) {
    if (complete) ++completed_;
    sessions_.erase(session);
}

} // namespace napster
