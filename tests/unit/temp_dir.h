// SPDX-License-Identifier: MIT
#pragma once

// A directory under /tmp for one test case, removed with everything in it
// when the case ends (also when a REQUIRE throws). Permissions a test took
// away are given back first, so a non-root run can remove what it locked.

#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace napster::test {

class TempDir {
public:
    TempDir() {
        char name[] = "/tmp/napster-test-XXXXXX";
        REQUIRE_MESSAGE(mkdtemp(name) != nullptr, std::strerror(errno));
        path_ = name;
    }
    ~TempDir() {
        namespace fs = std::filesystem;
        std::error_code ec;
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
        for (auto it = fs::recursive_directory_iterator(path_, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it->is_directory(ec) && !it->is_symlink(ec))
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
        }
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

} // namespace napster::test
