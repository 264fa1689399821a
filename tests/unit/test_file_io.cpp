// SPDX-License-Identifier: MIT
#include "util/file_io.h"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <unistd.h>

using namespace napster;

TEST_CASE("write_at and read_at: whole ranges, short only at the end, errors as errno") {
    char path[] = "/tmp/napster-file-io-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    unlink(path);

    Bytes data(3000);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::byte{static_cast<std::uint8_t>(i % 251)};
    CHECK(write_at(fd, data, 100) == 0);

    Bytes out;
    CHECK(read_at(fd, 100, 3000, out) == 0);
    CHECK(out == data);
    CHECK(read_at(fd, 3000, 500, out) == 0); // the file ends at 3100
    CHECK(out.size() == 100);
    CHECK(read_at(fd, 5000, 10, out) == 0);
    CHECK(out.empty());
    CHECK(read_at(fd, UINT64_MAX - 5, 10, out) == EINVAL); // past what off_t holds
    close(fd);
    CHECK(read_at(fd, 0, 10, out) == EBADF);
    CHECK(write_at(fd, data, 0) == EBADF);
}
