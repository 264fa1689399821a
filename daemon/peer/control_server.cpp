// SPDX-License-Identifier: MIT
#include "peer/control_server.h"

#include "event/clock.h"
#include "event/handshake.h"
#include "event/service_run.h"
#include "peer/fetch_choice.h"
#include "peer/peer_daemon.h"
#include "peer/reload_report.h"
#include "protocol/common_messages.h"
#include "protocol/control_messages.h"
#include "protocol/transfer_list_messages.h"
#include "util/text.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <optional>

namespace napster {
namespace {

using protocol::ErrorCode;
using protocol::MessageType;

// Bytes of replies that may wait for a napctl that does not read them
// (FETCH_PROGRESS piles up behind a suspended one); one more and the
// connection is dropped.
constexpr std::size_t control_write_limit = 64 * 1024 * 1024;

// Root, napeerd's own user, and members of its group (the socket's group:
// the unit makes it napster) may drive it, as the socket's 0660 mode says.
// Admins are usually in that group as a supplementary one, which
// SO_PEERCRED does not carry: SO_PEERGROUPS does, from the kernel's record
// of the connect, so /proc (and its race with pid reuse) is not needed.
bool may_control(const ucred& cred, const std::optional<std::vector<gid_t>>& groups) {
    if (cred.uid == 0 || cred.uid == geteuid()) return true;
    if (cred.gid == getegid()) return true;
    return groups && std::find(groups->begin(), groups->end(), getegid()) != groups->end();
}


} // namespace

ControlServer::ControlServer(PeerDaemon& daemon)
    : daemon_(daemon),
      admission_({daemon.config().control_max_pending, daemon.config().control_max_per_user},
                 "control.max_pending", "control.max_per_user"),
      sweep_timer_(daemon.loop()), watch_timer_(daemon.loop()) {}

ControlServer::~ControlServer() = default;

Status ControlServer::start() {
    const PeerConfig& c = daemon_.config();
    auto listener = Listener::listen_unix(daemon_.loop(), c.control_socket, "control.socket", c.source,
                                          [this](Connection* connection) { accept(connection); });
    if (!listener) return listener.error();
    listener_ = *listener;
    daemon_.log().info("control socket at {}", listener_->endpoint());
    sweep_timer_.start_repeating(1000, [this] { sweep(); });
    return Ok{};
}

// The per-address cap is per caller here: a Unix socket's callers differ by
// uid, which the kernel recorded at connect.
void ControlServer::accept(Connection* connection) {
    if (daemon_.stopping()) return connection->close("shutting down");
    auto cred = connection->peer_credentials();
    std::string caller = cred ? fmt::format("uid {}", cred->uid) : std::string("an unknown uid");
    auto decision = admission_.arrive(caller);
    close_evicted(sessions_, decision.evicted,
                  "dropped to make room for a new connection (control.max_pending, control.max_per_user)");
    // Refused before HELLO, so without a frame.
    if (!decision.admitted) return connection->close(decision.refusal);
    sessions_.add(*this, connection, *decision.admitted);
}

void ControlServer::sweep() {
    std::uint64_t now = now_ms(daemon_.loop());
    sessions_.for_each([now](ControlSession& session) { session.tick(now); });
    if (auto turned_away = admission_.due_report(now)) {
        daemon_.log().warn("control socket: turned away {} since the last report "
                           "(control.max_pending is {}, control.max_per_user is {})",
                           count_of(*turned_away, "connection", "connections"),
                           admission_.limits().max_pending, admission_.limits().max_per_address);
    }
}

void ControlServer::watch_started() {
    if (watchers_++ == 0) watch_timer_.start_repeating(protocol::watch_interval_ms, [this] { watch_tick(); });
    watch_tick(); // the first update at once
}

void ControlServer::watch_ended() {
    if (watchers_ > 0 && --watchers_ == 0) watch_timer_.stop();
}

// One sample for every watcher; each gets it only if it changed for it.
void ControlServer::watch_tick() {
    PeerDaemon& daemon = daemon_;
    const IndexClient& index = daemon.index();
    protocol::WatchUpdate update;
    update.index_state = index.state();
    update.peer_id = index.peer_id().value_or(0);
    update.index_address = index.target();
    // Whole seconds: a countdown in milliseconds would be a change at every tick.
    update.reconnect_in_ms = (index.reconnect_in_ms() + 999) / 1000 * 1000;
    update.last_error = index.last_error();
    update.transfers = daemon.list_transfers();
    Bytes encoded = protocol::encode_message(update);
    std::uint64_t now = now_ms(daemon.loop());
    sessions_.for_each([&](ControlSession& session) {
        if (session.watching()) session.send_watch(encoded, now);
    });
}

void ControlServer::stop() {
    if (listener_) listener_->close();
    listener_ = nullptr;
    sweep_timer_.stop();
    watch_timer_.stop();
    sessions_.for_each([](ControlSession& session) { session.close("napeerd shutting down"); });
}

ControlSession::ControlSession(ControlServer& server, Connection* connection, ConnectionAdmission::Id admission_id)
    : ConnectionSession(connection), server_(server), admission_id_(admission_id),
      connected_ms_(now_ms(server.daemon().loop())) {
    connection->set_write_limit(control_write_limit);
    auto cred = connection->peer_credentials();
    if (!cred || !may_control(*cred, connection->peer_groups())) {
        // Answered after the caller's HELLO: the accepting side sends
        // nothing before it, so napctl always reads the same refusal.
        long uid = cred ? static_cast<long>(cred->uid) : -1;
        server_.daemon().log().warn("refused control connection from uid {}", uid);
        refusal_ = Error{ErrorCode::permission_denied,
                         fmt::format("permission denied: napeerd runs as uid {}; use that user, a member of "
                                     "its group, or root",
                                     geteuid())};
    }
    connection->start_reading();
}

void ControlSession::on_frame(Connection& connection, const protocol::Frame& frame) {
    // A descriptor belongs to the frame it came with; only FETCH takes
    // one, and any other frame's are closed unused.
    if (frame.type != MessageType::fetch) connection.close_received_fds();
    if (refusal_) {
        if (frame.type != MessageType::hello)
            return connection.fail({ErrorCode::unexpected_message, "expected HELLO first"});
        return connection.fail(*refusal_);
    }
    if (!hello_done_) {
        hello_done_ = answer_hello(
            connection, frame,
            {protocol::Channel::control, "napeerd", "this is napeerd's control socket"});
        return;
    }
    // PING is answered at any time, even while a request runs.
    if (frame.type == MessageType::ping) return answer_ping(connection, frame);
    if (request_done_)
        return connection.fail(
            {ErrorCode::unexpected_message,
             fmt::format("{} after the request: one request per connection",
                         protocol::message_type_name(frame.type))});
    static constexpr auto commands = command_table();
    static_assert(
        std::is_sorted(commands.begin(), commands.end(),
                       [](const Command& a, const Command& b) { return a.type < b.type; }),
        "the control command table must be sorted by message type");
    auto command = std::lower_bound(commands.begin(), commands.end(), frame.type,
                                    [](const Command& c, MessageType t) { return c.type < t; });
    if (command == commands.end() || command->type != frame.type)
        return connection.fail(
            {ErrorCode::unexpected_message,
             fmt::format("{} is not a control request", protocol::message_type_name(frame.type))});
    // Reading goes on: a second request is answered (with an error), and
    // napctl hanging up is noticed at once, not at the next reply.
    request_done_ = true;
    server_.request_received(admission_id_);
    (this->*command->handler)(frame);
}

void ControlSession::handle_search(const protocol::Frame& frame) {
    auto search = protocol::decode_message<protocol::Search>(frame.payload);
    if (!search) return connection()->fail(search.error());
    server_.daemon().log().debug("search received on the control socket");
    server_.daemon().index().search(std::move(*search),
                                    [this, hold = hold()](Result<protocol::SearchResult> result) {
                                        if (!connection()) return;
                                        if (!result) return connection()->fail(result.error());
                                        connection()->send_message(*result);
                                        connection()->close_after_writes("request done");
                                    });
}

void ControlSession::handle_fetch(const protocol::Frame& frame) {
    auto fetch = protocol::decode_message<protocol::Fetch>(frame.payload);
    if (!fetch) {
        connection()->close_received_fds();
        return connection()->fail(fetch.error());
    }
    auto output_dir_fd = take_output_dir(*fetch);
    if (!output_dir_fd) return connection()->fail(output_dir_fd.error());
    PeerDaemon& daemon = server_.daemon();
    if (fetch->output_dir.empty()) fetch->output_dir = daemon.config().download_dir;
    protocol::Search query = fetch_search(*fetch); // before the request moves into the callback
    daemon.index().search(std::move(query), [this, hold = hold(), request = std::move(*fetch),
                                             dir = std::move(*output_dir_fd)](
                                                Result<protocol::SearchResult> result) mutable {
        if (!connection()) return;
        if (!result) return connection()->fail(result.error());
        auto choice = choose_fetch(request, *result, server_.daemon().index().peer_id());
        if (!choice) return connection()->fail(choice.error());
        if (Logger& log = server_.daemon().log(); log.enabled(LogLevel::debug)) {
            std::string holders;
            for (const auto& h : choice->holders)
                holders += fmt::format("{}peer {} ({})", holders.empty() ? "" : ", ", h.peer_id, printable(h.peer_name));
            log.debug("fetch {} ({} bytes, root {}): holders in order {}", printable(choice->name), choice->size,
                      root_prefix(choice->root), holders);
        }
        start_fetch(FetchPlan{std::move(choice->name), choice->size, choice->root, std::move(choice->holders),
                              std::move(request.output_dir), std::move(dir)});
    });
}

// The output directory's descriptor, when FETCH says one comes with it:
// exactly one, and a directory (it is the caller's, opened with the
// caller's rights; napeerd never opens that path itself).
Result<std::shared_ptr<const OwnedFd>> ControlSession::take_output_dir(const protocol::Fetch& fetch) {
    Connection& c = *connection();
    if (!fetch.output_fd) {
        c.close_received_fds();
        return std::shared_ptr<const OwnedFd>();
    }
    std::size_t count = c.received_fd_count();
    if (count != 1) {
        c.close_received_fds();
        return make_error(ErrorCode::malformed,
                          count == 0 ? "FETCH says the output directory's descriptor comes with it, but none came"
                                     : fmt::format("FETCH came with {} descriptors; it takes one", count));
    }
    auto dir = std::make_shared<const OwnedFd>(c.take_received_fd());
    struct stat st {};
    if (::fstat(dir->get(), &st) != 0 || !S_ISDIR(st.st_mode))
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("the descriptor sent with FETCH for {} is not a directory",
                                      printable(fetch.output_dir)));
    return dir;
}

