// SPDX-License-Identifier: MIT
#include "fs/share_scan.h"

#include "fs/path_rules.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace napster {
namespace {

constexpr std::size_t max_problems_kept = 5;

class Walker {
public:
    Walker(ScanResult& out, std::uint32_t root_index, std::string root)
        : out_(out), root_index_(root_index), root_(std::move(root)), real_root_(real_path(root_)) {}

    void walk(int dir_fd, const std::string& rel_dir, std::size_t depth) {
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

private:
    void add(const std::string& rel, const struct stat& st) {
        out_.files.push_back(ScannedFile{root_index_, rel, static_cast<std::uint64_t>(st.st_size),
                                         st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec});
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
};

} // namespace

std::string real_path(const std::string& path) {
    char buf[PATH_MAX];
    if (!realpath(path.c_str(), buf)) return {};
    return buf;
}

ScanResult scan_roots(const std::vector<std::string>& roots) {
    ScanResult out;
    for (std::uint32_t i = 0; i < roots.size(); ++i) {
        int fd = open(roots[i].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            if (out.problem_count++ < max_problems_kept)
                out.problems.push_back(fmt::format("{}: {}", roots[i], std::strerror(errno)));
            continue;
        }
        Walker(out, i, roots[i]).walk(fd, "", 0);
    }
    return out;
}

} // namespace napster
