// SPDX-License-Identifier: MIT
#pragma once

// The transfer channel. After HELLO/WELCOME the downloader may send
// GET_HASHES any number of times (each answered by HASHES or ERROR), then
// one GET; the holder answers ERROR, or GET_OK followed by exactly
// `length` raw bytes outside any frame, and closes.

#include "protocol/message_codec.h"
#include "protocol/root_field.h"

#include <string>
#include <vector>

namespace napster::protocol {

inline constexpr std::uint32_t unknown_peer_id = 0xFFFFFFFF;

struct Get {
    static constexpr MessageType type = MessageType::get;
    std::uint32_t requester_id = unknown_peer_id; // for the holder's log
    std::string requester_name;
    std::uint64_t file_id = 0; // as the index listed it for this holder
    std::string name;          // must match the holder's entry for file_id
    RootHash root;             // set: serve only this content
    std::uint64_t offset = 0;  // first byte wanted
    std::uint64_t length = 0;  // bytes wanted from offset; 0: to the end

    void write(ByteWriter& w) const;
    static Get read(ByteReader& r);

    friend bool operator==(const Get&, const Get&) = default;
};

struct GetOk {
    static constexpr MessageType type = MessageType::get_ok;
    std::uint64_t size = 0;   // the whole file
    RootHash root;            // the holder's root for it; none if not hashed yet
    std::uint64_t offset = 0; // as asked
    std::uint64_t length = 0; // raw bytes that follow

    void write(ByteWriter& w) const;
    static GetOk read(ByteReader& r);

    friend bool operator==(const GetOk&, const GetOk&) = default;
};

// Asks for the leaf hashes of blocks first .. first + count - 1 of the
// file with this root.
struct GetHashes {
    static constexpr MessageType type = MessageType::get_hashes;
    std::uint64_t file_id = 0;
    std::string name;
    content::Digest root{};
    std::uint64_t first = 0;
    std::uint32_t count = 0; // 1..max_hashes_per_reply

    void write(ByteWriter& w) const;
    static GetHashes read(ByteReader& r);

    friend bool operator==(const GetHashes&, const GetHashes&) = default;
};

// The leaves asked for, or fewer when the file has fewer blocks past
// `first` (none when first is past the last block).
struct Hashes {
    static constexpr MessageType type = MessageType::hashes;
    content::Digest root{};
    std::uint64_t size = 0; // the file's, which fixes its block count
    std::uint64_t first = 0;
    std::vector<content::Digest> leaves; // 0..max_hashes_per_reply

    void write(ByteWriter& w) const;
    static Hashes read(ByteReader& r);

    friend bool operator==(const Hashes&, const Hashes&) = default;
};

} // namespace napster::protocol