// A napctl that goes away (Ctrl-C, --background) leaves the download
// running: the callbacks find the connection closed and send nothing.
// Progress is sent only once the previous report has left the write queue:
// a napctl that does not read gets the latest state when it reads again,
// not a backlog.
DownloadManager::ProgressCallback ControlSession::progress_sender() {
    return [this, hold = hold()](const protocol::FetchProgress& progress) {
        if (!connection()) return;
        if (connection()->pending_write_bytes() > 0 && progress.phase == last_phase_sent_) return;
        last_phase_sent_ = progress.phase;
        connection()->send_message(progress);
    };
}

DownloadManager::DoneCallback ControlSession::outcome_sender() {
    return [this, hold = hold()](Result<protocol::FetchDone> result) {
        if (!connection()) return;
        if (!result) return connection()->fail(result.error());
        connection()->send_message(*result);
        connection()->close_after_writes("request done");
    };
}

void ControlSession::start_fetch(FetchPlan plan) {
    server_.daemon().downloads().fetch(std::move(plan), progress_sender(), outcome_sender());
}

void ControlSession::handle_transfers(const protocol::Frame& frame) {
    if (!protocol::decode_message<protocol::TransfersRequest>(frame.payload))
        return connection()->fail({ErrorCode::malformed, "TRANSFERS carries no payload"});
    connection()->send_message(server_.daemon().list_transfers());
    connection()->close_after_writes("request done");
}

