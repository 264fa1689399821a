// SPDX-License-Identifier: MIT
#include "config/index_config.h"

#include "config/toml_support.h"
#include "util/text.h"

#include <fmt/format.h>

namespace napster {
namespace {

constexpr std::string_view index_keys[] = {
    "listen.address",     "listen.port", "limits.max_peers", "limits.max_files_per_peer",
    "limits.max_results", "limits.max_counted_matches", "limits.peer_timeout", "limits.handshake_timeout", "limits.max_pending",
    "limits.max_per_address", "log.level", "log.search_lines_per_second",
};

} // namespace

Result<IndexConfig> parse_index_config(std::string_view text, std::string_view source_name) {
    Result<toml::table> document = parse_toml(text, source_name);
    if (!document) return document.error();

    IndexConfig config;
    ConfigChecker check(*document, source_name);
    check.reject_unknown_keys(index_keys);
    check.read_string("listen.address", config.listen_address, ip_address_rule);
    check.read_integer("listen.port", 0, 65535, config.listen_port);
    check.read_integer("limits.max_peers", 1, 1'000'000, config.max_peers);
    check.read_integer("limits.max_files_per_peer", 1, 100'000'000, config.max_files_per_peer);
    check.read_integer("limits.max_results", 1, 1000, config.max_results);
    check.read_integer("limits.max_counted_matches", 1, 100'000'000, config.max_counted_matches);
    check.read_integer("limits.peer_timeout", 3, 86400, config.peer_timeout);
    check.read_integer("limits.handshake_timeout", 1, 3600, config.handshake_timeout);
    check.read_integer("limits.max_pending", 0, 1'000'000, config.max_pending);
    check.read_integer("limits.max_per_address", 0, 1'000'000, config.max_per_address);
    check.read_log_level("log.level", config.log_level);
    check.read_integer("log.search_lines_per_second", 0, 1'000'000, config.search_lines_per_second);
    if (check.failed()) return check.error();

    config.source = std::string(source_name);
    return config;
}

Result<IndexConfig> load_index_config(const std::string& path, bool missing_means_defaults) {
    Result<std::optional<std::string>> text = read_config_file(path, missing_means_defaults);
    if (!text) return text.error();
    if (!*text) return IndexConfig{};
    Result<IndexConfig> config = parse_index_config(**text, printable(path));
    if (config) config->source = path;
    return config;
}

std::string format_index_config(const IndexConfig& config) {
    return effective_config_header(config.source) +
           fmt::format("\n[listen]\n"
                       "address = {}\n"
                       "port = {}\n"
                       "\n[limits]\n"
                       "max_peers = {}\n"
                       "max_files_per_peer = {}\n"
                       "max_results = {}\n"
                       "max_counted_matches = {}\n"
                       "peer_timeout = {}\n"
                       "handshake_timeout = {}\n"
                       "max_pending = {}\n"
                       "max_per_address = {}\n"
                       "\n[log]\n"
                       "level = {}\n"
                       "search_lines_per_second = {}\n",
                       toml_quote(config.listen_address), config.listen_port, config.max_peers,
                       config.max_files_per_peer, config.max_results, config.max_counted_matches,
                       config.peer_timeout,
                       config.handshake_timeout, config.max_pending, config.max_per_address, toml_quote(log_level_name(config.log_level)),
                       config.search_lines_per_second);
}

} // namespace napster
