// SPDX-License-Identifier: MIT
// PeerSession over a catalog that answers later (DeferredCatalog): an
// IndexServer on 127.0.0.1, port 0, in a test loop, driven by raw client
// sockets. Answers arrive with their request ids, calls apply in the order
// sent, a client that leaves while answers are owed leaves nothing behind,
// and the index stops cleanly with answers owed. Run under ASan with
// detect_leaks=1: a session freed twice, or never, fails the suite.

#include "deferred_catalog.h"
#include "loop_test_support.h"

#include "content/sha256.h"
#include "event/handle_close.h"
#include "index/index_server.h"
#include "protocol/common_messages.h"
#include "protocol/index_messages.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <uv.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace napster;
using napster::test::DeferredCatalog;
using napster::test::TestLoop;

namespace {

// A peer as the index sees it: a blocking TCP socket for sending (test
// frames are small, the kernel buffers them), read on the test loop
// through a uv_poll_t so the loop wakes when a reply arrives.
//
// Ownership: owns the socket and the poll handle (freed in uv_close's
// callback). close() before the loop closes. Loop thread only.
class RawClient {
public:
    RawClient(uv_loop_t* loop, std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // The listen backlog completes the connect before the loop accepts.
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        auto* poll = new uv_poll_t;
        if (uv_poll_init_socket(loop, poll, fd_) != 0) {
            delete poll;
            FAIL("uv_poll_init_socket failed");
        }
        poll_ = poll;
        poll_->data = this;
        uv_poll_start(poll_, UV_READABLE | UV_DISCONNECT, on_poll);
    }
    ~RawClient() { close(); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    template <typename M> void send(const M& message) {
        send_bytes(protocol::encode_message(message));
    }
    void send_bytes(const Bytes& bytes) {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            REQUIRE(n > 0);
            sent += static_cast<std::size_t>(n);
        }
    }

