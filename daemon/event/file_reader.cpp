// SPDX-License-Identifier: MIT
#include "event/file_reader.h"

#include "event/work.h"
#include "util/text.h"

#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>

namespace napster {
namespace {

struct Read {
    Bytes bytes;
    int error = 0;
    Status checked = Ok{};
};

// pread until the range is read or the file ends: a regular file may
// return less than asked (a signal, a file on a network filesystem), and
// uv_fs_read would pass that short read on as it is.
void read_range(int fd, std::uint64_t offset, std::size_t length, Read& read) {
    constexpr auto max_offset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
    if (length > max_offset || offset > max_offset - length) {
        read.error = EINVAL;
        return;
    }
    read.bytes.resize(length);
    std::size_t got = 0;
    while (got < length) {
        ssize_t n =
            ::pread(fd, read.bytes.data() + got, length - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            read.error = errno;
            break;
        }
        if (n == 0) break; // end of file
        got += static_cast<std::size_t>(n);
    }
    read.bytes.resize(got);
}

} // namespace

void read_file_at(uv_loop_t* loop, int fd, std::uint64_t offset, std::size_t length,
                  std::function<void(Result<Bytes>)> done, ReadCheck check) {
    auto read = std::make_shared<Read>();
    queue_work(
        loop,
        [fd, offset, length, read, check = std::move(check)] {
            read_range(fd, offset, length, *read);
            if (read->error == 0 && check) read->checked = check();
        },
        [offset, length, read, done = std::move(done)] {
            if (!read->checked) return done(read->checked.error());
            if (read->error != 0)
                return done(make_error(ErrorCode::io_error, fmt::format("cannot read {} at offset {}: {}",
                                                   count_of(length, "byte", "bytes"), offset,
                                                   std::strerror(read->error))));
            done(std::move(read->bytes));
        });
}

} // namespace napster
