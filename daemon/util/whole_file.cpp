// SPDX-License-Identifier: MIT
#include "util/whole_file.h"

#include "util/text.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <system_error>

namespace napster {
namespace {

Error io_failure(std::string_view what, const std::string& path, int error) {
    return make_error(ErrorCode::io_error, fmt::format("cannot {} {}: {}", what, printable(path),
                                                       std::system_category().message(error)));
}

// The directory that holds `path`, for syncing the rename.
std::string parent_dir(const std::string& path) {
    std::size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

Status write_all(int fd, ByteSpan data, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_failure("write", path, errno);
        done += static_cast<std::size_t>(n);
    }
    return Ok{};
}

// Writes and syncs the temporary file; closes it in every case.
Status write_temp(const std::string& temp, ByteSpan data) {
    // O_NOFOLLOW: a symlink planted under the temporary name is not followed.
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return io_failure("create", temp, errno);
    Status written = write_all(fd, data, temp);
    if (written && ::fsync(fd) != 0) written = io_failure("sync", temp, errno);
    // close() can report a failed write-back (NFS): the data is not safe then.
    if (::close(fd) != 0 && written) written = io_failure("close", temp, errno);
    return written;
}

} // namespace

Status sync_directory(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_failure("open directory", dir, errno);
    Status synced = Ok{};
    if (::fsync(fd) != 0) synced = io_failure("sync directory", dir, errno);
    ::close(fd);
    return synced;
}

Status write_file_atomically(const std::string& path, ByteSpan data) {
    std::string temp = fmt::format("{}.tmp.{}", path, ::getpid());
    Status written = write_temp(temp, data);
    if (written && ::rename(temp.c_str(), path.c_str()) != 0)
        written = io_failure(fmt::format("rename {} to", printable(temp)), path, errno);
    if (!written) {
        ::unlink(temp.c_str());
        return written;
    }
    return sync_directory(parent_dir(path));
}

Result<Bytes> read_small_file(const std::string& path, std::size_t max_bytes) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return make_error(ErrorCode::not_found,
                              fmt::format("{} does not exist", printable(path)));
        return io_failure("open", path, errno);
    }
    Bytes bytes;
    std::byte buffer[64 * 1024];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            Error error = io_failure("read", path, errno);
            ::close(fd);
            return error;
        }
        if (n == 0) break;
        if (static_cast<std::size_t>(n) > max_bytes - bytes.size()) {
            ::close(fd);
            return make_error(ErrorCode::limit_exceeded,
                              fmt::format("{} is larger than {}", printable(path),
                                          count_of(max_bytes, "byte", "bytes")));
        }
        bytes.insert(bytes.end(), buffer, buffer + n);
    }
    ::close(fd);
    return bytes;
}

} // namespace napster
