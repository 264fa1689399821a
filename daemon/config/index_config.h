// SPDX-License-Identifier: MIT
#pragma once

// napindexd's configuration: one struct, its defaults here and nowhere else.

#include "util/log.h"
#include "util/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace napster {

inline constexpr const char* default_index_config_path = "/etc/napster/index.toml";

struct IndexConfig {
    std::string listen_address = "0.0.0.0"; // [listen] address: IPv4 or IPv6 literal
    std::uint16_t listen_port = 5015;       // [listen] port: 0 picks a free one
    std::uint32_t max_peers = 10000;        // [limits] max_peers
    std::uint32_t max_files_per_peer = 1000000;
    std::uint32_t max_results = 100;        // [limits] max_results: 1..1000
    // [limits] max_counted_matches: a word search stops counting here and
    // answers "at least"; below max_results counts as max_results.
    std::uint32_t max_counted_matches = 1000;
    // [limits] peer_timeout: seconds of silence after which a peer's files
    // are dropped; the index pings every third of it. 3..86400.
    std::uint32_t peer_timeout = 60;
    // [limits] handshake_timeout: seconds a connection has to send HELLO
    // and REGISTER. 1..3600.
    std::uint32_t handshake_timeout = 10;
    // [limits] max_pending: connections that have not registered yet; at
    // the cap the oldest of them is dropped. 0 = no cap.
    std::uint32_t max_pending = 256;
    // [limits] max_per_address: connections from one IP address at once;
    // at the cap its oldest unregistered one is dropped, or, if all are
    // registered, the new one refused. 0 = no cap.
    std::uint32_t max_per_address = 64;
    LogLevel log_level = LogLevel::info;    // [log] level
    // [log] search_lines_per_second: searches a second logged each on its
    // own line at info; the rest are summed up once a second. 0..1000000.
    std::uint32_t search_lines_per_second = 20;

    std::string source; // the file it was read from, "" for built-in defaults

    friend bool operator==(const IndexConfig&, const IndexConfig&) = default;
};

// Parses TOML text. `source_name` prefixes every error as
// "SOURCE:LINE:COLUMN: message". Unknown keys, wrong types and out-of-range
// values are errors. Pure: no I/O.
Result<IndexConfig> parse_index_config(std::string_view text, std::string_view source_name);

// Reads and parses `path`. A missing file is an error unless
// `missing_means_defaults` (the default path was not given explicitly).
Result<IndexConfig> load_index_config(const std::string& path, bool missing_means_defaults);

// The effective config as TOML that parse_index_config accepts again.
std::string format_index_config(const IndexConfig& config);

} // namespace napster
