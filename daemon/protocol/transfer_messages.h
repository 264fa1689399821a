// SPDX-License-Identifier: MIT
#pragma once

// The transfer channel: one download per connection. After HELLO/WELCOME
// the downloader sends GET; the holder answers ERROR, or GET_OK followed by
// exactly `length` raw bytes outside any frame, and closes.

#include "protocol/message_codec.h"

#include <string>

namespace napster::protocol {

inline constexpr std::uint32_t unknown_peer_id = 0xFFFFFFFF;

struct Get {
    static constexpr MessageType type = MessageType::get;
    std::uint32_t requester_id = unknown_peer_id; // for the holder's log
    std::string requester_name;
    std::uint64_t file_id = 0; // as the index listed it for this holder
    std::string name;          // must match the holder's entry for file_id
    std::uint64_t offset = 0;  // resume point; 0 for a whole file

    void write(ByteWriter& w) const;
    static Get read(ByteReader& r);

    friend bool operator==(const Get&, const Get&) = default;
};

struct GetOk {
    static constexpr MessageType type = MessageType::get_ok;
    std::uint64_t size = 0;   // the whole file
    std::uint64_t length = 0; // raw bytes that follow: size - offset

    void write(ByteWriter& w) const;
    static GetOk read(ByteReader& r);

    friend bool operator==(const GetOk&, const GetOk&) = default;
};

} // namespace napster::protocol
