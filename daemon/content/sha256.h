// SPDX-License-Identifier: MIT
#pragma once

// SHA-256 digests, and computing them through OpenSSL's EVP interface (never
// a SHA-256 of our own: OpenSSL's uses the CPU's SHA instructions).

#include "util/byte_codec.h"
#include "util/result.h"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

struct evp_md_ctx_st; // OpenSSL's EVP_MD_CTX, kept out of this header

namespace napster::content {

inline constexpr std::size_t digest_size = 32;
using Digest = std::array<std::byte, digest_size>;

// 64 lowercase hex digits, as search results show a content hash.
std::string hex(const Digest& digest);

// The inverse of hex(); either case is accepted, so a hash pasted from
// anywhere works. Anything but 64 hex digits is invalid_argument, with a
// message saying what was wrong.
Result<Digest> parse_digest(std::string_view text);

// A digest as 32 raw bytes in a binary format (the wire, the cache files).
void write_digest(ByteWriter& w, const Digest& digest);
Digest read_digest(ByteReader& r, const char* field);

// One SHA-256 computation at a time: start(), any number of add(), finish(),
// then start() again. The EVP context is allocated once and reused, so
// hashing a file block after block allocates nothing per block.
//
// Owns its EVP_MD_CTX (movable, not copyable). Thread-compatible: one thread
// at a time per object; separate objects may run on separate threads.
//
// OpenSSL fails these calls only when it is out of memory or broken (a
// configuration that loads no provider of SHA-256). Going on would give
// files wrong identities, so such a failure ends the process with OpenSSL's
// error text on stderr, as running out of memory would.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    // A moved-from object may only be assigned to or destroyed.
    Sha256(Sha256&& other) noexcept;
    Sha256& operator=(Sha256&& other) noexcept;
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void start();
    void add(ByteSpan bytes);
    Digest finish();

    // start(), add(bytes), finish() in one call.
    Digest of(ByteSpan bytes);

private:
    evp_md_ctx_st* context_ = nullptr;
};

} // namespace napster::content
