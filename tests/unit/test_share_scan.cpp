// SPDX-License-Identifier: MIT
#include "fs/share_scan.h"

#include "fs/partial_name.h"
#include "temp_dir.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace napster;
using napster::test::TempDir;
namespace fs = std::filesystem;

namespace {

void make_dirs(const std::string& path) {
    std::error_code ec;
    fs::create_directories(path, ec);
    REQUIRE_MESSAGE(!ec, path, ": ", ec.message());
}

void write_file(const std::string& path, std::size_t size) {
    std::ofstream out(path, std::ios::binary);
    REQUIRE_MESSAGE(out.good(), "cannot create ", path);
    out << std::string(size, 'x');
    out.close();
    REQUIRE(fs::file_size(path) == size);
}

void make_symlink(const std::string& target, const std::string& link) {
    REQUIRE_MESSAGE(::symlink(target.c_str(), link.c_str()) == 0, link, ": ", std::strerror(errno));
}

std::vector<ScannedFile> sorted(std::vector<ScannedFile> files) {
    std::sort(files.begin(), files.end(), [](const ScannedFile& a, const ScannedFile& b) {
        return a.root != b.root ? a.root < b.root : a.rel_path < b.rel_path;
    });
    return files;
}

std::vector<std::string> rel_paths(const ScanResult& result) {
    std::vector<std::string> out;
    for (const auto& f : sorted(result.files))
        out.push_back(f.rel_path);
    return out;
}

const ScannedFile* find_file(const ScanResult& result, const std::string& rel,
                             std::uint32_t root = 0) {
    for (const auto& f : result.files)
        if (f.root == root && f.rel_path == rel) return &f;
    return nullptr;
}

std::string all_problems(const ScanResult& result) {
    std::string out;
    for (const auto& p : result.problems)
        out += p + "\n";
    return out;
}

} // namespace

TEST_CASE("scan lists nested files with their relative paths and sizes") {
    TempDir tmp;
    std::string root = tmp / "share";
    make_dirs(root + "/music/rock/live");
    make_dirs(root + "/empty/deeper");
    write_file(root + "/top.txt", 3);
    write_file(root + "/music/a.mp3", 1000);
    write_file(root + "/music/rock/b.mp3", 0);
    write_file(root + "/music/rock/live/c d.mp3", 4097);

    ScanResult result = scan_roots({root});
    INFO(all_problems(result));
    CHECK(result.problem_count == 0);
    CHECK(result.problems.empty());
    CHECK(result.skipped_links == 0);
    CHECK(rel_paths(result) == std::vector<std::string>{"music/a.mp3", "music/rock/b.mp3",
                                                        "music/rock/live/c d.mp3", "top.txt"});
    for (const auto& f : result.files)
        CHECK(f.root == 0);

    const ScannedFile* a = find_file(result, "music/a.mp3");
    const ScannedFile* b = find_file(result, "music/rock/b.mp3");
    const ScannedFile* c = find_file(result, "music/rock/live/c d.mp3");
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    REQUIRE(c != nullptr);
    CHECK(a->size == 1000);
    CHECK(b->size == 0);
    CHECK(c->size == 4097);

    struct stat st {};
    REQUIRE(::stat((root + "/music/a.mp3").c_str(), &st) == 0);
    CHECK(a->mtime_ns == st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
    CHECK(a->mtime_ns > 0);
}

TEST_CASE("scan gives each root its index") {
    TempDir tmp;
    std::string first = tmp / "first";
    std::string second = tmp / "second";
    make_dirs(first);
    make_dirs(second + "/sub");
    write_file(first + "/same.txt", 1);
    write_file(second + "/same.txt", 2);
    write_file(second + "/sub/only.txt", 3);

    ScanResult result = scan_roots({first, second});
    INFO(all_problems(result));
    CHECK(result.problem_count == 0);
    std::vector<ScannedFile> files = sorted(result.files);
    REQUIRE(files.size() == 3);
    CHECK(files[0].root == 0);
    CHECK(files[0].rel_path == "same.txt");
    CHECK(files[0].size == 1);
    CHECK(files[1].root == 1);
    CHECK(files[1].rel_path == "same.txt");
    CHECK(files[1].size == 2);
    CHECK(files[2].root == 1);
    CHECK(files[2].rel_path == "sub/only.txt");
    CHECK(files[2].size == 3);
}

TEST_CASE("scan skips an empty root slot (a root removed at a reload), keeping the others' indices") {
    TempDir tmp;
    std::string kept = tmp / "kept";
    make_dirs(kept);
    write_file(kept + "/a.txt", 1);
    ScanResult result = scan_roots({"", kept});
    INFO(all_problems(result));
    CHECK(result.problem_count == 0);
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].root == 1);
    CHECK(result.files[0].rel_path == "a.txt");
}