    // The poll handle goes first: libuv must stop watching the descriptor
    // before it is closed.
    void close() {
        if (poll_) {
            close_handle(poll_, [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
            poll_ = nullptr;
        }
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    struct Received {
        protocol::MessageType type;
        Bytes payload;
    };
    std::deque<Received>& received() { return received_; }
    // The index closed the connection (or reset it).
    bool ended() const { return ended_; }

private:
    static void on_poll(uv_poll_t* handle, int, int) {
        static_cast<RawClient*>(handle->data)->read_available();
    }

    void read_available() {
        std::byte buffer[64 * 1024];
        for (;;) {
            ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                input_.insert(input_.end(), buffer, buffer + n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            ended_ = true;
            uv_poll_stop(poll_);
            break;
        }
        for (;;) {
            auto parse = protocol::parse_frame(input_);
            REQUIRE(parse.status != protocol::FrameStatus::error);
            if (parse.status == protocol::FrameStatus::need_more) break;
            received_.push_back(Received{
                parse.frame.type, Bytes(parse.frame.payload.begin(), parse.frame.payload.end())});
            input_.erase(input_.begin(),
                         input_.begin() + static_cast<std::ptrdiff_t>(parse.consumed));
        }
    }

    int fd_ = -1;
    uv_poll_t* poll_ = nullptr;
    Bytes input_;
    std::deque<Received> received_;
    bool ended_ = false;
};

protocol::FileEntry entry(std::uint64_t id, std::string name, std::uint64_t size) {
    protocol::FileEntry f;
    f.file_id = id;
    f.size = size;
    f.rel_path = "share/" + name;
    f.name = std::move(name);
    return f;
}

protocol::FileEntry hashed_entry(std::uint64_t id, std::string name, std::uint64_t size,
                                 const content::Digest& root) {
    protocol::FileEntry f = entry(id, std::move(name), size);
    f.root = root;
    return f;
}

protocol::Search search_for(std::uint32_t request_id, std::string query) {
    protocol::Search s;
    s.request_id = request_id;
    s.query = std::move(query);
    return s;
}

protocol::Search search_by_root(std::uint32_t request_id, const content::Digest& root) {
    protocol::Search s;
    s.request_id = request_id;
    s.root = root;
    return s;
}

content::Digest root_of(std::uint8_t fill) {
    content::Digest root;
    root.fill(std::byte{fill});
    return root;
}

// What the process writes to stderr (the Logger's lines) while it lives,
// kept in an unlinked temporary file. Not thread-safe; one at a time.
class StderrCapture {
public:
    StderrCapture() : file_(std::tmpfile()) {
        REQUIRE(file_ != nullptr);
        std::fflush(stderr);
        saved_ = ::dup(STDERR_FILENO);
        REQUIRE(saved_ >= 0);
        REQUIRE(::dup2(::fileno(file_), STDERR_FILENO) >= 0);
    }
    ~StderrCapture() {
        std::fflush(stderr);
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        std::fclose(file_);
    }
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;

    std::string text() const {
        std::string out;
        char buffer[4096];
        for (off_t at = 0;;) {
            ssize_t n = ::pread(::fileno(file_), buffer, sizeof buffer, at);
            if (n <= 0) break;
            out.append(buffer, static_cast<std::size_t>(n));
            at += n;
        }
        return out;
    }

private:
    std::FILE* file_;
    int saved_ = -1;
};

std::vector<std::string> hit_names(const protocol::SearchResult& result) {
    std::vector<std::string> names;
    for (const auto& hit : result.hits)
        names.push_back(hit.name);
    return names;
}

// One index with a DeferredCatalog on a test loop, and the clients that
// talk to it. finish() stops it the way napindexd does and checks that
// everything closed.
class IndexUnderTest {
public:
    explicit IndexUnderTest(std::uint32_t max_files_per_peer = IndexConfig{}.max_files_per_peer) {
        log_.set_level(LogLevel::warn);
        IndexConfig config;
        config.listen_address = "127.0.0.1";
        config.listen_port = 0;
        config.max_files_per_peer = max_files_per_peer;
        auto catalog = std::make_unique<DeferredCatalog>(
            loop_.get(), CatalogLimits{config.max_files_per_peer, config.max_results});
        catalog_ = catalog.get();
        server_.emplace(loop_.get(), config, log_, std::move(catalog));
        REQUIRE(server_->start().ok());
        REQUIRE(server_->port() != 0);
    }
    ~IndexUnderTest() {
        if (server_) finish();
    }
    IndexUnderTest(const IndexUnderTest&) = delete;
    IndexUnderTest& operator=(const IndexUnderTest&) = delete;

    IndexServer& server() { return *server_; }
    Logger& log() { return log_; }
    DeferredCatalog& catalog() { return *catalog_; }

    RawClient& connect() {
        clients_.push_back(std::make_unique<RawClient>(loop_.get(), server_->port()));
        return *clients_.back();
    }

    // Connects, says HELLO and REGISTER and waits for the peer id and,
    // unless the catalog is paused, for it to know the peer.
    RawClient& register_peer(const std::string& name, std::uint16_t upload_port,
                             std::uint32_t* peer_id = nullptr) {
        RawClient& client = connect();
        client.send(protocol::Hello{});
        client.send(protocol::RegisterPeer{name, upload_port});
        expect<protocol::Welcome>(client);
        auto registered = expect<protocol::Registered>(client);
        if (peer_id) *peer_id = registered.peer_id;
        if (!catalog_->paused()) REQUIRE(run_until([&] { return catalog_->queued() == 0; }));
        return client;
    }

    // Runs the loop until `client` has a frame, which must be an M.
    template <typename M> M expect(RawClient& client) {
        REQUIRE(loop_.run_until([&] { return !client.received().empty() || client.ended(); }));
        REQUIRE_FALSE(client.received().empty());
        auto frame = std::move(client.received().front());
        client.received().pop_front();
        REQUIRE(std::string(protocol::message_type_name(frame.type)) ==
                std::string(protocol::message_type_name(M::type)));
        auto message = protocol::decode_message<M>(frame.payload);
        REQUIRE(message.ok());
        return *message;
    }

    bool run_until(const std::function<bool()>& done) { return loop_.run_until(done); }

    // Every call answered and every session freed.
    bool settled() { return catalog_->queued() == 0 && server_->session_count() == 0; }

    // Stops the index with whatever is still owed, lets the catalog answer,
    // and checks that the loop then closes with nothing left open.
    void finish() {
        server_->stop();
        catalog_->resume();
        CHECK(loop_.run_until([&] { return settled(); }));
        for (auto& client : clients_)
            client->close();
        server_.reset();
        CHECK(loop_.close());
    }

private:
    TestLoop loop_;
    Logger log_;
    DeferredCatalog* catalog_ = nullptr; // owned by server_
    std::optional<IndexServer> server_;
    std::vector<std::unique_ptr<RawClient>> clients_;
};

} // namespace

TEST_CASE("a search answered on a later loop turn comes back with its request id and hits") {
    IndexUnderTest index;
    std::uint32_t holder_id = 99;
    RawClient& holder = index.register_peer("holder", 6001, &holder_id);
    holder.send(protocol::FilesAdd{{entry(1, "Song One.mp3", 100), entry(2, "other.txt", 5)}});
    REQUIRE(index.run_until([&] { return index.catalog().catalog().file_count() == 2; }));

    RawClient& asker = index.register_peer("asker", 6002);
    index.catalog().pause();
    std::size_t applied = index.catalog().applied();
    asker.send(search_for(4242, "song"));
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 1; }));
    // Owed, not answered: the session must not have replied on its own.
    CHECK(asker.received().empty());
    CHECK(index.catalog().applied() == applied);

