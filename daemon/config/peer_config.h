// SPDX-License-Identifier: MIT
#pragma once

// napeerd's configuration: one struct, its defaults here and nowhere else.

#include "util/log.h"
#include "util/peer_environment.h"
#include "util/result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace napster {

inline constexpr const char* default_peer_config_path = "/etc/napster/peer.toml";

struct PeerConfig {
    std::string name;                         // 1..64 bytes, no control characters
    std::string index_address = "127.0.0.1";  // [index] address: IP literal or host name
    std::uint16_t index_port = 5015;          // [index] port: 1..65535
    std::string upload_address = "0.0.0.0";   // [upload] address: IP literal
    std::uint16_t upload_port = 6020;         // [upload] port: 0 picks a free one
    // [upload] max_concurrent: uploads sending at once; a GET beyond it is
    // answered ERROR busy. 1..10000.
    std::uint32_t upload_max_concurrent = 8;
    // [upload] handshake_timeout: seconds a downloader has to send HELLO
    // and GET. 1..3600.
    std::uint32_t upload_handshake_timeout = 10;
    // [upload] idle_timeout: seconds an upload may go without the
    // downloader taking a byte. 1..86400.
    std::uint32_t upload_idle_timeout = 60;
    // [upload] max_pending, max_per_address: connections without a GET yet,
    // and connections from one address; at a cap the oldest without a GET
    // is dropped. 0 = no cap.
    std::uint32_t upload_max_pending = 64;
    std::uint32_t upload_max_per_address = 16;
    // [upload] rate_limit, [download] rate_limit: bytes/s across every
    // upload, and every download; 0 = none. 0..2^40. SIGHUP applies them.
    std::uint64_t upload_rate_limit = 0;
    std::uint64_t download_rate_limit = 0;
    std::vector<std::string> share_dirs = {"/srv/napster/share"}; // absolute paths
    std::string download_dir = "/srv/napster/downloads";         // absolute path
    // [share] rescan_interval: seconds between full rescans once inotify
    // cannot follow a share (watch limit reached, event queue overflow);
    // 0 = never. 0..86400.
    std::uint32_t rescan_interval = 300;
    // [share] hash_jobs: hashing jobs at once on the thread pool (each one
    // large file or up to 64 small ones), so that hashing leaves threads
    // to uploads and downloads. 1..16.
    std::uint32_t hash_jobs = 1;
    // state_dir: the hash cache and partial downloads' state; absolute.
    // Default: default_state_dir(). Empty: none known (no cache is kept).
    std::string state_dir;
    // [download] max_sources: holders one download pulls from at once,
    // when several hold the same content (same root). 1..32.
    std::uint32_t download_max_sources = 4;
    // [download] min_rate, min_rate_window: a holder sending less than
    // min_rate bytes/s over min_rate_window seconds is dropped for this
    // download (0 = no minimum). 0..2^40; 1..3600.
    std::uint64_t download_min_rate = 1024;
    std::uint32_t download_min_rate_window = 30;
    // [download] keep_partial: seconds an interrupted download's partial
    // file is kept for resuming after the last fetch touched it; then it
    // is removed (at start and daily). 0 = removed at the next start.
    std::uint32_t download_keep_partial = 7 * 86400;
    std::string control_socket;               // [control] socket: absolute, < 108 bytes
    // [control] handshake_timeout: seconds napctl has to send HELLO and
    // its request. 1..3600.
    std::uint32_t control_handshake_timeout = 10;
    // [control] max_pending: connections without a request yet; at the cap
    // the oldest is dropped. max_per_user: connections of one uid at once.
    // 0 = no cap.
    std::uint32_t control_max_pending = 32;
    std::uint32_t control_max_per_user = 16;
    LogLevel log_level = LogLevel::info;

    std::string source; // the file it was read from, "" for built-in defaults

    friend bool operator==(const PeerConfig&, const PeerConfig&) = default;
};

// Parses TOML text; errors read "SOURCE:LINE:COLUMN: message". Pure.
Result<PeerConfig> parse_peer_config(std::string_view text, std::string_view source_name,
                                     const PeerEnvironment& env);

// Reads and parses `path`; a missing file means all defaults only when
// `missing_means_defaults`.
Result<PeerConfig> load_peer_config(const std::string& path, bool missing_means_defaults,
                                    const PeerEnvironment& env);

// The effective config as TOML that parse_peer_config accepts again.
std::string format_peer_config(const PeerConfig& config);

} // namespace napster
