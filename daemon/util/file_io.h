// SPDX-License-Identifier: MIT
#pragma once

// pread and pwrite of a whole range: a regular file may return less than
// asked (a signal, a network file system). Blocking: call them on the
// thread pool. The file position is neither used nor moved.

#include "util/byte_codec.h"

#include <cstddef>
#include <cstdint>

namespace napster {

// Reads up to `length` bytes from `offset`; fewer only at the end of the
// file. Returns 0 or the errno of a failed read (the bytes read before it
// stay in `out`).
int read_at(int fd, std::uint64_t offset, std::size_t length, Bytes& out);

// Writes all of `bytes` at `offset`; 0 or the errno (EIO for a write that
// wrote nothing).
int write_at(int fd, ByteSpan bytes, std::uint64_t offset);

} // namespace napster
