// SPDX-License-Identifier: MIT
#pragma once

// One peer's connection to the index: the handshake, registration, its
// file list changes and its searches. Protocol faults get an ERROR reply
// and close this connection only.
//
// Every catalog call is answered before it returns or later: each callback
// holds the session, and one that runs after the connection closed (or
// began closing) sends nothing. On disconnect the session asks the catalog
// to drop the peer and gives the peer id back once that is answered.
//
// Ownership: owned by IndexServer's registry; a ConnectionSession, so it is
// freed once its connection has closed and no catalog answer is still owed
// to it (see event/session.h). Loop thread only.

#include "catalog/catalog_service.h"
#include "event/admission.h"
#include "event/connection_session.h"
#include "index/search_reply.h"
#include "protocol/index_messages.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace napster {

class IndexServer;

class PeerSession final : public ConnectionSession {
public:
    PeerSession(IndexServer& server, Connection* connection, ConnectionAdmission::Id admission_id);

    ConnectionAdmission::Id admission_id() const { return admission_id_; }
    void on_frame(Connection& connection, const protocol::Frame& frame) override;
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
    void on_files_added(const Result<AddOutcome>& outcome, const std::string& names,
                        const std::vector<protocol::FileEntry>& debug_files);
    // `asked` is the search as the log line names it (search_for_log).
    void on_search_answered(std::uint32_t request_id, std::size_t limit, const std::string& asked,
                            CatalogAnswer answer);
    void log_search(const std::string& asked, const CatalogAnswer& answer,
                    const SearchReply& reply);
    // The connection while a reply can still go out on it, else null: an
    // answer may come after it closed, or after an ERROR that closes it.
    Connection* reply_channel() const;
    std::string who() const;
    void on_disconnected(const std::string& reason) override;

    IndexServer& server_;
    ConnectionAdmission::Id admission_id_;
    State state_ = State::awaiting_hello;
    std::optional<std::uint32_t> peer_id_;
    std::string peer_name_;
    std::string address_;
    std::uint64_t connected_at_ms_;
    std::uint64_t last_heard_ms_;
    std::uint64_t last_ping_ms_ = 0;
};

} // namespace napster
