// SPDX-License-Identifier: MIT
// hash_throughput FILE: hashes FILE with hash_file, the code napeerd uses,
// and prints its root, its size and how long it took. bench/hash_vs_openssl
// times it against `openssl dgst -sha256` on the same file.

#include "content/hash_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: hash_throughput FILE\n");
        return 2;
    }
    int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        std::fprintf(stderr, "hash_throughput: cannot open %s: %s\n", argv[1],
                     std::strerror(errno));
        return 1;
    }
    auto start = std::chrono::steady_clock::now();
    auto hashed = napster::content::hash_file(fd, static_cast<std::uint64_t>(st.st_size));
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    ::close(fd);
    if (!hashed.ok()) {
        std::fprintf(stderr, "hash_throughput: %s: %s\n", argv[1], hashed.error().message.c_str());
        return 1;
    }
    std::printf("%s  %llu bytes  %zu blocks  %.3f s\n", napster::content::hex(hashed->root).c_str(),
                static_cast<unsigned long long>(hashed->size), hashed->blocks.size(), took.count());
    return 0;
}