TEST_CASE("scan follows symlinks to files inside the root only") {
    TempDir tmp;
    std::string root = tmp / "share";
    make_dirs(root + "/dir");
    make_dirs(tmp / "share2");
    write_file(root + "/dir/target.txt", 42);
    write_file(tmp / "outside.txt", 7);
    write_file(tmp / "share2/sibling.txt", 9);

    make_symlink("dir/target.txt", root + "/inside-relative");
    make_symlink(root + "/dir/target.txt", root + "/dir/inside-absolute");
    make_symlink("../outside.txt", root + "/outside-link");
    make_symlink(tmp / "outside.txt", root + "/dir/outside-absolute");
    // Shares a name prefix with the root but is not below it.
    make_symlink("../share2/sibling.txt", root + "/sibling-link");
    make_symlink("no-such-file", root + "/dangling");

    ScanResult result = scan_roots({root});
    INFO(all_problems(result));
    CHECK(rel_paths(result) ==
          std::vector<std::string>{"dir/inside-absolute", "dir/target.txt", "inside-relative"});
    const ScannedFile* relative = find_file(result, "inside-relative");
    const ScannedFile* absolute = find_file(result, "dir/inside-absolute");
    REQUIRE(relative != nullptr);
    REQUIRE(absolute != nullptr);
    CHECK(relative->size == 42); // the target's size, not the link's
    CHECK(absolute->size == 42);
    CHECK(result.skipped_links == 4);
    CHECK(result.problem_count == 0);
}

TEST_CASE("scan does not enter symlinked directories") {
    TempDir tmp;
    std::string root = tmp / "share";
    make_dirs(root + "/real");
    make_dirs(tmp / "elsewhere");
    write_file(root + "/real/in.txt", 1);
    write_file(tmp / "elsewhere/out.txt", 2);
    make_symlink("real", root + "/inner-dir-link");
    make_symlink(tmp / "elsewhere", root + "/outer-dir-link");
    make_symlink(".", root + "/real/loop");

    ScanResult result = scan_roots({root});
    INFO(all_problems(result));
    CHECK(rel_paths(result) == std::vector<std::string>{"real/in.txt"});
    CHECK(result.problem_count == 0);
}

TEST_CASE("scan skips partial downloads") {
    TempDir tmp;
    std::string root = tmp / "share";
    make_dirs(root + "/sub");
    std::string partial = partial_name("x.txt", 1);
    REQUIRE(is_partial_name(partial));
    write_file(root + "/" + partial, 10);
    write_file(root + "/sub/" + partial_name("y.txt", 0xffffffffffffffffULL), 10);
    write_file(root + "/x.txt", 5);
    // Looks a little like one but is a complete download.
    write_file(root + "/.napster-notes.part", 6);

    ScanResult result = scan_roots({root});
    INFO(all_problems(result));
    CHECK(rel_paths(result) == std::vector<std::string>{".napster-notes.part", "x.txt"});
    CHECK(result.problem_count == 0);
}

TEST_CASE("scan keeps names byte-exact") {
    TempDir tmp;
    std::string root = tmp / "share";
    make_dirs(root);
    const std::string latin1 = "caf\xe9.txt"; // not UTF-8
    const std::string longest = std::string(251, 'L') + ".txt";
    REQUIRE(longest.size() == 255);
    const std::string utf8 = "caf\xc3\xa9 \xe2\x99\xab.txt";
    make_dirs(root + "/" + latin1.substr(0, 4));
    write_file(root + "/" + latin1, 11);
    write_file(root + "/" + longest, 12);
    write_file(root + "/" + latin1.substr(0, 4) + "/" + utf8, 13);

    ScanResult result = scan_roots({root});
    INFO(all_problems(result));
    CHECK(result.problem_count == 0);
    REQUIRE(result.files.size() == 3);
    const ScannedFile* a = find_file(result, latin1);
    const ScannedFile* b = find_file(result, longest);
    const ScannedFile* c = find_file(result, "caf\xe9/" + utf8);
    REQUIRE(a != nullptr);
    REQUIRE(b != nullptr);
    REQUIRE(c != nullptr);
    CHECK(a->rel_path.size() == 8);
    CHECK(a->size == 11);
    CHECK(b->rel_path.size() == 255);
    CHECK(b->size == 12);
    CHECK(c->size == 13);
}

