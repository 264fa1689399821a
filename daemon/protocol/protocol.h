// SPDX-License-Identifier: MIT
#pragma once

// The napster wire protocol: one framing for all three channels
// (index <-> peer, peer <-> peer, napctl <-> napeerd), the message types and
// the limits every decoder enforces. man/napster-protocol.7 is written from
// this header and changes with it.
//
// Versions. The rule: a changed layout is a new version or a new message
// type, never an edit in place. Each side speaks a range of versions; HELLO
// carries the connecting side's range and WELCOME the one the accepting side
// chose (the highest both speak).
//   1  first version: HELLO/WELCOME handshake, batched FILES_ADD and
//      FILES_REMOVE, SEARCH with holders, GET with a raw byte stream after
//      GET_OK, the control channel's FETCH/STATUS/SHARES/RESCAN.
//   2  HELLO gains min_version after channel (its version field is the
//      sender's highest); STATUS_RESULT ends with watch_state, watched_dirs
//      and rescan_interval (sent by 0.1.0 under version 1, which was the
//      fault this version repairs); ERROR code permission_denied.
//   3  content identity: a root (str8 of 0 or 32 bytes, the hash tree of
//      content/hash_tree.h) in FILE_ENTRY (was a free-form hash string),
//      SEARCH (search by content), SEARCH_RESULT hits (grouped by root) and
//      GET/GET_OK; each holder in a hit has its own name; GET gains length
//      (a range); GET_HASHES/HASHES give a file's block hashes; FETCH gains
//      root, FETCH_DONE root and verified, STATUS_RESULT hashing progress;
//      SEARCH_RESULT flags (total_matches a lower bound); FETCH_PROGRESS
//      sources and STATUS_RESULT download_sources (the holders downloads
//      pull from, several at once); the control channel's RELOAD and
//      RELOAD_RESULT (re-read the config file); FETCH ends with output_fd,
//      and its output dir comes as a directory descriptor (SCM_RIGHTS), not
//      as a path napeerd opens; transfer management: FETCH_PROGRESS
//      gains transfer_id, phase and elapsed_ms (and one is sent at once
//      when the download starts), TRANSFERS/TRANSFERS_RESULT, CANCEL/
//      CANCEL_DONE and WAIT (0x0310-0x0314), WATCH/WATCH_UPDATE (0x0315,
//      0x0316). Not yet released:
//      it stays open until the next release fixes it.
//      Version 2 was never released (0.1.0 spoke 1), so no build speaks it.

#include "util/result.h"

#include <cstddef>
#include <cstdint>

namespace napster::protocol {

// The versions this build speaks, lowest and highest. Version 1 is not
// spoken: its STATUS_RESULT layout was never fixed; nor 2, never released.
inline constexpr std::uint16_t min_version = 3;
inline constexpr std::uint16_t version = 3;
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
// STATUS_RESULT's index_address: the configured index, a host name of up
// to 253 bytes with its port, cut to what a str8 holds.
inline constexpr std::size_t max_index_target = 255;
inline constexpr std::size_t max_dir_path = 4096;
// FETCH_PROGRESS lists at most this many holders a download pulls from
// (download.max_sources is at most 32); STATUS_RESULT at most
// max_status_sources over every download.
inline constexpr std::size_t max_fetch_sources = 32;
inline constexpr std::size_t max_status_sources = 1024;
// RELOAD_RESULT lists at most this many changed keys (and share dirs).
inline constexpr std::size_t max_reload_changes = 1024;
inline constexpr std::size_t max_config_key = 64;
// TRANSFERS_RESULT lists at most this many transfers (each up to about
// 3.5 KiB with its sources and error text: the frame stays under 1 MiB).
inline constexpr std::size_t max_transfers_listed = 256;
// HASHES carries at most this many block hashes (512 KiB of them).
inline constexpr std::uint32_t max_hashes_per_reply = 16384;
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
    get_hashes = 0x0203,
    hashes = 0x0204,
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
    // control channel: transfer management
    transfers = 0x0310,
    transfers_result = 0x0311,
    cancel = 0x0312,
    cancel_done = 0x0313,
    wait = 0x0314,
    watch = 0x0315,
    watch_update = 0x0316,
    // control channel: reload (0x0320..0x0327)
    reload = 0x0320,
    reload_result = 0x0321,
};

// Carried in ERROR frames, beside a text for humans: the same codes every
// Error carries (util/result.h).
using napster::ErrorCode;

const char* message_type_name(MessageType type);
const char* error_code_name(ErrorCode code);

} // namespace napster::protocol
