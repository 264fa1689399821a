// SPDX-License-Identifier: MIT
#pragma once

// Reads from files without blocking the loop: the read runs on libuv's
// thread pool and its result comes back on the loop.
//
// Ownership: the descriptor stays the caller's. The caller must keep it
// open, and keep alive whatever `done` refers to, until `done` has run;
// `done` always runs, once, on the loop thread (uv_run does not return
// while the read is queued). Call from the loop thread only.

#include "util/byte_codec.h"
#include "util/result.h"

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace napster {

// Reads `length` bytes of `fd` from `offset` on (the file position is not
// used or moved, so reads of one fd may overlap). Fewer bytes come back
// only at the end of the file; a read error, even after some bytes, is an
// error that carries strerror's text. The buffer is allocated up front:
// pass a chunk size, not a file size.
//
// `check`, when given, runs on the thread pool right after a read that
// succeeded, with the bytes read: an error it returns replaces them (a
// file that changed under the read, a block that does not match its
// hash). It must touch only what it captured by value.
using ReadCheck = std::function<Status(ByteSpan bytes)>;
void read_file_at(uv_loop_t* loop, int fd, std::uint64_t offset, std::size_t length,
                  std::function<void(Result<Bytes>)> done, ReadCheck check = nullptr);

} // namespace napster
