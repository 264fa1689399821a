// SPDX-License-Identifier: MIT
#pragma once

// Opening a shared file to read it (to hash it, to serve it): the path is
// resolved with realpath and must still lie inside its share root, the open
// does not follow a final symlink swapped in since the scan, and the result
// must be a regular file. Blocking: run on the thread pool.

#include "content/hash_cache.h"
#include "util/result.h"

#include <sys/stat.h>

#include <string>

namespace napster {

// An open descriptor and what fstat said of it just after the open. The
// descriptor is the caller's to close.
struct OpenedSharedFile {
    int fd = -1;
    content::FileKey key;
};

// not_found when the file is gone, leads outside `root` or is no longer a
// regular file; io_error when it cannot be opened. Messages name no path.
Result<OpenedSharedFile> open_shared_file(const std::string& path, const std::string& root);

content::FileKey file_key_of(const struct stat& st);

// fstat of an open file as a key, or an io_error.
Result<content::FileKey> file_key_of_fd(int fd);

} // namespace napster