    index.catalog().resume();
    auto result = index.expect<protocol::SearchResult>(asker);
    CHECK(result.request_id == 4242);
    CHECK(result.total_matches == 1);
    REQUIRE(result.hits.size() == 1);
    protocol::Holder listed{holder_id, "holder", "127.0.0.1", 6001, 1, "Song One.mp3"};
    CHECK(result.hits[0] == protocol::SearchHit{"Song One.mp3", 100, std::nullopt, 1, {listed}});

    // Nothing found is an answer too, with its own request id.
    asker.send(search_for(7, "zeppelin"));
    auto none = index.expect<protocol::SearchResult>(asker);
    CHECK(none.request_id == 7);
    CHECK(none.total_matches == 0);
    CHECK(none.hits.empty());
}

TEST_CASE("a search by root answers its content with each holder's name, logged in hex") {
    IndexUnderTest index;
    std::uint32_t a_id = 99, b_id = 99;
    RawClient& a = index.register_peer("a", 6001, &a_id);
    RawClient& b = index.register_peer("b", 6002, &b_id);
    const content::Digest root = root_of(0xab);
    // Peer a announces a.flac unhashed, then again with its root, as
    // napeerd does once it has hashed it; peer b holds the same bytes as
    // b.flac and an unhashed a.flac of the same size.
    a.send(protocol::FilesAdd{{entry(1, "a.flac", 300)}});
    a.send(protocol::FilesAdd{{hashed_entry(1, "a.flac", 300, root)}});
    b.send(protocol::FilesAdd{{hashed_entry(5, "b.flac", 300, root), entry(6, "a.flac", 300)}});
    // The re-announcement leaves the file count as it was: wait for the root.
    auto holders_of_root = [&] {
        auto r = index.catalog().catalog().search(CatalogQuery{"", root, false, 0});
        return r.hits.empty() ? 0 : r.hits[0].holder_total;
    };
    REQUIRE(index.run_until([&] { return holders_of_root() == 2; }));
    CHECK(index.catalog().catalog().file_count() == 3);

    RawClient& asker = index.register_peer("asker", 6003);
    index.log().set_level(LogLevel::info);
    StderrCapture log;
    asker.send(search_by_root(21, root));
    auto found = index.expect<protocol::SearchResult>(asker);
    asker.send(search_by_root(22, root_of(0xac)));
    auto missed = index.expect<protocol::SearchResult>(asker);
    asker.send(search_for(23, "FLAC"));
    auto by_name = index.expect<protocol::SearchResult>(asker);
    std::string logged = log.text();
    index.log().set_level(LogLevel::warn);

    CHECK(found.request_id == 21);
    CHECK(found.total_matches == 1);
    protocol::SearchHit content{"a.flac", 300, root, 2,
                                {protocol::Holder{a_id, "a", "127.0.0.1", 6001, 1, "a.flac"},
                                 protocol::Holder{b_id, "b", "127.0.0.1", 6002, 5, "b.flac"}}};
    REQUIRE(found.hits.size() == 1);
    CHECK(found.hits[0] == content);

    CHECK(missed.request_id == 22);
    CHECK(missed.total_matches == 0);
    CHECK(missed.hits.empty());

    // By name: the unhashed a.flac is a hit of its own, first (no root).
    CHECK(by_name.total_matches == 2);
    REQUIRE(by_name.hits.size() == 2);
    CHECK(by_name.hits[0] ==
          protocol::SearchHit{"a.flac", 300, std::nullopt, 1,
                              {protocol::Holder{b_id, "b", "127.0.0.1", 6002, 6, "a.flac"}}});
    CHECK(by_name.hits[1] == content);

    INFO(logged);
    CHECK(logged.find(fmt::format("searched root {}: 1 file at peers {}, {}\n", content::hex(root),
                                  a_id, b_id)) != std::string::npos);
    CHECK(logged.find(fmt::format("searched root {}: not found at any peer\n",
                                  content::hex(root_of(0xac)))) != std::string::npos);
    CHECK(logged.find("searched \"FLAC\": 2 files at peers") != std::string::npos);
    CHECK(logged.find("searched \"\"") == std::string::npos);
}

TEST_CASE("adds, removes and a search sent back to back apply in the order sent") {
    IndexUnderTest index;
    index.catalog().pause();
    RawClient& peer = index.register_peer("p1", 6001);
    Bytes burst;
    protocol::append_message(burst,
                             protocol::FilesAdd{{entry(1, "alpha.txt", 1), entry(2, "beta.txt", 2),
                                                 entry(3, "gamma.txt", 3)}});
    protocol::append_message(burst, protocol::FilesRemove{{2}});
    protocol::append_message(burst, protocol::FilesAdd{{entry(4, "delta.txt", 4)}});
    protocol::append_message(burst, protocol::FilesAdd{{entry(3, "gamma-renamed.txt", 3)}});
    protocol::append_message(burst, search_for(1, "TXT"));
    peer.send_bytes(burst);
    // The REGISTER's add_peer and the five calls, all owed at once.
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 6; }));
    CHECK(index.catalog().catalog().peer_count() == 0);

    index.catalog().resume();
    auto result = index.expect<protocol::SearchResult>(peer);
    CHECK(result.request_id == 1);
    CHECK(result.total_matches == 3);
    CHECK(hit_names(result) ==
          std::vector<std::string>{"alpha.txt", "delta.txt", "gamma-renamed.txt"});
    CHECK(index.catalog().catalog().file_count() == 3);
}