void ControlSession::handle_cancel(const protocol::Frame& frame) {
    auto cancel = protocol::decode_message<protocol::CancelRequest>(frame.payload);
    if (!cancel) return connection()->fail(cancel.error());
    auto done = server_.daemon().cancel_transfer(cancel->transfer_id);
    if (!done) return connection()->fail(done.error());
    connection()->send_message(*done);
    connection()->close_after_writes("request done");
}

// A download that has ended already is answered from the registry, so a
// WAIT right after a FETCH --background never misses a quick one.
void ControlSession::handle_wait(const protocol::Frame& frame) {
    auto wait = protocol::decode_message<protocol::WaitRequest>(frame.payload);
    if (!wait) return connection()->fail(wait.error());
    PeerDaemon& daemon = server_.daemon();
    protocol::TransferId id = wait->transfer_id;
    const TransferRegistry::Entry* entry = daemon.transfers().find(id);
    if (!entry)
        return connection()->fail(
            {ErrorCode::not_found, fmt::format("no transfer {} (napctl transfers lists them)", id)});
    if (entry->direction != protocol::TransferDirection::download)
        return connection()->fail(
            {ErrorCode::invalid_argument,
             fmt::format("transfer {} is an upload; napctl wait follows downloads", id)});
    if (daemon.downloads().follow(id, progress_sender(), outcome_sender())) return;
    if (!entry->outcome)
        return connection()->fail({ErrorCode::internal, fmt::format("transfer {} has no outcome", id)});
    const auto& outcome = *entry->outcome;
    if (!outcome) return connection()->fail(outcome.error());
    protocol::FetchProgress last{entry->progress.done, entry->progress.total, {}, id, protocol::TransferState::syncing,
                                 entry->ended_ms - entry->started_ms};
    connection()->send_message(last);
    connection()->send_message(*outcome);
    connection()->close_after_writes("request done");
}

