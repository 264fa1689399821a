// SPDX-License-Identifier: MIT
#include "event/inotify_watch.h"

#include "loop_test_support.h"
#include "temp_dir.h"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace napster;
using napster::test::TempDir;
using napster::test::TestLoop;

namespace {

constexpr std::uint32_t file_events = IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE;

void create_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    REQUIRE_MESSAGE(fd >= 0, path, ": ", std::strerror(errno));
    ::close(fd);
}

// Appends one event as the kernel lays it out: the header, then the name
// padded with NULs to `padded_len` bytes.
void append_event(std::vector<std::byte>& out, int wd, std::uint32_t mask, std::uint32_t cookie,
                  const std::string& name, std::uint32_t padded_len) {
    inotify_event header{};
    header.wd = wd;
    header.mask = mask;
    header.cookie = cookie;
    header.len = padded_len;
    const auto* h = reinterpret_cast<const std::byte*>(&header);
    out.insert(out.end(), h, h + sizeof header);
    std::vector<std::byte> padded(padded_len);
    // An event on the watched directory itself has no name: nothing to copy
    // (memcpy to an empty vector's null data() is undefined even for 0 bytes).
    if (!name.empty()) std::memcpy(padded.data(), name.data(), name.size());
    out.insert(out.end(), padded.begin(), padded.end());
}

// Collects the events a watch delivers.
struct Events {
    std::vector<InotifyEvent> seen;
    int batches = 0;
    InotifyWatch::Callback callback() {
        return [this](const std::vector<InotifyEvent>& events) {
            ++batches;
            seen.insert(seen.end(), events.begin(), events.end());
        };
    }
};

} // namespace

TEST_CASE("read buffers split into events, names without their padding") {
    std::vector<std::byte> bytes;
    append_event(bytes, 1, IN_CREATE, 0, "a.txt", 16);
    append_event(bytes, 1, IN_MOVED_FROM, 7, "a.txt", 16);
    append_event(bytes, 2, IN_MOVED_TO, 7, "b.txt", 16);
    append_event(bytes, 2, IN_DELETE_SELF, 0, "", 0);
    append_event(bytes, -1, IN_Q_OVERFLOW, 0, "", 0);
    auto events = parse_inotify_events(bytes);
    REQUIRE(events.size() == 5);
    CHECK(events[0] == InotifyEvent{1, IN_CREATE, 0, "a.txt"});
    CHECK(events[1] == InotifyEvent{1, IN_MOVED_FROM, 7, "a.txt"});
    CHECK(events[2] == InotifyEvent{2, IN_MOVED_TO, 7, "b.txt"});
    CHECK(events[3] == InotifyEvent{2, IN_DELETE_SELF, 0, ""});
    CHECK(events[4] == InotifyEvent{-1, IN_Q_OVERFLOW, 0, ""});
}

TEST_CASE("a name of NAME_MAX bytes parses whole") {
    std::string longest(255, 'n');
    std::vector<std::byte> bytes;
    append_event(bytes, 3, IN_CREATE, 0, longest, 256);
    append_event(bytes, 3, IN_DELETE, 0, "next", 16);
    auto events = parse_inotify_events(bytes);
    REQUIRE(events.size() == 2);
    CHECK(events[0].name == longest);
    CHECK(events[1].name == "next");
}

TEST_CASE("an event cut off at the end of the buffer is dropped") {
    std::vector<std::byte> bytes;
    append_event(bytes, 1, IN_CREATE, 0, "whole", 16);
    std::size_t whole = bytes.size();
    append_event(bytes, 1, IN_CREATE, 0, "cut", 16);
    for (std::size_t cut = whole; cut < bytes.size(); ++cut) {
        CAPTURE(cut);
        auto events = parse_inotify_events(std::span<const std::byte>(bytes.data(), cut));
        REQUIRE(events.size() == 1);
        CHECK(events[0].name == "whole");
    }
}

// A temporary directory under an open, reading watch, and what it saw.
struct WatchedDir {
    TestLoop loop;
    TempDir dir;
    InotifyWatch watch{loop.get()};
    Events events;
    int wd = -1;

    WatchedDir() {
        REQUIRE(watch.open().ok());
        auto added = watch.add(dir.path(), file_events);
        REQUIRE_MESSAGE(added.ok(), added.error().message);
        wd = *added;
        watch.start(events.callback());
    }
    bool wait_for(std::size_t count) {
        return loop.run_until([&] { return events.seen.size() >= count; });
    }
    // A few turns of the loop, for checking that nothing arrives.
    void turn() {
        for (int i = 0; i < 3; ++i)
            uv_run(loop.get(), UV_RUN_NOWAIT);
    }
    bool close() {
        watch.close();
        return loop.close();
    }
};

