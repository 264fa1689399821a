// SPDX-License-Identifier: MIT
#include "util/file_io.h"

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <limits>

namespace napster {

int read_at(int fd, std::uint64_t offset, std::size_t length, Bytes& out) {
    constexpr auto max_offset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
    out.clear();
    if (length > max_offset || offset > max_offset - length) return EINVAL;
    out.resize(length);
    std::size_t got = 0;
    int error = 0;
    while (got < length) {
        ssize_t n = ::pread(fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = errno;
            break;
        }
        if (n == 0) break; // end of file
        got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    return error;
}

int write_at(int fd, ByteSpan bytes, std::uint64_t offset) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? errno : EIO;
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

} // namespace napster
