// SPDX-License-Identifier: MIT
#include "util/whole_file.h"

#include "temp_dir.h"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace napster;
using napster::test::TempDir;

namespace {

Bytes bytes_of(std::string_view text) {
    ByteSpan span = as_bytes(text);
    return Bytes(span.begin(), span.end());
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

TEST_CASE("write_file_atomically creates, then replaces, and leaves no temporary file") {
    TempDir dir;
    const std::string path = dir / "hash-cache";
    REQUIRE(write_file_atomically(path, bytes_of("first version")).ok());
    auto read = read_small_file(path, 1024);
    REQUIRE_MESSAGE(read.ok(), read.error().message);
    CHECK(*read == bytes_of("first version"));

    // Shorter than the old contents: nothing of those may remain.
    REQUIRE(write_file_atomically(path, bytes_of("second")).ok());
    read = read_small_file(path, 1024);
    REQUIRE(read.ok());
    CHECK(*read == bytes_of("second"));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"hash-cache"});

    REQUIRE(write_file_atomically(path, {}).ok());
    read = read_small_file(path, 1024);
    REQUIRE(read.ok());
    CHECK(read->empty());
}

TEST_CASE("write_file_atomically replaces the file, not what it held open") {
    // A reader that opened the old file keeps the old bytes: the new file
    // is another inode, renamed over the name.
    TempDir dir;
    const std::string path = dir / "state";
    REQUIRE(write_file_atomically(path, bytes_of("old")).ok());
    struct stat before {};
    REQUIRE(::stat(path.c_str(), &before) == 0);
    REQUIRE(write_file_atomically(path, bytes_of("new")).ok());
    struct stat after {};
    REQUIRE(::stat(path.c_str(), &after) == 0);
    CHECK(before.st_ino != after.st_ino);
}

TEST_CASE("write_file_atomically in the current directory") {
    TempDir dir;
    std::string previous = std::filesystem::current_path();
    std::filesystem::current_path(dir.path());
    Status written = write_file_atomically("relative", bytes_of("x"));
    std::filesystem::current_path(previous);
    REQUIRE_MESSAGE(written.ok(), written.error().message);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"relative"});
}

TEST_CASE("a failed write_file_atomically says why and leaves the old file") {
    TempDir dir;
    SUBCASE("no such directory") {
        Status written = write_file_atomically(dir / "missing/state", bytes_of("x"));
        REQUIRE(!written.ok());
        CHECK(written.error().code == ErrorCode::io_error);
        CHECK(written.error().message == "cannot create " + dir.path() + "/missing/state.tmp." +
                                             std::to_string(::getpid()) +
                                             ": No such file or directory");
    }
    SUBCASE("the name is a directory") {
        // The temporary file is written, the rename fails: it is removed.
        REQUIRE(::mkdir((dir / "state").c_str(), 0700) == 0);
        Status written = write_file_atomically(dir / "state", bytes_of("x"));
        REQUIRE(!written.ok());
        CHECK(written.error().code == ErrorCode::io_error);
        CHECK(written.error().message.starts_with("cannot rename " + dir.path() + "/state.tmp."));
        CHECK(written.error().message.ends_with(" to " + dir.path() + "/state: Is a directory"));
        CHECK(names_in(dir.path()) == std::vector<std::string>{"state"});
    }
}

TEST_CASE("sync_directory syncs a directory, and says why it cannot") {
    TempDir dir;
    CHECK(sync_directory(dir.path()).ok());
    Status missing = sync_directory(dir / "missing");
    REQUIRE(!missing.ok());
    CHECK(missing.error().code == ErrorCode::io_error);
    CHECK(missing.error().message == "cannot open directory " + dir.path() + "/missing: No such file or directory");
    REQUIRE(write_file_atomically(dir / "file", bytes_of("x")).ok());
    Status file = sync_directory(dir / "file");
    REQUIRE(!file.ok());
    CHECK(file.error().message == "cannot open directory " + dir.path() + "/file: Not a directory");
}

TEST_CASE("read_small_file reads to the end, within its bound") {
    TempDir dir;
    const std::string path = dir / "data";
    Bytes big(200'000);
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = std::byte{static_cast<std::uint8_t>(i * 7)};
    REQUIRE(write_file_atomically(path, big).ok());

    auto read = read_small_file(path, big.size());
    REQUIRE(read.ok());
    CHECK(*read == big);

    read = read_small_file(path, big.size() - 1);
    REQUIRE(!read.ok());
    CHECK(read.error().code == ErrorCode::limit_exceeded);
    CHECK(read.error().message == path + " is larger than 199,999 bytes");

    read = read_small_file(dir / "absent", 10);
    REQUIRE(!read.ok());
    CHECK(read.error().code == ErrorCode::not_found);
    CHECK(read.error().message == dir.path() + "/absent does not exist");

    read = read_small_file(dir.path(), 10);
    REQUIRE(!read.ok());
    CHECK(read.error().code == ErrorCode::io_error);
    CHECK(read.error().message == "cannot read " + dir.path() + ": Is a directory");
}
