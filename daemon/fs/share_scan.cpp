// SPDX-License-Identifier: MIT
#include "fs/share_scan.h"

#include "fs/partial_name.h"
#include "fs/shared_file.h"
#include "protocol/name_rules.h"
#include "util/path_text.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace napster {
namespace {

constexpr std::size_t max_problems_kept = 5;

class Walker {
public:
    Walker(ScanResult& out, std::uint32_t root_index, std::string root, int watch_fd)
        : out_(out), root_index_(root_index), root_(std::move(root)), real_root_(real_path(root_)),
          watch_fd_(watch_fd) {}

    void walk(int dir_fd, const std::string& rel_dir, std::size_t depth) {
        watch(rel_dir);
        DIR* dir = fdopendir(dir_fd);
        if (!dir) {
            problem(rel_dir, errno);
            ::close(dir_fd);
            return;
        }
        while (dirent* entry = readdir(dir)) {
            std::string_view name = entry->d_name;
            if (name == "." || name == "..") continue;
            if (file_name_problem(name) || is_partial_name(name)) continue;
            std::string rel = rel_dir.empty() ? std::string(name) : rel_dir + "/" + std::string(name);
            if (relative_path_problem(rel)) continue;
            struct stat st {};
            if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                problem(rel, errno);
                continue;
            }
            if (S_ISDIR(st.st_mode)) {
                if (depth >= max_scan_depth) {
                    problem(rel, ELOOP);
                    continue;
                }
                int child = openat(dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0) {
                    problem(rel, errno);
                    continue;
                }
                walk(child, rel, depth + 1);
            } else if (S_ISREG(st.st_mode)) {
                add(rel, st);
            } else if (S_ISLNK(st.st_mode)) {
                add_link(rel);
            }
        }
        closedir(dir);
    }

    // The rules for one path, shared with single-event resolution.
    std::optional<ScannedFile> examine(const std::string& rel) {
        std::string full = join_path(root_, rel);
        struct stat st {};
        if (lstat(full.c_str(), &st) != 0) return std::nullopt;
        std::size_t before = out_.files.size();
        if (S_ISREG(st.st_mode))
            add(rel, st);
        else if (S_ISLNK(st.st_mode))
            add_link(rel);
        if (out_.files.size() == before) return std::nullopt;
        ScannedFile f = std::move(out_.files.back());
        out_.files.pop_back();
        return f;
    }

private:
    void watch(const std::string& rel_dir) {
        // Past the watch limit every further try fails the same way.
        if (watch_fd_ < 0 || out_.watch_error == ENOSPC) return;
        std::string path = rel_dir.empty() ? root_ : join_path(root_, rel_dir);
        // A root may be a symlink the admin chose; below it none is followed.
        std::uint32_t mask = share_watch_mask();
        if (rel_dir.empty()) mask &= ~static_cast<std::uint32_t>(IN_DONT_FOLLOW);
        int wd = inotify_add_watch(watch_fd_, path.c_str(), mask);
        if (wd < 0) {
            // Keep the first error, but the limit wins: it is the one to explain.
            if (out_.watch_error == 0 || errno == ENOSPC) out_.watch_error = errno;
            return;
        }
        out_.watches.push_back(WatchedDir{wd, root_index_, rel_dir});
    }

    void add(const std::string& rel, const struct stat& st) {
        content::FileKey key = file_key_of(st);
        out_.files.push_back(
            ScannedFile{root_index_, rel, key.size, key.mtime_ns, key.device, key.inode, key.ctime_ns});
    }

    void add_link(const std::string& rel) {
        std::string target = real_path(join_path(root_, rel));
        struct stat st {};
        if (target.empty() || real_root_.empty() || !path_is_within(target, real_root_) ||
            stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            ++out_.skipped_links;
            return;
        }
        add(rel, st);
    }

    void problem(const std::string& rel, int error) {
        if (out_.problem_count++ < max_problems_kept)
            out_.problems.push_back(fmt::format("{}: {}", join_path(root_, rel), std::strerror(error)));
    }

    ScanResult& out_;
    std::uint32_t root_index_;
    std::string root_;
    std::string real_root_;
    int watch_fd_;
};

} // namespace

std::string real_path(const std::string& path) {
    char buf[PATH_MAX];
    if (!realpath(path.c_str(), buf)) return {};
    return buf;
}

std::uint32_t share_watch_mask() {
    // IN_CLOSE_WRITE tells a finished write from one in progress; IN_ONLYDIR
    // and IN_DONT_FOLLOW keep a watch from landing on a symlinked dir.
    return IN_CLOSE_WRITE | IN_CREATE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
           IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
}

ScanResult scan_subtree(std::uint32_t root_index, const std::string& root, const std::string& rel_dir,
                        int watch_fd) {
    ScanResult out;
    std::string path = rel_dir.empty() ? root : join_path(root, rel_dir);
    // O_NOFOLLOW: a root may be a symlink the admin chose; below it, a
    // symlinked directory is never entered.
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (rel_dir.empty() ? 0 : O_NOFOLLOW);
    int fd = open(path.c_str(), flags);
    if (fd < 0) {
        ++out.problem_count;
        out.problems.push_back(fmt::format("{}: {}", path, std::strerror(errno)));
        return out;
    }
    std::size_t depth = rel_dir.empty() ? 0 : static_cast<std::size_t>(std::count(rel_dir.begin(), rel_dir.end(), '/')) + 1;
    Walker(out, root_index, root, watch_fd).walk(fd, rel_dir, depth);
    return out;
}

ScanResult scan_roots(const std::vector<std::string>& roots, int watch_fd) {
    ScanResult out;
    for (std::uint32_t i = 0; i < roots.size(); ++i) {
        if (roots[i].empty()) continue; // a root removed at a reload
        ScanResult one = scan_subtree(i, roots[i], "", watch_fd);
        out.files.insert(out.files.end(), std::make_move_iterator(one.files.begin()),
                         std::make_move_iterator(one.files.end()));
        out.watches.insert(out.watches.end(), one.watches.begin(), one.watches.end());
        if (out.watch_error == 0 || one.watch_error == ENOSPC) out.watch_error = one.watch_error;
        out.skipped_links += one.skipped_links;
        for (auto& problem : one.problems)
            if (out.problems.size() < max_problems_kept) out.problems.push_back(std::move(problem));
        out.problem_count += one.problem_count;
        // A watch limit hit in one root stops watches in the next ones too.
        if (out.watch_error == ENOSPC) watch_fd = -1;
    }
    return out;
}

std::optional<ScannedFile> stat_shared_file(std::uint32_t root_index, const std::string& root,
                                            const std::string& rel_path) {
    if (relative_path_problem(rel_path) || is_partial_name(base_name(rel_path))) return std::nullopt;
    ScanResult scratch;
    return Walker(scratch, root_index, root, -1).examine(rel_path);
}

} // namespace napster