TEST_CASE("an unreadable subdirectory is a problem, not a stop") {
    TempDir tmp;
    std::string root = tmp / "share";
    make_dirs(root + "/locked");
    write_file(root + "/locked/secret.txt", 1);
    write_file(root + "/open.txt", 2);
    REQUIRE(::chmod((root + "/locked").c_str(), 0) == 0);

    ScanResult result = scan_roots({root});
    INFO(all_problems(result));
    REQUIRE(find_file(result, "open.txt") != nullptr);
    if (::geteuid() == 0) {
        // Root reads it anyway: permissions are not enforced.
        CHECK(find_file(result, "locked/secret.txt") != nullptr);
        CHECK(result.problem_count == 0);
    } else {
        CHECK(find_file(result, "locked/secret.txt") == nullptr);
        CHECK(result.files.size() == 1);
        CHECK(result.problem_count == 1);
        REQUIRE(result.problems.size() == 1);
        CHECK(result.problems[0].find(root + "/locked") != std::string::npos);
        CHECK(result.problems[0].find(std::strerror(EACCES)) != std::string::npos);
    }
}

TEST_CASE("a missing root is a problem, and the other roots are still scanned") {
    TempDir tmp;
    std::string missing = tmp / "not-there";
    std::string present = tmp / "share";
    make_dirs(present);
    write_file(present + "/a.txt", 1);
    write_file(tmp / "plain-file", 1);

    ScanResult result = scan_roots({missing, present, tmp / "plain-file"});
    CHECK(result.problem_count == 2);
    REQUIRE(result.problems.size() == 2);
    CHECK(result.problems[0].find(missing) != std::string::npos);
    CHECK(result.problems[0].find(std::strerror(ENOENT)) != std::string::npos);
    CHECK(result.problems[1].find(tmp / "plain-file") != std::string::npos);
    CHECK(result.problems[1].find(std::strerror(ENOTDIR)) != std::string::npos);
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].root == 1);
    CHECK(result.files[0].rel_path == "a.txt");
}

TEST_CASE("scan of no roots is empty") {
    ScanResult result = scan_roots({});
    CHECK(result.files.empty());
    CHECK(result.problems.empty());
    CHECK(result.problem_count == 0);
    CHECK(result.skipped_links == 0);
}

TEST_CASE("scan ignores FIFOs and sockets") {
    TempDir tmp;
    std::string root = tmp / "share";
    make_dirs(root);
    write_file(root + "/regular.txt", 1);
    REQUIRE(::mkfifo((root + "/fifo").c_str(), 0600) == 0);

    std::string socket_path = root + "/sock";
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(socket_path.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    ::close(fd);
    REQUIRE_MESSAGE(bound == 0, std::strerror(errno));
    // A link to a FIFO inside the root is not a regular file either.
    make_symlink("fifo", root + "/fifo-link");

    struct stat st {};
    REQUIRE(::lstat(socket_path.c_str(), &st) == 0);
    REQUIRE(S_ISSOCK(st.st_mode));

    ScanResult result = scan_roots({root});
    INFO(all_problems(result));
    CHECK(rel_paths(result) == std::vector<std::string>{"regular.txt"});
    CHECK(result.problem_count == 0);
    CHECK(result.skipped_links == 1);
}

TEST_CASE("scan stops descending at max_scan_depth") {
    TempDir tmp;
    std::string root = tmp / "share";
    // Directories d, d/d, ... max_scan_depth + 2 levels deep, a file in each.
    std::string rel;
    for (std::size_t level = 1; level <= max_scan_depth + 2; ++level) {
        rel += rel.empty() ? "d" : "/d";
        make_dirs(root + "/" + rel);
        write_file(root + "/" + rel + "/f", level);
    }

    ScanResult result = scan_roots({root});
    INFO(all_problems(result));
    // Every directory up to max_scan_depth levels is read, the next refused.
    CHECK(result.files.size() == max_scan_depth);
    std::string deepest;
    for (std::size_t level = 1; level <= max_scan_depth; ++level)
        deepest += "d/";
    CHECK(find_file(result, deepest + "f") != nullptr);
    CHECK(find_file(result, deepest + "d/f") == nullptr);
    CHECK(result.problem_count == 1);
    REQUIRE(result.problems.size() == 1);
    CHECK(result.problems[0].find(root + "/" + deepest + "d") != std::string::npos);
}

TEST_CASE("real_path resolves links and fails empty") {
    TempDir tmp;
    make_dirs(tmp / "dir");
    write_file(tmp / "dir/file", 1);
    make_symlink("dir/file", tmp / "link");
    std::string real_tmp = real_path(tmp.path());
    REQUIRE_FALSE(real_tmp.empty());
    CHECK(real_tmp.front() == '/');
    CHECK(real_path(tmp / "link") == real_tmp + "/dir/file");
    CHECK(real_path(tmp / "dir/../dir/./file") == real_tmp + "/dir/file");

    CHECK(real_path(tmp / "missing").empty());
    CHECK(real_path(tmp / "missing/deeper").empty());
    CHECK(real_path(tmp / "dir/file/below").empty());
    make_symlink("nowhere", tmp / "dangling");
    CHECK(real_path(tmp / "dangling").empty());
}
