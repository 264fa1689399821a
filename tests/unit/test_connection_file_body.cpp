// SPDX-License-Identifier: MIT
// Connection::send_file: a file body by sendfile, after the frames queued
// before it, never past what the producer allowed, over a Unix socket pair
// whose other end a plain libuv pipe reads.
#include "event/connection.h"

#include "byte_pattern.h"
#include "loop_test_support.h"
#include "temp_dir.h"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

using namespace napster;
using napster::test::pattern;
using napster::test::TempDir;
using napster::test::TestLoop;

namespace {

struct Sender final : Connection::Handler {
    std::function<void(Connection&)> drained;
    int drained_calls = 0;
    std::optional<std::string> closed;

    void on_frame(Connection&, const protocol::Frame&) override {}
    void on_drained(Connection& connection) override {
        ++drained_calls;
        if (drained) drained(connection);
    }
    void on_closed(Connection&, const std::string& reason) override { closed = reason; }
};

// The far end: reads everything into `bytes` until the sender closes.
struct Reader {
    uv_pipe_t pipe{};
    Bytes bytes;
    bool eof = false;
    bool closed = false;
    std::size_t stop_after = SIZE_MAX; // stop reading once this much has come

    void start(uv_loop_t* loop, int fd) {
        REQUIRE(uv_pipe_init(loop, &pipe, 0) == 0);
        REQUIRE(uv_pipe_open(&pipe, fd) == 0);
        pipe.data = this;
        resume();
    }
    void resume() {
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(&pipe),
            [](uv_handle_t*, std::size_t suggested, uv_buf_t* buf) {
                buf->base = new char[suggested];
                buf->len = suggested;
            },
            [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
                auto* self = static_cast<Reader*>(s->data);
                if (n > 0) {
                    auto* p = reinterpret_cast<const std::byte*>(buf->base);
                    self->bytes.insert(self->bytes.end(), p, p + n);
                    if (self->bytes.size() >= self->stop_after) uv_read_stop(s);
                } else if (n < 0) {
                    self->eof = true;
                    uv_read_stop(s);
                }
                delete[] buf->base;
            });
    }
    void close() {
        uv_close(reinterpret_cast<uv_handle_t*>(&pipe), [](uv_handle_t* h) { static_cast<Reader*>(h->data)->closed = true; });
    }
};

struct Pair {
    Connection* connection = nullptr;
    Sender sender;
    Reader reader;

    explicit Pair(TestLoop& loop) {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        connection = Connection::create(loop.get(), Connection::Kind::pipe);
        REQUIRE(uv_pipe_open(reinterpret_cast<uv_pipe_t*>(connection->handle()), fds[0]) == 0);
        connection->set_handler(&sender);
        reader.start(loop.get(), fds[1]);
    }
};

int open_file(const std::string& path, const Bytes& content) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE_MESSAGE(fd >= 0, std::strerror(errno));
    return fd;
}

Bytes slice(const Bytes& bytes, std::size_t offset, std::size_t length) {
    return Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                 bytes.begin() + static_cast<std::ptrdiff_t>(offset + length));
}

} // namespace

TEST_CASE("a file body follows the frames queued before it, window by window, and only the range asked") {
    TestLoop loop;
    TempDir dir;
    const Bytes content = pattern(3 * 1024 * 1024 + 123);
    int fd = open_file(dir / "data", content);
    Pair pair(loop);

    const Bytes frame = pattern(1000);
    const std::uint64_t offset = 4321;
    const std::uint64_t length = content.size() - offset - 77;
    const std::uint64_t window = 256 * 1024;
    std::uint64_t allowed = offset + window;
    pair.sender.drained = [&](Connection& c) {
        // Never past the limit: at each stop exactly what was allowed is out.
        CHECK(offset + c.file_bytes_sent() == std::min(allowed, offset + length));
        if (c.file_sent()) return c.close_after_writes("done");
        allowed += window;
        c.allow_file_until(allowed);
    };
    pair.connection->send(frame);
    pair.connection->send_file(fd, offset, length, allowed);
    CHECK(pair.connection->file_bytes_sent() == 0); // nothing from inside the call
    REQUIRE(loop.run_until([&] { return pair.reader.eof; }));
    CHECK(pair.sender.closed == "done");
    Bytes expected = frame;
    Bytes body = slice(content, offset, length);
    expected.insert(expected.end(), body.begin(), body.end());
    CHECK(pair.reader.bytes.size() == expected.size());
    CHECK(pair.reader.bytes == expected);
    CHECK(pair.sender.drained_calls == static_cast<int>((length + window - 1) / window));
    pair.reader.close();
    ::close(fd);
    CHECK(loop.close());
}

TEST_CASE("a file that ends before the bytes announced closes the connection") {
    TestLoop loop;
    TempDir dir;
    const Bytes content = pattern(100'000);
    int fd = open_file(dir / "data", content);
    Pair pair(loop);
    pair.connection->send_file(fd, 0, 200'000, 200'000);
    REQUIRE(loop.run_until([&] { return pair.sender.closed.has_value() && pair.reader.eof; }));
    CHECK(*pair.sender.closed == "the file ended before the bytes announced were sent");
    CHECK(pair.reader.bytes == content);
    CHECK(pair.sender.drained_calls == 0);
    pair.reader.close();
    ::close(fd);
    CHECK(loop.close());
}

TEST_CASE("a reader that stops leaves the body waiting for room; closing then frees both handles once") {
    TestLoop loop;
    TempDir dir;
    const Bytes content = pattern(16 * 1024 * 1024);
    int fd = open_file(dir / "data", content);
    Pair pair(loop);
    pair.reader.stop_after = 64 * 1024;
    pair.connection->send_file(fd, 0, content.size(), content.size());
    // The socket fills: sendfile stops at EAGAIN well short of the end.
    REQUIRE(loop.run_until([&] { return pair.connection->file_bytes_sent() > 0; }));
    loop.run_until([] { return false; }, 200);
    std::uint64_t sent = pair.connection->file_bytes_sent();
    CHECK(sent < content.size());
    CHECK(pair.sender.drained_calls == 0);
    pair.connection->close("stopped");
    REQUIRE(loop.run_until([&] { return pair.sender.closed.has_value(); }));
    CHECK(*pair.sender.closed == "stopped");
    // What was sent is the file's start, in order.
    pair.reader.stop_after = SIZE_MAX;
    pair.reader.resume();
    REQUIRE(loop.run_until([&] { return pair.reader.eof; }));
    CHECK(pair.reader.bytes.size() == sent);
    CHECK(pair.reader.bytes == slice(content, 0, pair.reader.bytes.size()));
    pair.reader.close();
    ::close(fd);
    CHECK(loop.close());
}
