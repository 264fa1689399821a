// SPDX-License-Identifier: MIT
#include "protocol/root_field.h"

#include <fmt/format.h>


namespace napster::protocol {

void write_root(ByteWriter& w, const RootHash& root) {
    if (!root) return w.u8(0);
    w.u8(static_cast<std::uint8_t>(content::digest_size));
    content::write_digest(w, *root);
}

RootHash read_root(ByteReader& r, const char* field) {
    std::uint8_t length = r.u8(field);
    if (!r.ok() || length == 0) return std::nullopt;
    if (length != content::digest_size) {
        r.fail(fmt::format("{} is {} bytes, not 0 or {}", field, length, content::digest_size));
        return std::nullopt;
    }
    content::Digest digest = content::read_digest(r, field);
    if (!r.ok()) return std::nullopt;
    return digest;
}

} // namespace napster::protocol
