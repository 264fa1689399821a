// SPDX-License-Identifier: MIT
#include "index/peer_session.h"

#include "content/sha256.h"
#include "event/handshake.h"
#include "index/index_server.h"
#include "index/search_log.h"
#include "index/search_reply.h"
#include "protocol/common_messages.h"
#include "protocol/index_messages.h"
#include "util/text.h"

#include <fmt/format.h>

#include <vector>

namespace napster {
namespace {

using protocol::ErrorCode;
using protocol::MessageType;

// Files named in the info line of an add; the rest are counted.
constexpr std::size_t names_in_add_log = 10;

std::string names_for_log(const std::vector<protocol::FileEntry>& files) {
    std::string names;
    for (std::size_t i = 0; i < files.size() && i < names_in_add_log; ++i)
        names += (i ? ", " : "") + printable(files[i].name);
    if (files.size() > names_in_add_log)
        names += fmt::format(" and {} more", files.size() - names_in_add_log);
    return names;
}

// `"text"`, `"text" (exact)`, or `root <64 hex digits>` for a search by
// content, whose query is empty.
std::string search_for_log(const protocol::Search& search) {
    if (search.root) return "root " + content::hex(*search.root);
    return fmt::format("\"{}\"{}", printable(search.query), search.exact() ? " (exact)" : "");
}

} // namespace

PeerSession::PeerSession(IndexServer& server, Connection* connection, ConnectionAdmission::Id admission_id)
    : ConnectionSession(connection), server_(server), admission_id_(admission_id),
      address_(connection->remote_address()),
      connected_at_ms_(server.now_ms()), last_heard_ms_(connected_at_ms_) {
    connection->start_reading();
}

Connection* PeerSession::reply_channel() const {
    Connection* c = connection();
    return c && !c->closing() ? c : nullptr;
}

std::string PeerSession::who() const {
    if (peer_id_) return fmt::format("peer {} ({})", *peer_id_, printable(peer_name_));
    return fmt::format("connection from {}", address_);
}

// Soft state: a peer that answers nothing for limits.peer_timeout loses its
// files. Pinging every third of it lets a live but idle peer prove itself
// twice before that.
void PeerSession::tick(std::uint64_t now_ms) {
    if (!connection()) return;
    if (state_ != State::registered) {
        std::uint32_t limit = server_.config().handshake_timeout;
        if (now_ms - connected_at_ms_ > std::uint64_t{limit} * 1000)
            close(fmt::format("no registration within {} s (limits.handshake_timeout)", limit));
        return;
    }
    std::uint64_t timeout_ms = std::uint64_t{server_.config().peer_timeout} * 1000;
    if (now_ms - last_heard_ms_ > timeout_ms) {
        close(fmt::format("silent for {} s (limits.peer_timeout)", server_.config().peer_timeout));
        return;
    }
    if (now_ms - last_ping_ms_ >= timeout_ms / 3) {
        last_ping_ms_ = now_ms;
        connection()->send_message(protocol::Ping{now_ms});
    }
}

void PeerSession::on_frame(Connection& connection, const protocol::Frame& frame) {
    last_heard_ms_ = server_.now_ms();
    switch (state_) {
    case State::awaiting_hello:
        return handle_hello(frame);
    case State::awaiting_register:
        if (frame.type == MessageType::ping) return answer_ping(connection, frame);
        if (frame.type != MessageType::register_peer)
            return connection.fail({ErrorCode::unexpected_message, "expected REGISTER after HELLO"});
        return handle_register(frame);
    case State::registered:
        break;
    }
    switch (frame.type) {
    case MessageType::files_add: return handle_files_add(frame);
    case MessageType::files_remove: return handle_files_remove(frame);
    case MessageType::search: return handle_search(frame);
    case MessageType::ping: return answer_ping(connection, frame);
    case MessageType::pong: return;
    default:
        return connection.fail({ErrorCode::unexpected_message,
                               fmt::format("{} is not valid on the index channel",
                                           protocol::message_type_name(frame.type))});
    }
}

void PeerSession::handle_hello(const protocol::Frame& frame) {
    if (answer_hello(*connection(), frame, {protocol::Channel::index, "this index", "this is an index, not a peer"}))
        state_ = State::awaiting_register;
}

void PeerSession::handle_register(const protocol::Frame& frame) {
    auto reg = protocol::decode_message<protocol::RegisterPeer>(frame.payload);
    if (!reg) return connection()->fail(reg.error());
    if (!server_.register_peer(admission_id_)) {
        server_.log().warn("refused {}: limits.max_peers ({}) reached", who(), server_.config().max_peers);
        return connection()->fail(
            {ErrorCode::limit_exceeded,
             fmt::format("the index is full: limits.max_peers is {}", server_.config().max_peers)});
    }
    peer_id_ = server_.allocate_peer_id();
    peer_name_ = reg->name;
    server_.catalog().add_peer(PeerInfo{*peer_id_, peer_name_, address_, reg->upload_port});
    state_ = State::registered;
    last_ping_ms_ = server_.now_ms();
    connection()->send_message(protocol::Registered{*peer_id_});
    server_.log().info("{} connected from {}, upload port {}", who(), address_, reg->upload_port);
}

void PeerSession::handle_files_add(const protocol::Frame& frame) {
    auto add = protocol::decode_message<protocol::FilesAdd>(frame.payload);
    if (!add) return connection()->fail(add.error());
    std::vector<CatalogFile> files;
    files.reserve(add->files.size());
    for (const auto& f : add->files)
        files.push_back(CatalogFile{f.file_id, f.name, f.size, f.root});
    std::string names = names_for_log(add->files);
    // The debug lines name rel_path, which the catalog does not keep.
    std::vector<protocol::FileEntry> debug_files;
    if (server_.log().enabled(LogLevel::debug)) debug_files = std::move(add->files);
    server_.catalog().add_files(*peer_id_, std::move(files),
                                [this, hold = hold(), names = std::move(names),
                                 debug_files = std::move(debug_files)](Result<AddOutcome> outcome) {
                                    on_files_added(outcome, names, debug_files);
                                });
}

void PeerSession::on_files_added(const Result<AddOutcome>& outcome, const std::string& names,
                                 const std::vector<protocol::FileEntry>& debug_files) {
    Logger& log = server_.log();
    if (!outcome) {
        // Refused as a whole; the link stays up so the peer's other files
        // stay findable.
        log.warn("{}: {}", who(), outcome.error().message);
        if (Connection* c = reply_channel())
            c->send_message(protocol::to_error_message(outcome.error()));
        return;
    }
    // A root announced for a file already listed (napeerd hashed it) is
    // told apart from a change of the file.
    std::string hashed = outcome->hashed == 0 ? std::string()
                                              : fmt::format(" and hashed {}", group_thousands(outcome->hashed));
    // A file sent again as it was (napeerd announces roots it may already
    // have sent in its list) changes nothing worth a line.
    if (outcome->added == 0 && outcome->replaced == 0 && outcome->hashed == 0)
        log.debug("{} sent {} again unchanged: {}", who(), count_of(outcome->unchanged, "file", "files"), names);
    else if (outcome->added == 0 && outcome->replaced == 0)
        log.info("{} hashed {}: {}", who(), count_of(outcome->hashed, "file", "files"), names);
    else if (outcome->added == 0)
        log.info("{} updated {}{}: {}", who(), count_of(outcome->replaced, "file", "files"), hashed, names);
    else if (outcome->replaced == 0)
        log.info("{} added {}{}: {}", who(), count_of(outcome->added, "file", "files"), hashed, names);
    else
        log.info("{} added {} and updated {}{}: {}", who(), count_of(outcome->added, "file", "files"),
                 group_thousands(outcome->replaced), hashed, names);
    if (log.enabled(LogLevel::debug))
        for (const auto& f : debug_files)
            log.debug("{} file: {} ({} bytes, id {})", who(), printable(f.rel_path), f.size, f.file_id);
}

void PeerSession::handle_files_remove(const protocol::Frame& frame) {
    auto remove = protocol::decode_message<protocol::FilesRemove>(frame.payload);
    if (!remove) return connection()->fail(remove.error());
    server_.catalog().remove_files(
        *peer_id_, std::move(remove->file_ids), [this, hold = hold()](std::size_t removed) {
            server_.log().info("{} removed {}", who(), count_of(removed, "file", "files"));
        });
}

void PeerSession::handle_search(const protocol::Frame& frame) {
    auto search = protocol::decode_message<protocol::Search>(frame.payload);
    if (!search) return connection()->fail(search.error());
    std::size_t limit = search_hit_limit(search->max_results, server_.config().max_results);
    std::string asked = search_for_log(*search);
    bool exact = search->exact();
    server_.catalog().search(CatalogQuery{std::move(search->query), search->root, exact, limit},
                             [this, hold = hold(), request_id = search->request_id, limit,
                              asked = std::move(asked)](CatalogAnswer answer) {
                                 on_search_answered(request_id, limit, asked, std::move(answer));
                             });
}

void PeerSession::on_search_answered(std::uint32_t request_id, std::size_t limit,
                                     const std::string& asked, CatalogAnswer answer) {
    Connection* c = reply_channel();
    if (!c) {
        server_.log().debug("{}: search {} answered after the connection closed", who(),
                            request_id);
        return;
    }
    SearchReply reply = search_reply(request_id, answer, limit);
    log_search(asked, answer, reply);
    c->send(std::move(reply.frame));
}

void PeerSession::log_search(const std::string& asked, const CatalogAnswer& answer,
                             const SearchReply& reply) {
    if (!server_.log().enabled(LogLevel::info) || !server_.admit_search_line(reply.hit_count != 0))
        return;
    if (reply.hit_count == 0) {
        server_.log().info("{} searched {}: not found at any peer", who(), asked);
        return;
    }
    // The peers the reply lists: the catalog may list more holders than a
    // SEARCH_RESULT carries. A common word's reply lists thousands; the
    // line names the first few, as the add line does its files.
    std::vector<std::uint32_t> holders;
    for (std::size_t i = 0; i < reply.hit_count; ++i) {
        const auto& listed = answer.hits[i].holders;
        for (std::size_t k = 0; k < listed.size() && k < protocol::max_holders_per_result; ++k)
            holders.push_back(listed[k].peer_id);
    }
    // One "file" a hit: a content, however many peers hold it.
    server_.log().info("{} searched {}: {} at peers {}", who(), asked,
                       count_of(reply.total_matches, "file", "files"), peers_for_log(std::move(holders)));
}

void PeerSession::on_disconnected(const std::string& reason) {
    server_.session_left(admission_id_, peer_id_.has_value());
    if (!peer_id_) {
        server_.log().debug("{} closed before registering ({})", who(), reason);
        return;
    }
    // The id goes back only once the catalog has dropped the peer: calls
    // from different sessions need not be applied in order, so a newcomer
    // given the id sooner could register before the drop and lose its files
    // to it.
    server_.catalog().remove_peer(*peer_id_, [this, hold = hold(), reason](std::size_t dropped) {
        server_.release_peer_id(*peer_id_);
        server_.log().info("{} disconnected ({}); dropped {}", who(), reason,
                           count_of(dropped, "file", "files"));
    });
}

} // namespace napster
