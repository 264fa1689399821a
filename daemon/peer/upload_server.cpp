// SPDX-License-Identifier: MIT
#include "peer/upload_server.h"

#include "peer/peer_daemon.h"

namespace napster {

UploadServer::UploadServer(PeerDaemon& daemon) : daemon_(daemon) {}

UploadServer::~UploadServer() = default;

Status UploadServer::start() {
    const PeerConfig& c = daemon_.config();
    auto listener = Listener::listen_tcp(daemon_.loop(), c.upload_address, c.upload_port, "upload.port",
                                         c.source, [this](Connection* connection) {
                                             if (daemon_.stopping()) return connection->close("shutting down");
                                             sessions_.add(*this, connection);
                                         });
    if (!listener) return listener.error();
    listener_ = *listener;
    daemon_.log().info("upload server listening on {}", listener_->endpoint());
    return Ok{};
}

void UploadServer::stop() {
    if (listener_) listener_->close();
    listener_ = nullptr;
    sessions_.for_each([](UploadSession& session) { session.close("napeerd shutting down"); });
}

void UploadServer::upload_ended(bool complete) {
    if (complete) ++completed_;
}

} // namespace napster
