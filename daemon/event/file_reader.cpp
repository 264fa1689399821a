// SPDX-License-Identifier: MIT
#include "event/file_reader.h"

#include "event/work.h"
#include "util/file_io.h"
#include "util/text.h"

#include <fmt/format.h>

#include <cstring>
#include <memory>

namespace napster {
namespace {

struct Read {
    Bytes bytes;
    int error = 0;
    Status checked = Ok{};
};

} // namespace

void read_file_at(uv_loop_t* loop, int fd, std::uint64_t offset, std::size_t length,
                  std::function<void(Result<Bytes>)> done, ReadCheck check) {
    auto read = std::make_shared<Read>();
    queue_work(
        loop,
        [fd, offset, length, read, check = std::move(check)] {
            read->error = read_at(fd, offset, length, read->bytes);
            if (read->error == 0 && check) read->checked = check(read->bytes);
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
