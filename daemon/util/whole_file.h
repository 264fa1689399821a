// SPDX-License-Identifier: MIT
#pragma once

// Small files read and replaced whole: state that must survive a crash
// (napeerd's hash cache under its state dir), and the directory syncs that
// make new names durable. Blocking: run on the thread
// pool. Errors are values that name the path and the reason.

#include "util/byte_codec.h"
#include "util/result.h"

#include <cstddef>
#include <string>

namespace napster {

// Replaces `path` with `data` so that after a crash or power loss the file
// holds either its old bytes or the new ones, never a mix: the bytes go to
// `path.tmp.PID` in the same directory, which is synced, renamed over
// `path`, and the directory synced so the rename itself is durable. On
// failure the temporary file is removed and `path` is as it was. The new
// file gets mode 0644 less the umask.
//
// One writer per path at a time: the temporary name is per process, not
// per call.
Status write_file_atomically(const std::string& path, ByteSpan data);

// Syncs the directory `dir` itself, so that names just linked, renamed or
// removed in it survive a crash (fsync of a file does not make its name
// durable).
Status sync_directory(const std::string& dir);

// The whole of `path`, read to its end (its size is not trusted). A file
// that does not exist is not_found, so a first start can tell "no state
// yet" from a failure; one longer than `max_bytes` is limit_exceeded; other
// failures are io_error.
Result<Bytes> read_small_file(const std::string& path, std::size_t max_bytes);

} // namespace napster
