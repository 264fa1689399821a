// SPDX-License-Identifier: MIT
#pragma once

// The napster wire protocol: one framing for all three channels
// (index <-> peer, peer <-> peer, napctl <-> napeerd), the message types and
// the limits every decoder enforces. man/napster-protocol.7 is written from
// this header and changes with it.
//
// Versions:
//   1  first version: HELLO/WELCOME handshake, batched FILES_ADD and
//      FILES_REMOVE, SEARCH with holders, GET with a raw byte stream after
//      GET_OK, the control channel's FETCH/STATUS/SHARES/RESCAN.

#include <cstddef>
#include <cstdint>

namespace napster::protocol {

inline constexpr std::uint16_t version = 1;
inline constexpr std::uint32_t magic = 0x4E415053; // "NAPS"

// A frame is: u32 length (of what follows: type and payload), u16 type,
// payload. All integers are big-endian.
inline constexpr std::size_t frame_header_size = 6;
inline constexpr std::size_t max_frame_length = 1024 * 1024;

// Byte-string limits. Names are raw bytes as the file system holds them
// (UTF-8 or not); Linux allows 255 bytes a path component.
inline constexpr std::size_t max_file_name = 255;
inline constexpr std::size_t max_rel_path = 4096;
inline constexpr std::size_t max_peer_name = 64;
inline constexpr std::size_t max_query = 1024;
inline constexpr std::size_t max_error_text = 1024;
inline constexpr std::size_t max_address_text = 64;
inline constexpr std::size_t max_dir_path = 4096;
inline constexpr std::size_t max_hash = 64;
inline constexpr std::uint32_t max_batch_files = 4096;
inline constexpr std::uint16_t max_holders_per_result = 32;
inline constexpr std::uint32_t max_share_dirs = 256;

enum class Channel : std::uint8_t {
    index = 1,    // napeerd -> napindexd
    transfer = 2, // napeerd -> another napeerd's upload port
    control = 3,  // napctl -> napeerd's Unix socket
};

enum class MessageType : std::uint16_t {
    // every channel
    hello = 0x0001,
    welcome = 0x0002,
    error = 0x0003,
    ping = 0x0004,
    pong = 0x0005,
    // index channel
    register_peer = 0x0101,
    registered = 0x0102,
    files_add = 0x0103,
    files_remove = 0x0104,
    // index channel and control channel
    search = 0x0110,
    search_result = 0x0111,
    // transfer channel
    get = 0x0201,
    get_ok = 0x0202,
    // control channel
    fetch = 0x0301,
    fetch_progress = 0x0302,
    fetch_done = 0x0303,
    status = 0x0304,
    status_result = 0x0305,
    shares = 0x0306,
    shares_batch = 0x0307,
    shares_end = 0x0308,
    rescan = 0x0309,
    rescan_done = 0x030A,
};

// Carried in ERROR frames; the text beside it is for humans.
enum class ErrorCode : std::uint16_t {
    malformed = 1,          // frame or payload could not be decoded
    version_mismatch = 2,   // HELLO carried a version this side does not speak
    unexpected_message = 3, // valid message, wrong moment or wrong channel
    limit_exceeded = 4,     // a configured limit refused the request
    not_found = 5,          // no such file, peer or holder
    busy = 6,               // try again later
    io_error = 7,           // reading or writing a file failed
    invalid_argument = 8,   // a field was out of range
    not_connected = 9,      // napeerd is not registered at the index
    internal = 10,
};

const char* message_type_name(MessageType type);
const char* error_code_name(ErrorCode code);

} // namespace napster::protocol