TEST_CASE("a batch refused later gets its ERROR, and the link stays up") {
    IndexUnderTest index(2);
    RawClient& peer = index.register_peer("p1", 6001);
    index.catalog().pause();
    peer.send(
        protocol::FilesAdd{{entry(1, "a.txt", 1), entry(2, "b.txt", 1), entry(3, "c.txt", 1)}});
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 1; }));
    CHECK(peer.received().empty());

    index.catalog().resume();
    auto refused = index.expect<protocol::ErrorMessage>(peer);
    CHECK(refused.code == ErrorCode::limit_exceeded);
    CHECK(refused.text.find("limits.max_files_per_peer is 2") != std::string::npos);

    peer.send(protocol::FilesAdd{{entry(1, "a.txt", 1)}});
    peer.send(search_for(5, "a.txt"));
    auto result = index.expect<protocol::SearchResult>(peer);
    CHECK(result.request_id == 5);
    CHECK(hit_names(result) == std::vector<std::string>{"a.txt"});
    CHECK_FALSE(peer.ended());
}

TEST_CASE("a peer that leaves while answers are owed is freed and its files are gone") {
    IndexUnderTest index;
    RawClient& leaver = index.register_peer("leaver", 6001);
    leaver.send(protocol::FilesAdd{{entry(1, "x1.txt", 1), entry(2, "x2.txt", 2)}});
    REQUIRE(index.run_until([&] { return index.catalog().catalog().file_count() == 2; }));

    index.catalog().pause();
    leaver.send(protocol::FilesAdd{{entry(3, "x3.txt", 3)}});
    leaver.send(protocol::FilesRemove{{1}});
    leaver.send(search_for(9, "x"));
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 3; }));
    leaver.close();
    // The session asks for the drop on disconnect, and waits for it.
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 4; }));
    CHECK(index.server().session_count() == 1);

    index.catalog().resume();
    REQUIRE(index.run_until([&] { return index.settled(); }));
    CHECK(index.catalog().catalog().file_count() == 0);
    CHECK(index.catalog().catalog().peer_count() == 0);

    RawClient& asker = index.register_peer("asker", 6002);
    asker.send(search_for(10, "x"));
    auto result = index.expect<protocol::SearchResult>(asker);
    CHECK(result.total_matches == 0);
}

