// SPDX-License-Identifier: MIT
#include "content/hash_tree.h"

#include "byte_pattern.h"
#include "temp_dir.h"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

using namespace napster;
using napster::test::pattern;
using namespace napster::content;
using napster::test::TempDir;

namespace {

constexpr std::size_t mib = block_size;

// A file with these bytes, open for reading and writing.
class TestFile {
public:
    TestFile(const std::string& path, ByteSpan content) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE_MESSAGE(fd_ >= 0, path, ": ", std::strerror(errno));
        REQUIRE(::write(fd_, content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()));
    }
    ~TestFile() { ::close(fd_); }
    TestFile(const TestFile&) = delete;
    TestFile& operator=(const TestFile&) = delete;
    int fd() const { return fd_; }

private:
    int fd_ = -1;
};

HashedContent hash_bytes(ByteSpan bytes) {
    TreeHasher hasher;
    hasher.update(bytes);
    return hasher.finish();
}

} // namespace

TEST_CASE("hash_file gives the test vectors") {
    TempDir dir;
    SUBCASE("an empty file") {
        TestFile file(dir / "empty", {});
        auto hashed = hash_file(file.fd(), 0);
        REQUIRE_MESSAGE(hashed.ok(), hashed.error().message);
        CHECK(hex(hashed->root) ==
              "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
        CHECK(hashed->size == 0);
        CHECK(hashed->blocks.size() == 1);
    }
    SUBCASE("one byte") {
        TestFile file(dir / "a", as_bytes("a"));
        auto hashed = hash_file(file.fd(), 1);
        REQUIRE_MESSAGE(hashed.ok(), hashed.error().message);
        CHECK(hex(hashed->root) ==
              "022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c");
    }
    SUBCASE("4 MiB + 5 bytes: more than one read") {
        const Bytes data = pattern(4 * mib + 5);
        static_assert(hash_file_chunk < 4 * mib + 5);
        TestFile file(dir / "big", data);
        auto hashed = hash_file(file.fd(), data.size());
        REQUIRE_MESSAGE(hashed.ok(), hashed.error().message);
        CHECK(hex(hashed->root) ==
              "b6b9d1a58b2d9dc4d118b3347037b67ed5ba981c51684aad96da01b56091d758");
        CHECK(*hashed == hash_bytes(data));
    }
}

TEST_CASE("hash_file matches TreeHasher around the read size") {
    TempDir dir;
    for (std::size_t size : {hash_file_chunk - 1, hash_file_chunk, hash_file_chunk + 1,
                             2 * hash_file_chunk + mib / 2}) {
        CAPTURE(size);
        const Bytes data = pattern(size);
        TestFile file(dir / "data", data);
        auto hashed = hash_file(file.fd(), size);
        REQUIRE_MESSAGE(hashed.ok(), hashed.error().message);
        CHECK(*hashed == hash_bytes(data));
        CHECK(blocks_match_root(*hashed));
    }
}

TEST_CASE("hash_file neither uses nor moves the file position") {
    TempDir dir;
    const Bytes data = pattern(mib + 3);
    TestFile file(dir / "data", data);
    REQUIRE(::lseek(file.fd(), 17, SEEK_SET) == 17);
    auto hashed = hash_file(file.fd(), data.size());
    REQUIRE(hashed.ok());
    CHECK(*hashed == hash_bytes(data));
    CHECK(::lseek(file.fd(), 0, SEEK_CUR) == 17);
}

TEST_CASE("a file that is not the size expected is an io_error") {
    TempDir dir;
    const Bytes data = pattern(mib + 10);
    TestFile file(dir / "data", data);

    SUBCASE("shorter: it was cut while hashed") {
        auto hashed = hash_file(file.fd(), data.size() + 1);
        REQUIRE(!hashed.ok());
        CHECK(hashed.error().code == ErrorCode::io_error);
        CHECK(hashed.error().message == "the file ended after 1048586 of the 1048587 bytes "
                                        "expected: it changed while it was hashed");
    }
    SUBCASE("much shorter") {
        auto hashed = hash_file(file.fd(), 3 * hash_file_chunk);
        REQUIRE(!hashed.ok());
        CHECK(hashed.error().code == ErrorCode::io_error);
        CHECK(hashed.error().message.starts_with(
            "the file ended after 1048586 of the 12582912 bytes"));
    }
    SUBCASE("longer: it grew while hashed") {
        for (std::uint64_t expected :
             {std::uint64_t{0}, std::uint64_t{mib}, std::uint64_t{mib + 9}}) {
            CAPTURE(expected);
            auto hashed = hash_file(file.fd(), expected);
            REQUIRE(!hashed.ok());
            CHECK(hashed.error().code == ErrorCode::io_error);
            CHECK(hashed.error().message == "the file is longer than the " +
                                                std::to_string(expected) +
                                                " bytes expected: it changed while it was hashed");
        }
    }
}

TEST_CASE("a read error is an io_error that says why") {
    TempDir dir;
    SUBCASE("a directory") {
        int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        auto hashed = hash_file(fd, 10);
        ::close(fd);
        REQUIRE(!hashed.ok());
        CHECK(hashed.error().code == ErrorCode::io_error);
        CHECK(hashed.error().message == "cannot read at offset 0: Is a directory");
    }
    SUBCASE("a descriptor that is not open") {
        int fd = ::open((dir / "gone").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        ::close(fd);
        auto hashed = hash_file(fd, 0);
        REQUIRE(!hashed.ok());
        CHECK(hashed.error().code == ErrorCode::io_error);
        CHECK(hashed.error().message == "cannot read at offset 0: Bad file descriptor");
    }
    SUBCASE("a size no file can have") {
        TestFile file(dir / "data", as_bytes("x"));
        auto hashed = hash_file(file.fd(), std::uint64_t{1} << 63);
        REQUIRE(!hashed.ok());
        CHECK(hashed.error().code == ErrorCode::invalid_argument);
    }
}
