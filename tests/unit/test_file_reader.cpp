// SPDX-License-Identifier: MIT
#include "event/file_reader.h"

#include "byte_pattern.h"
#include "loop_test_support.h"
#include "temp_dir.h"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace napster;
using napster::test::pattern;
using napster::test::TempDir;
using napster::test::TestLoop;

namespace {

Bytes slice(const Bytes& bytes, std::size_t offset, std::size_t length) {
    if (offset >= bytes.size()) return {};
    length = std::min(length, bytes.size() - offset);
    return Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                 bytes.begin() + static_cast<std::ptrdiff_t>(offset + length));
}

class OpenFile {
public:
    OpenFile(const std::string& path, const Bytes& content) {
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(content.data()),
                   static_cast<std::streamsize>(content.size()));
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE_MESSAGE(fd_ >= 0, path, ": ", std::strerror(errno));
    }
    ~OpenFile() { ::close(fd_); }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    int fd() const { return fd_; }

private:
    int fd_ = -1;
};

Result<Bytes> read_and_wait(TestLoop& loop, int fd, std::uint64_t offset, std::size_t length) {
    std::optional<Result<Bytes>> result;
    read_file_at(loop.get(), fd, offset, length,
                 [&](Result<Bytes> r) { result.emplace(std::move(r)); });
    CHECK(!result); // never from inside the call
    REQUIRE(loop.run_until([&] { return result.has_value(); }));
    return std::move(*result);
}

} // namespace

TEST_CASE("ranges of a file are read whole, and short only at its end") {
    TestLoop loop;
    TempDir dir;
    const Bytes content = pattern(300'000);
    OpenFile file(dir / "data", content);

    struct Range {
        std::uint64_t offset;
        std::size_t length;
    };
    for (Range r : {Range{0, 10}, Range{1000, 65'536}, Range{0, 300'000}, Range{299'990, 100},
                    Range{300'000, 5}, Range{1'000'000, 5}, Range{17, 0}}) {
        CAPTURE(r.offset);
        CAPTURE(r.length);
        auto result = read_and_wait(loop, file.fd(), r.offset, r.length);
        REQUIRE_MESSAGE(result.ok(), result.error().message);
        CHECK(*result == slice(content, r.offset, r.length));
    }
    CHECK(loop.close());
}

TEST_CASE("reads of one descriptor may be under way together") {
    TestLoop loop;
    TempDir dir;
    const Bytes content = pattern(64 * 1024);
    OpenFile file(dir / "data", content);
    std::vector<std::optional<Result<Bytes>>> results(16);
    for (std::size_t i = 0; i < results.size(); ++i)
        read_file_at(loop.get(), file.fd(), i * 4096, 4096,
                     [&results, i](Result<Bytes> r) { results[i].emplace(std::move(r)); });
    REQUIRE(loop.run_until([&] {
        for (const auto& r : results)
            if (!r) return false;
        return true;
    }));
    for (std::size_t i = 0; i < results.size(); ++i) {
        REQUIRE(results[i]->ok());
        CHECK(results[i]->value() == slice(content, i * 4096, 4096));
    }
    CHECK(loop.close());
}

TEST_CASE("a read that fails says why") {
    TestLoop loop;
    TempDir dir;

    SUBCASE("a descriptor that is not open") {
        int fd = ::open((dir / "gone").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        ::close(fd);
        auto result = read_and_wait(loop, fd, 0, 10);
        REQUIRE(!result.ok());
        CHECK(result.error().message == "cannot read 10 bytes at offset 0: Bad file descriptor");
    }
    SUBCASE("a directory") {
        int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        auto result = read_and_wait(loop, fd, 4096, 1);
        ::close(fd);
        REQUIRE(!result.ok());
        CHECK(result.error().message == "cannot read 1 byte at offset 4096: Is a directory");
    }
    SUBCASE("an offset past what off_t holds") {
        OpenFile file(dir / "data", pattern(10));
        auto result = read_and_wait(loop, file.fd(), std::uint64_t{1} << 63, 1);
        REQUIRE(!result.ok());
        CHECK(result.error().message.ends_with(": Invalid argument"));
    }
    CHECK(loop.close());
}

TEST_CASE("a check sees the bytes read, on the thread pool, and its error replaces them") {
    TestLoop loop;
    TempDir dir;
    const Bytes content = pattern(10'000);
    OpenFile file(dir / "data", content);
    auto read_checked = [&](std::uint64_t offset, std::size_t length, ReadCheck check) {
        std::optional<Result<Bytes>> result;
        read_file_at(
            loop.get(), file.fd(), offset, length, [&](Result<Bytes> r) { result.emplace(std::move(r)); },
            std::move(check));
        REQUIRE(loop.run_until([&] { return result.has_value(); }));
        return std::move(*result);
    };

    auto seen = std::make_shared<Bytes>();
    auto passed = read_checked(100, 50, [seen](ByteSpan bytes) -> Status {
        seen->assign(bytes.begin(), bytes.end());
        return Ok{};
    });
    REQUIRE(passed.ok());
    CHECK(*passed == slice(content, 100, 50));
    CHECK(*seen == slice(content, 100, 50));

    auto refused = read_checked(0, 10, [](ByteSpan bytes) -> Status {
        if (bytes.size() == 10) return make_error(ErrorCode::io_error, "block 0 of data does not match its hash");
        return Ok{};
    });
    REQUIRE(!refused.ok());
    CHECK(refused.error().code == ErrorCode::io_error);
    CHECK(refused.error().message == "block 0 of data does not match its hash");
    CHECK(loop.close());
}