TEST_CASE("answers given newest first after the peer left still find their session") {
    // The drop is answered first and the earliest call last, when every
    // other answer has released its hold: that callback must hold the
    // session itself, or ASan sees it used after it was freed.
    IndexUnderTest index;
    RawClient& leaver = index.register_peer("leaver", 6001);
    index.catalog().pause();
    index.catalog().answer_newest_first();
    Bytes add = protocol::encode_message(protocol::FilesAdd{{entry(1, "y1.txt", 1)}});
    Bytes remove = protocol::encode_message(protocol::FilesRemove{{1}});
    Bytes search = protocol::encode_message(search_for(11, "y"));
    SUBCASE("a search first") {
        for (const Bytes* frame : {&search, &add, &remove})
            leaver.send_bytes(*frame);
    }
    SUBCASE("an add first") {
        for (const Bytes* frame : {&add, &remove, &search})
            leaver.send_bytes(*frame);
    }
    SUBCASE("a remove first") {
        for (const Bytes* frame : {&remove, &search, &add})
            leaver.send_bytes(*frame);
    }
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 3; }));
    leaver.close();
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 4; }));

    index.catalog().resume();
    REQUIRE(index.run_until([&] { return index.settled(); }));
    CHECK(index.catalog().catalog().peer_count() == 0);
    CHECK(index.catalog().catalog().file_count() == 0);
}

TEST_CASE("a peer id is given again only once the catalog has dropped its peer") {
    IndexUnderTest index;
    std::uint32_t first = 99, second = 99, third = 99;
    RawClient& leaver = index.register_peer("first", 6001, &first);

    index.catalog().pause();
    leaver.close();
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 1; }));
    // The drop is owed: the id still names "first" in the catalog.
    index.register_peer("second", 6002, &second);
    CHECK(second != first);

    index.catalog().resume();
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 0; }));
    index.register_peer("third", 6003, &third);
    CHECK(third == first);
}

TEST_CASE("an answer owed to a connection closed for a protocol fault is not sent") {
    IndexUnderTest index;
    RawClient& peer = index.register_peer("p1", 6001);
    index.catalog().pause();
    peer.send(search_for(3, "anything"));
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 1; }));
    // A second REGISTER is a fault: ERROR, then the index closes the link.
    peer.send(protocol::RegisterPeer{"again", 6001});
    auto fault = index.expect<protocol::ErrorMessage>(peer);
    CHECK(fault.code == ErrorCode::unexpected_message);

    index.catalog().resume();
    REQUIRE(index.run_until([&] { return peer.ended() && index.settled(); }));
    // No SEARCH_RESULT after the ERROR.
    CHECK(peer.received().empty());
}

TEST_CASE("the index stops cleanly while answers are owed") {
    IndexUnderTest index;
    RawClient& a = index.register_peer("a", 6001);
    RawClient& b = index.register_peer("b", 6002);
    a.send(protocol::FilesAdd{{entry(1, "kept.txt", 1)}});
    REQUIRE(index.run_until([&] { return index.catalog().catalog().file_count() == 1; }));

    index.catalog().pause();
    a.send(search_for(1, "kept"));
    a.send(protocol::FilesAdd{{entry(2, "more.txt", 2)}});
    b.send(protocol::FilesRemove{{1}});
    b.send(search_for(2, "kept"));
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 4; }));

    index.server().stop();
    CHECK(index.server().port() == 0);
    // Both connections close; each session then owes the catalog's answer
    // to its drop, and waits for it.
    REQUIRE(index.run_until([&] { return a.ended() && b.ended(); }));
    REQUIRE(index.run_until([&] { return index.catalog().queued() == 6; }));
    CHECK(index.server().session_count() == 2);

    index.catalog().resume();
    REQUIRE(index.run_until([&] { return index.settled(); }));
    CHECK(a.received().empty());
    CHECK(b.received().empty());
    CHECK(index.catalog().catalog().peer_count() == 0);
    CHECK(index.catalog().catalog().file_count() == 0);
    index.finish();
}
