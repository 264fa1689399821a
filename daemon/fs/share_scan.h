// SPDX-License-Identifier: MIT
#pragma once

// Walks share roots recursively and lists the regular files a peer may
// serve. Blocking: napeerd runs it on libuv's thread pool.
//
// Rules: directories are entered only as real directories (a symlinked
// directory could loop or lead outside); a symlink to a regular file is
// listed only when its target lies inside the same root; partial downloads
// are skipped; names that are not valid path components cannot occur on
// Linux but are skipped all the same.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace napster {

// What stat says of a shared file: enough to tell it changed (and so
// needs hashing again), see content::FileKey.
struct ScannedFile {
    std::uint32_t root = 0;
    std::string rel_path;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t ctime_ns = 0;
};

// An inotify watch the walk placed on a directory.
struct WatchedDir {
    int wd = -1;
    std::uint32_t root = 0;
    std::string rel_dir; // "" for the root itself
};

struct ScanResult {
    std::vector<ScannedFile> files;
    std::vector<WatchedDir> watches;
    int watch_error = 0; // errno of the first inotify_add_watch failure (ENOSPC: limit)
    std::vector<std::string> problems; // first few, for the log
    std::size_t problem_count = 0;
    std::size_t skipped_links = 0;
};

inline constexpr std::size_t max_scan_depth = 64;

// With watch_fd >= 0 (an inotify descriptor), every directory is watched
// before it is read, so a file created during the walk is either listed or
// reported by an event: never missed. An empty root (a removed root's slot,
// see ShareCatalog::roots) is skipped.
ScanResult scan_roots(const std::vector<std::string>& roots, int watch_fd = -1);

// The same for one directory below a root ("" = the root itself): a new or
// moved-in directory, or a rescan of one root.
ScanResult scan_subtree(std::uint32_t root_index, const std::string& root, const std::string& rel_dir,
                        int watch_fd = -1);

// What a single path below a root is now, by the same rules as the walk:
// a shareable file, or nothing (gone, a directory, a special file, a link
// that leads outside). For resolving one inotify event.
std::optional<ScannedFile> stat_shared_file(std::uint32_t root_index, const std::string& root,
                                            const std::string& rel_path);

// The events napeerd asks inotify for on every watched directory.
std::uint32_t share_watch_mask();

// realpath(3) as a string; empty on failure.
std::string real_path(const std::string& path);

} // namespace napster
