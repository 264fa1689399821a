// SPDX-License-Identifier: MIT
#include "fs/shared_file.h"

#include "fs/share_scan.h"
#include "util/path_text.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace napster {

content::FileKey file_key_of(const struct stat& st) {
    return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
            static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec,
            st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec};
}

Result<content::FileKey> file_key_of_fd(int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0)
        return make_error(ErrorCode::io_error, fmt::format("cannot stat it: {}", std::strerror(errno)));
    return file_key_of(st);
}

Result<OpenedSharedFile> open_shared_file(const std::string& path, const std::string& root) {
    std::string real = real_path(path);
    std::string real_root = real_path(root);
    if (real.empty() || real_root.empty()) return make_error(ErrorCode::not_found, "the file is no longer there");
    if (!path_is_within(real, real_root))
        return make_error(ErrorCode::not_found, "the file now leads outside its share");
    int fd = ::open(real.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return make_error(ErrorCode::io_error, fmt::format("cannot open it: {}", std::strerror(errno)));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(ErrorCode::not_found, "it is no longer a regular file");
    }
    return OpenedSharedFile{fd, file_key_of(st)};
}

} // namespace napster
