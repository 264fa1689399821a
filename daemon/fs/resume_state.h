// SPDX-License-Identifier: MIT
#pragma once

// What an interrupted download keeps beside its partial file so that a
// later fetch of the same content, or napeerd after a restart, can go on
// from the blocks already verified, from any holder. The partial file
// holds the bytes; this says which of its blocks were checked against
// their leaf hash (they are checked again on resume: the state may be
// newer than the bytes on disk after a crash) and where the file goes.
//
// File format, integers big-endian:
//   magic        8 bytes  "NAPRESUM"
//   version      u32      1 (resume_state_version)
//   root         32 bytes the content's root
//   size         u64      the content's size, which fixes the block count
//   name         u16 length + bytes: the file name to save as
//   output_dir   u16 length + bytes: absolute directory it is saved in
//   verified     ceil(block_count / 8) bytes, block i in bit (7 - i % 8)
//                of byte i / 8; the bits past the last block are 0
//   checksum     32 bytes SHA-256 of every byte before it
// A torn, truncated or edited file fails the checksum and is refused as a
// whole. Pure code: reading and writing the file is the caller's.

#include "content/sha256.h"
#include "util/byte_codec.h"
#include "util/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace napster {

inline constexpr std::uint32_t resume_state_version = 1;

struct ResumeState {
    content::Digest root{};
    std::uint64_t size = 0;
    std::string name;
    std::string output_dir;
    std::vector<bool> verified; // block_count(size) entries

    std::uint64_t verified_count() const;
    bool operator==(const ResumeState&) const = default;
};

Bytes encode_resume_state(const ResumeState& state);

// Refuses, as malformed with a message naming no path: another file, another
// version, a damaged or inconsistent one (a name that is not one file name,
// a relative output dir, a bitmap of the wrong length or with bits set past
// the last block).
Result<ResumeState> decode_resume_state(ByteSpan bytes);

} // namespace napster