void ControlSession::handle_status(const protocol::Frame& frame) {
    if (!protocol::decode_message<protocol::StatusRequest>(frame.payload))
        return connection()->fail({ErrorCode::malformed, "STATUS carries no payload"});
    connection()->send_message(server_.daemon().status());
    connection()->close_after_writes("request done");
}

void ControlSession::handle_shares(const protocol::Frame& frame) {
    if (!protocol::decode_message<protocol::SharesRequest>(frame.payload))
        return connection()->fail({ErrorCode::malformed, "SHARES carries no payload"});
    // The list goes a batch at a time as napctl reads it: a share of
    // millions of files never sits in the write queue at once.
    auto cursor = std::make_shared<ShareListCursor>(server_.daemon().shares().file_ids());
    outgoing_.attach(*connection());
    outgoing_.push([this, cursor]() -> std::optional<Bytes> {
        if (cursor->done()) return std::nullopt;
        auto batch = cursor->next_batch(server_.daemon().shares());
        if (batch.empty()) return std::nullopt;
        return protocol::encode_message(protocol::SharesBatch{std::move(batch)});
    });
    outgoing_.push([this, cursor]() -> std::optional<Bytes> {
        if (!connection()) return std::nullopt;
        connection()->send_message(protocol::SharesEnd{cursor->sent()});
        connection()->close_after_writes("request done");
        return std::nullopt;
    });
    outgoing_.pump(*connection());
}

void ControlSession::handle_rescan(const protocol::Frame& frame) {
    if (!protocol::decode_message<protocol::RescanRequest>(frame.payload))
        return connection()->fail({ErrorCode::malformed, "RESCAN carries no payload"});
    server_.daemon().log().info("rescan requested on the control socket");
    server_.daemon().watcher().rescan([this, hold = hold()](RescanSummary summary) {
        if (!connection()) return;
        connection()->send_message(
            protocol::RescanDone{summary.file_count, static_cast<std::uint32_t>(summary.upserted),
                                 static_cast<std::uint32_t>(summary.removed)});
        connection()->close_after_writes("request done");
    });
}

void ControlSession::handle_reload(const protocol::Frame& frame) {
    if (!protocol::decode_message<protocol::ReloadRequest>(frame.payload))
        return connection()->fail({ErrorCode::malformed, "RELOAD carries no payload"});
    PeerDaemon& daemon = server_.daemon();
    daemon.log().info("reload requested on the control socket");
    std::optional<ReloadNotice> notice(std::in_place);
    auto diff = daemon.reload_from_file();
    notice.reset(); // READY=1 before napctl hears the outcome
    if (!diff) {
        daemon.log().error("reload refused, keeping the running config: {}", diff.error().message);
        return connection()->fail(diff.error());
    }
    connection()->send_message(reload_result(*diff, daemon.config().source));
    connection()->close_after_writes("request done");
}

// The update napctl reads is always the latest: one that finds the last
// still queued is dropped, and the next tick sends what is current then.
void ControlSession::handle_watch(const protocol::Frame& frame) {
    if (!protocol::decode_message<protocol::WatchRequest>(frame.payload))
        return connection()->fail({ErrorCode::malformed, "WATCH carries no payload"});
    watching_ = true;
    server_.watch_started();
}

void ControlSession::send_watch(const Bytes& update, std::uint64_t now) {
    if (!connection() || connection()->pending_write_bytes() > 0) return;
    if (update == last_watch_sent_ && now - last_watch_ms_ < protocol::watch_keepalive_ms) return;
    last_watch_sent_ = update;
    last_watch_ms_ = now;
    connection()->send(Bytes(update));
}

void ControlSession::on_drained(Connection& connection) {
    outgoing_.pump(connection);
}

void ControlSession::tick(std::uint64_t now) {
    if (!connection() || request_done_) return;
    std::uint32_t limit = server_.daemon().config().control_handshake_timeout;
    if (now - connected_ms_ > std::uint64_t{limit} * 1000)
        close(fmt::format("no request within {} s (control.handshake_timeout)", limit));
}

void ControlSession::on_disconnected(const std::string&) {
    outgoing_.clear();
    if (std::exchange(watching_, false)) server_.watch_ended();
    server_.session_left(admission_id_);
}

} // namespace napster
