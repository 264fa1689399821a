// SPDX-License-Identifier: MIT
#pragma once

// napindexd's core: the listening socket, one PeerSession per connection,
// the catalog they all update, and the sweep that drops silent peers.
//
// Ownership: the server owns the listener, the sweep timer, the catalog
// (whichever CatalogService it was given) and, through its registry, every
// session (freed once closed and no catalog answer is owed to it).
// Destroy it after stop(), once the loop has run out of work: a catalog
// that answers later keeps the loop running until it has answered every
// session. Loop thread only.

#include "catalog/catalog_service.h"
#include "config/index_config.h"
#include "event/admission.h"
#include "event/clock.h"
#include "event/listener.h"
#include "event/loop_turns.h"
#include "config/config_diff.h"
#include "event/session.h"
#include "event/timer.h"
#include "index/peer_session.h"
#include "index/search_log.h"
#include "util/log.h"

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>

namespace napster {

class IndexServer {
public:
    // napindexd passes the in-memory Catalog; tests may pass another.
    IndexServer(uv_loop_t* loop, const IndexConfig& config, Logger& log,
                std::unique_ptr<CatalogService> catalog);
    ~IndexServer();

    // Listens on listen.address and listen.port or, when `inherited_fd` is
    // not -1, on that already listening socket (socket activation).
    Status start(int inherited_fd = -1);
    // Closes the listener and every connection; the loop then runs dry.
    void stop();

    // SIGHUP: applies the keys of `fresh` a running index can change
    // (log.level, limits.handshake_timeout, max_pending, max_per_address)
    // and logs each changed key, applied or needing a restart.
    ConfigDiff reload(const IndexConfig& fresh);

    // "3 peers, 12,408 files"
    std::string summary() const;
    // The port bound once started: the configured one or, for port 0, the
    // kernel's pick. 0 before start() and after stop().
    std::uint16_t port() const { return listener_ ? listener_->port() : 0; }
    // Sessions not yet freed: connected, or closed and still owed a
    // catalog answer.
    std::size_t session_count() const { return sessions_.size(); }

    // For sessions.
    Logger& log() { return log_; }
    CatalogService& catalog() { return *catalog_; }
    const IndexConfig& config() const { return config_; }
    std::uint64_t now_ms() const { return napster::now_ms(loop_); }
    std::uint32_t allocate_peer_id();
    void release_peer_id(std::uint32_t id);
    // A session's REGISTER: true if limits.max_peers has room for it.
    bool register_peer(ConnectionAdmission::Id id);
    void session_left(ConnectionAdmission::Id id, bool registered);
    // A search answered: true when it is to be logged on its own line
    // (log.search_lines_per_second); otherwise it is counted, and summed
    // up in one line at the end of its second.
    bool admit_search_line(bool found);

private:
    void accept(Connection* connection);
    void sweep();
    void log_search_summary();
    void report_loop_turns();

    uv_loop_t* loop_;
    IndexConfig config_;
    Logger& log_;
    Listener* listener_ = nullptr;
    ConnectionAdmission admission_;
    std::size_t registered_ = 0;
    Timer sweep_timer_;
    SearchLogBudget search_log_;
    Timer search_log_timer_;
    LoopTurnWatch loop_turns_;
    Timer loop_turns_timer_;
    SessionRegistry<PeerSession> sessions_;
    // After sessions_, so it goes first: a callback it still held would
    // hold a session, and releasing that needs the registry.
    std::unique_ptr<CatalogService> catalog_;
    std::set<std::uint32_t> released_ids_;
    std::uint32_t next_id_ = 0;
    bool stopping_ = false;
};

} // namespace napster