TEST_CASE_FIXTURE(WatchedDir, "create, rename and delete in a watched directory arrive as events") {
    CHECK(watch.fd() >= 0);
    CHECK(watch.reading());
    create_file(dir / "a");
    REQUIRE(std::rename((dir / "a").c_str(), (dir / "b").c_str()) == 0);
    REQUIRE(::unlink((dir / "b").c_str()) == 0);
    REQUIRE(wait_for(4));

    REQUIRE(events.seen.size() == 4);
    CHECK(events.seen[0] == InotifyEvent{wd, IN_CREATE, 0, "a"});
    CHECK(events.seen[1].mask == IN_MOVED_FROM);
    CHECK(events.seen[1].name == "a");
    CHECK(events.seen[1].cookie != 0);
    CHECK(events.seen[2] == InotifyEvent{wd, IN_MOVED_TO, events.seen[1].cookie, "b"});
    CHECK(events.seen[3] == InotifyEvent{wd, IN_DELETE, 0, "b"});
    CHECK(close());
}

TEST_CASE_FIXTURE(WatchedDir, "a file with a 255-byte name is reported by its whole name") {
    std::string longest(255, 'L');
    create_file(dir / longest);
    REQUIRE(wait_for(1));
    CHECK(events.seen[0] == InotifyEvent{wd, IN_CREATE, 0, longest});
    CHECK(close());
}

TEST_CASE_FIXTURE(WatchedDir, "events wait in the kernel while the watch is stopped") {
    watch.stop();
    CHECK(!watch.reading());
    create_file(dir / "while-stopped");
    turn();
    CHECK(events.seen.empty());
    watch.start(events.callback());
    REQUIRE(wait_for(1));
    CHECK(events.seen[0].name == "while-stopped");
    CHECK(close());
}

TEST_CASE_FIXTURE(WatchedDir, "remove() ends a watch with IN_IGNORED") {
    watch.remove(wd);
    watch.remove(wd); // gone already: no error, no second event
    REQUIRE(wait_for(1));
    CHECK(events.seen[0] == InotifyEvent{wd, IN_IGNORED, 0, ""});
    create_file(dir / "unwatched");
    turn();
    CHECK(events.seen.size() == 1);
    CHECK(close());
}

TEST_CASE("a watch that cannot be added names the path and why") {
    TestLoop loop;
    TempDir dir;
    InotifyWatch watch(loop.get());
    auto before_open = watch.add(dir.path(), IN_CREATE);
    REQUIRE(!before_open.ok());
    CHECK(before_open.error().message == "cannot watch " + dir.path() + ": inotify is not open");
    REQUIRE(watch.open().ok());
    auto missing = watch.add(dir / "missing", IN_CREATE);
    REQUIRE(!missing.ok());
    CHECK(missing.error().message ==
          "cannot watch " + (dir / "missing") + ": No such file or directory");
    watch.close();
    CHECK(loop.close());
}

TEST_CASE("close is safe twice and closes the descriptor once libuv has let go") {
    TestLoop loop;
    InotifyWatch watch(loop.get());
    CHECK(watch.fd() == -1);
    REQUIRE(watch.open().ok());
    int fd = watch.fd();
    watch.start([](const std::vector<InotifyEvent>&) {});
    watch.close();
    watch.close();
    CHECK(!watch.is_open());
    CHECK(watch.fd() == -1);
    // Still open until uv_close's callback: libuv polls it until then.
    CHECK(::fcntl(fd, F_GETFD) != -1);
    CHECK(loop.close());
    CHECK(::fcntl(fd, F_GETFD) == -1);
    CHECK(errno == EBADF);
    // The destructor closes a third time: nothing to do.
}

TEST_CASE("the callback may close the watch") {
    TestLoop loop;
    TempDir dir;
    InotifyWatch watch(loop.get());
    REQUIRE(watch.open().ok());
    REQUIRE(watch.add(dir.path(), IN_CREATE).ok());
    int batches = 0;
    watch.start([&](const std::vector<InotifyEvent>&) {
        ++batches;
        watch.close();
    });
    create_file(dir / "one");
    REQUIRE(loop.run_until([&] { return batches > 0; }));
    create_file(dir / "two");
    CHECK(loop.close());
    CHECK(batches == 1);
}
