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
#include <string>
#include <vector>

namespace napster {

struct ScannedFile {
    std::uint32_t root = 0;
    std::string rel_path;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
};

struct ScanResult {
    std::vector<ScannedFile> files;
    std::vector<std::string> problems; // first few, for the log
    std::size_t problem_count = 0;
    std::size_t skipped_links = 0;
};

inline constexpr std::size_t max_scan_depth = 64;

ScanResult scan_roots(const std::vector<std::string>& roots);

// realpath(3) as a string; empty on failure.
std::string real_path(const std::string& path);

} // namespace napster
