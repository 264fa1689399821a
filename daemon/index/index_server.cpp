// SPDX-License-Identifier: MIT
#include "index/index_server.h"

#include "protocol/reload_messages.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>

namespace napster {
namespace {

// How often the longest loop turn is looked at, and from what length it is
// logged at info level.
constexpr std::uint64_t loop_turns_report_ms = 10'000;
constexpr std::uint64_t loop_turn_notice_us = 10'000;

} // namespace

IndexServer::IndexServer(uv_loop_t* loop, const IndexConfig& config, Logger& log,
                         std::unique_ptr<CatalogService> catalog)
    : loop_(loop), config_(config), log_(log),
      admission_({config.max_pending, config.max_per_address}, "limits.max_pending", "limits.max_per_address"),
      sweep_timer_(loop), search_log_(config.search_lines_per_second), search_log_timer_(loop), loop_turns_(loop),
      loop_turns_timer_(loop),
      catalog_(std::move(catalog)) {}

IndexServer::~IndexServer() = default;

Status IndexServer::start(int inherited_fd) {
    auto on_accept = [this](Connection* c) { accept(c); };
    auto listener = inherited_fd >= 0
                        ? Listener::adopt_tcp(loop_, inherited_fd, fmt::format("fd {} from systemd (LISTEN_FDS)", inherited_fd),
                                              on_accept)
                        : Listener::listen_tcp(loop_, config_.listen_address, config_.listen_port, "listen.port",
                                               config_.source, on_accept);
    if (!listener) return listener.error();
    listener_ = *listener;
    if (inherited_fd >= 0)
        log_.info("listening on {} (socket inherited from systemd; listen.address and listen.port are not used)",
                  listener_->endpoint());
    else
        log_.info("listening on {}", listener_->endpoint());
    sweep_timer_.start_repeating(1000, [this] { sweep(); });
    loop_turns_timer_.start_repeating(loop_turns_report_ms, [this] { report_loop_turns(); });
    return Ok{};
}

void IndexServer::stop() {
    if (stopping_) return;
    stopping_ = true;
    sweep_timer_.stop();
    loop_turns_timer_.stop();
    log_.info("the longest loop turn since the start took {:.1f} ms",
              static_cast<double>(loop_turns_.longest_ever_us()) / 1000.0);
    search_log_timer_.stop();
    log_search_summary();
    if (listener_) listener_->close();
    listener_ = nullptr;
    sessions_.for_each([](PeerSession& session) { session.close("index shutting down"); });
}

ConfigDiff IndexServer::reload(const IndexConfig& fresh) {
    ConfigDiff diff = diff_index_config(config_, fresh);
    // Its own lines at the more verbose of the two levels (as napeerd's).
    log_.set_level(std::max(log_.level(), fresh.log_level));
    apply_live_keys(config_, fresh);
    admission_.set_limits({config_.max_pending, config_.max_per_address});
    if (diff.empty())
        log_.info("reloaded {}: nothing changed", fresh.source.empty() ? "built-in defaults" : fresh.source);
    for (const auto& change : diff.changes) {
        if (change.live)
            log_.info("reload: {}", protocol::reload_text(change.key, change.live, change.before, change.after));
        else
            log_.warn("reload: {}", protocol::reload_text(change.key, change.live, change.before, change.after));
    }
    log_.set_level(fresh.log_level);
    return diff;
}

std::string IndexServer::summary() const {
    return fmt::format("{}, {}", count_of(catalog_->peer_count(), "peer", "peers"),
                       count_of(catalog_->file_count(), "file", "files"));
}

void IndexServer::accept(Connection* connection) {
    if (stopping_) {
        connection->close("index shutting down");
        return;
    }
    // Unregistered connections have caps of their own (max_pending,
    // max_per_address), so a flood of idle sockets never counts against
    // max_peers, which REGISTER checks.
    auto decision = admission_.arrive(connection->remote_address());
    close_evicted(sessions_, decision.evicted,
                  "dropped to make room for a new connection (limits.max_pending, limits.max_per_address)");
    // Refused before HELLO, so without a frame: the accepting side sends
    // nothing before it.
    if (!decision.admitted) return connection->close(decision.refusal);
    sessions_.add(*this, connection, *decision.admitted);
}

bool IndexServer::register_peer(ConnectionAdmission::Id id) {
    if (registered_ >= config_.max_peers) return false;
    ++registered_;
    admission_.establish(id);
    return true;
}

void IndexServer::session_left(ConnectionAdmission::Id id, bool registered) {
    admission_.leave(id);
    if (registered) --registered_;
}

std::uint32_t IndexServer::allocate_peer_id() {
    // Small integers, lowest free first, as the seed's peers got them.
    if (!released_ids_.empty()) {
        std::uint32_t id = *released_ids_.begin();
        released_ids_.erase(released_ids_.begin());
        return id;
    }
    return next_id_++;
}

void IndexServer::release_peer_id(std::uint32_t id) { released_ids_.insert(id); }

bool IndexServer::admit_search_line(bool found) {
    if (search_log_.admit(now_ms(), found)) return true;
    if (!search_log_timer_.active() && !stopping_) {
        std::uint64_t due = search_log_.summary_due().value_or(now_ms());
        search_log_timer_.start_once(due > now_ms() ? due - now_ms() : 0, [this] { log_search_summary(); });
    }
    return false;
}

void IndexServer::log_search_summary() {
    auto summary = search_log_.take_summary(now_ms());
    if (!summary) return;
    log_.info("{} in the last {:.1f} s were only counted, past log.search_lines_per_second = {}; "
              "{} of them found nothing",
              count_of(summary->searches, "search", "searches"), static_cast<double>(summary->span_ms) / 1000.0,
              config_.search_lines_per_second, summary->not_found);
}

void IndexServer::report_loop_turns() {
    // A turn keeps every other peer waiting: one of 10 ms or more is worth
    // an operator's notice; the longest is at debug level anyway.
    std::uint64_t longest = loop_turns_.take_longest_us();
    const double ms = static_cast<double>(longest) / 1000.0;
    if (longest >= loop_turn_notice_us)
        log_.info("the longest loop turn in the last {} s took {:.1f} ms", loop_turns_report_ms / 1000, ms);
    else
        log_.debug("the longest loop turn in the last {} s took {:.1f} ms", loop_turns_report_ms / 1000, ms);
}

void IndexServer::sweep() {
    std::uint64_t now = now_ms();
    sessions_.for_each([now](PeerSession& session) { session.tick(now); });
    if (auto turned_away = admission_.due_report(now)) {
        log_.warn("turned away {} since the last report (limits.max_pending is {}, limits.max_per_address is {})",
                  count_of(*turned_away, "connection", "connections"), config_.max_pending,
                  config_.max_per_address);
    }
}

} // namespace napster
