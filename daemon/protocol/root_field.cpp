// SPDX-License-Identifier: MIT
#include "protocol/root_field.h"

#include <fmt/format.h>

#include <cstring>

namespace napster::protocol {

void write_root(ByteWriter& w, const RootHash& root) {
    if (!root) return w.u8(0);
    w.u8(static_cast<std::uint8_t>(content::digest_size));
    w.raw(ByteSpan(root->data(), root->size()));
}

RootHash read_root(ByteReader& r, const char* field) {
    std::uint8_t length = r.u8(field);
    if (!r.ok() || length == 0) return std::nullopt;
    if (length != content::digest_size) {
        r.fail(fmt::format("{} is {} bytes, not 0 or {}", field, length, content::digest_size));
        return std::nullopt;
    }
    std::string bytes = r.raw(field, length);
    if (!r.ok()) return std::nullopt;
    content::Digest digest{};
    std::memcpy(digest.data(), bytes.data(), digest.size());
    return digest;
}

} // namespace napster::protocol
