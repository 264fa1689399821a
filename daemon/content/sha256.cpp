// SPDX-License-Identifier: MIT
#include "content/sha256.h"

#include "util/text.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <fmt/format.h>

#include <cstring>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace napster::content {
namespace {

[[noreturn]] void openssl_failed(const char* call) {
    unsigned long code = ERR_get_error();
    char reason[256] = "no error queued";
    if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
    std::fprintf(stderr, "napster: OpenSSL cannot compute SHA-256 (%s failed: %s)\n", call, reason);
    std::abort();
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

std::string hex(const Digest& digest) {
    return hex_encode(
        std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

void write_digest(ByteWriter& w, const Digest& digest) {
    w.raw(ByteSpan(digest.data(), digest.size()));
}

Digest read_digest(ByteReader& r, const char* field) {
    Digest digest{};
    std::string raw = r.raw(field, digest.size());
    if (r.ok()) std::memcpy(digest.data(), raw.data(), digest.size());
    return digest;
}

Result<Digest> parse_digest(std::string_view text) {
    if (text.size() != 2 * digest_size)
        return make_error(
            ErrorCode::invalid_argument,
            fmt::format("a content hash is {} hex digits, not {}", 2 * digest_size, text.size()));
    Digest digest{};
    for (std::size_t i = 0; i < text.size(); ++i) {
        int value = hex_value(text[i]);
        if (value < 0)
            return make_error(ErrorCode::invalid_argument,
                              fmt::format("a content hash is hex digits only; character {} is '{}'",
                                          i + 1, printable(text.substr(i, 1))));
        // Even positions are a byte's high digit, odd ones its low digit.
        digest[i / 2] |= std::byte{static_cast<std::uint8_t>(i % 2 == 0 ? value << 4 : value)};
    }
    return digest;
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
    if (context_ == nullptr) openssl_failed("EVP_MD_CTX_new");
}

Sha256::~Sha256() {
    EVP_MD_CTX_free(context_);
}

Sha256::Sha256(Sha256&& other) noexcept : context_(std::exchange(other.context_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
    std::swap(context_, other.context_);
    return *this;
}

void Sha256::start() {
    // Re-initialising with the same method keeps the context's allocation.
    if (EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1)
        openssl_failed("EVP_DigestInit_ex");
}

void Sha256::add(ByteSpan bytes) {
    if (EVP_DigestUpdate(context_, bytes.data(), bytes.size()) != 1)
        openssl_failed("EVP_DigestUpdate");
}

Digest Sha256::finish() {
    Digest digest{};
    auto* out = reinterpret_cast<unsigned char*>(digest.data());
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_, out, &length) != 1 || length != digest.size())
        openssl_failed("EVP_DigestFinal_ex");
    return digest;
}

Digest Sha256::of(ByteSpan bytes) {
    start();
    add(bytes);
    return finish();
}

} // namespace napster::content
