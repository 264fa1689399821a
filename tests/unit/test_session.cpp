// SPDX-License-Identifier: MIT
// Session lifetime: a session is freed exactly once, when it is finished
// and nothing holds it, whatever the order; registries walk safely while
// sessions finish. Sessions over a real connection (a socketpair, no
// network) are freed once with a write, a thread-pool job and a timer in
// flight. Run under ASan: a double free or a leak fails the suite.

#include "event/connection_session.h"
#include "event/session.h"
#include "event/timer.h"
#include "event/work.h"
#include "loop_test_support.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <uv.h>

#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

using namespace napster;

namespace {

// Counts its own destruction, so a test sees "freed exactly once".
class CountedSession final : public Session {
public:
    explicit CountedSession(int& freed) : freed_(freed) {}
    ~CountedSession() override { ++freed_; }
    void done() { finish(); }

private:
    int& freed_;
};

} // namespace

TEST_CASE("a finished session with no holds is freed at once") {
    int freed = 0;
    SessionRegistry<CountedSession> registry;
    CountedSession& s = registry.add(freed);
    CHECK(registry.size() == 1);
    s.done();
    CHECK(freed == 1);
    CHECK(registry.empty());
}

TEST_CASE("a held session outlives finish() and goes with its last hold") {
    int freed = 0;
    SessionRegistry<CountedSession> registry;
    CountedSession& s = registry.add(freed);
    std::optional<Session::Hold> first = s.hold();
    std::optional<Session::Hold> second = s.hold();
    CHECK(s.holds() == 2);
    s.done();
    CHECK(s.finished());
    CHECK(freed == 0);
    first.reset();
    CHECK(freed == 0);
    second.reset();
    CHECK(freed == 1);
    CHECK(registry.empty());
}

TEST_CASE("holds released before finish() do not free the session") {
    int freed = 0;
    SessionRegistry<CountedSession> registry;
    CountedSession& s = registry.add(freed);
    { auto h = s.hold(); }
    CHECK(freed == 0);
    CHECK(registry.size() == 1);
    {
        auto h = s.hold();
        s.done();
        s.done(); // twice is harmless
        CHECK(freed == 0);
    }
    CHECK(freed == 1);
}

TEST_CASE("holds copy and move without freeing twice") {
    int freed = 0;
    SessionRegistry<CountedSession> registry;
    CountedSession& s = registry.add(freed);
    Session::Hold a = s.hold();
    Session::Hold b = a;            // copy: two holds
    Session::Hold c = std::move(a); // move: still two
    CHECK(s.holds() == 2);
    std::function<void()> callback = [h = b] {}; // std::function copies its captures
    CHECK(s.holds() == 3);
    s.done();
    b = Session::Hold();
    callback = nullptr;
    CHECK(freed == 0);
    c = Session::Hold();
    CHECK(freed == 1);
}

TEST_CASE("for_each survives sessions finishing during the walk") {
    int freed = 0;
    SessionRegistry<CountedSession> registry;
    for (int i = 0; i < 10; ++i) registry.add(freed);
    int visited = 0;
    registry.for_each([&](CountedSession& s) {
        ++visited;
        s.done(); // freed after this call returns, not inside it
    });
    CHECK(visited == 10);
    CHECK(freed == 10);
    CHECK(registry.empty());
}

TEST_CASE("a registry frees what is left when it goes") {
    int freed = 0;
    {
        SessionRegistry<CountedSession> registry;
        registry.add(freed);
        registry.add(freed);
    }
    CHECK(freed == 2);
}

TEST_CASE("a session finished while a thread-pool job holds it is freed after the job's callback") {
    test::TestLoop loop;
    int freed = 0;
    bool callback_ran = false;
    {
        SessionRegistry<CountedSession> registry;
        CountedSession& s = registry.add(freed);
        queue_work(
            loop.get(), [] { ::usleep(20'000); },
            [&callback_ran, &freed, hold = s.hold()] {
                callback_ran = true;
                CHECK(freed == 0); // still alive inside its callback
            });
        s.done();
        CHECK(freed == 0);
        CHECK(loop.run_until([&] { return freed == 1; }));
        CHECK(callback_ran);
        CHECK(registry.empty());
    }
    CHECK(loop.close());
}

namespace {

// A connection's session as the daemons write them: it holds itself for a
// thread-pool job and a timer, and says when it is gone.
class EchoSession final : public ConnectionSession {
public:
    EchoSession(Connection* connection, uv_loop_t* loop, std::vector<std::string>& events)
        : ConnectionSession(connection), loop_(loop), timer_(loop), events_(events) {
        connection->start_reading();
    }
    ~EchoSession() override { events_.push_back("freed"); }

    void start_slow_job() {
        queue_work(
            loop_, [] { ::usleep(30'000); },
            [this, hold = hold()] { events_.push_back(connection() ? "job done, open" : "job done, closed"); });
    }
    void start_timer() {
        timer_.start_once(200, [this] { events_.push_back("timer"); });
    }
    void queue_big_write() {
        // More than a socketpair buffers: the write stays pending.
        connection()->send(Bytes(8 * 1024 * 1024, std::byte{1}));
    }

    void on_frame(Connection&, const protocol::Frame&) override {}
    void on_disconnected(const std::string& reason) override {
        timer_.stop(); // as the daemons' sessions do: a closed session's timers are moot
        events_.push_back("closed: " + reason);
    }

private:
    uv_loop_t* loop_;
    Timer timer_;
    std::vector<std::string>& events_;
};

} // namespace

TEST_CASE("closing a connection's session with a write, a job and a timer in flight frees it once") {
    test::TestLoop loop;
    std::vector<std::string> events;
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    {
        SessionRegistry<EchoSession> registry;
        Connection* connection = Connection::create(loop.get(), Connection::Kind::pipe);
        REQUIRE(uv_pipe_open(reinterpret_cast<uv_pipe_t*>(connection->stream()), fds[0]) == 0);
        EchoSession& session = registry.add(connection, loop.get(), events);
        session.queue_big_write();
        CHECK(connection->pending_write_bytes() > 0);
        session.start_slow_job();
        session.start_timer();
        session.close("test closes it");
        session.close("twice"); // harmless
        CHECK(loop.run_until([&] { return registry.empty(); }));
        INFO(fmt::format("{}", fmt::join(events, " / ")));
        CHECK(events == std::vector<std::string>{"closed: test closes it", "job done, closed", "freed"});
    }
    ::close(fds[1]);
    CHECK(loop.close());
}

TEST_CASE("a session whose peer hangs up is freed once, after its job") {
    test::TestLoop loop;
    std::vector<std::string> events;
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    {
        SessionRegistry<EchoSession> registry;
        Connection* connection = Connection::create(loop.get(), Connection::Kind::pipe);
        REQUIRE(uv_pipe_open(reinterpret_cast<uv_pipe_t*>(connection->stream()), fds[0]) == 0);
        EchoSession& session = registry.add(connection, loop.get(), events);
        session.start_slow_job();
        ::close(fds[1]); // the other side goes away
        CHECK(loop.run_until([&] { return registry.empty(); }));
        REQUIRE(events.size() == 3);
        CHECK(events[0] == "closed: closed by the other side");
        CHECK(events[1] == "job done, closed");
        CHECK(events[2] == "freed");
    }
    CHECK(loop.close());
}
