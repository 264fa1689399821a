// SPDX-License-Identifier: MIT
#pragma once

// Test bytes whose byte i is i % 251: 251 is prime, so no two blocks of a
// power-of-two size are alike, and a range read, written or hashed in the
// wrong place shows.

#include "util/byte_codec.h"

#include <cstddef>
#include <cstdint>

namespace napster::test {

inline Bytes pattern(std::size_t size) {
    Bytes out(size);
    for (std::size_t i = 0; i < size; ++i)
        out[i] = std::byte{static_cast<std::uint8_t>(i % 251)};
    return out;
}

} // namespace napster::test
