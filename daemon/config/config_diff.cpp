// SPDX-License-Identifier: MIT
#include "config/config_diff.h"

#include "config/toml_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace napster {
namespace {

std::string value_text(const std::string& value) { return toml_quote(value); }
std::string value_text(const std::vector<std::string>& value) { return toml_string_array(value); }
std::string value_text(LogLevel value) { return toml_quote(log_level_name(value)); }
template <typename Number> std::string value_text(Number value) { return fmt::format("{}", value); }

// One key of a config struct: where it lives, and whether a reload can
// apply it. The tables below list every key of the file, in its order.
template <typename Config> struct KeyRule {
    const char* key;
    bool live;
    bool (*differs)(const Config&, const Config&);
    std::string (*text)(const Config&);
    void (*copy)(Config&, const Config&);
};

template <auto Member, typename Config> constexpr KeyRule<Config> rule(const char* key, bool live) {
    return {key, live, [](const Config& a, const Config& b) { return a.*Member != b.*Member; },
            [](const Config& c) { return value_text(c.*Member); },
            [](Config& to, const Config& from) { to.*Member = from.*Member; }};
}

constexpr bool live = true;
constexpr bool restart = false;

// napeerd: what names it at the index, what it binds and where it keeps
// files need a restart; limits, rates, timeouts, the log level and the
// share dirs do not (napeerd(8), RELOAD).
using P = PeerConfig;
constexpr std::array peer_rules{
    rule<&P::name, P>("name", restart),
    rule<&P::state_dir, P>("state_dir", restart),
    rule<&P::index_address, P>("index.address", restart),
    rule<&P::index_port, P>("index.port", restart),
    rule<&P::upload_address, P>("upload.address", restart),
    rule<&P::upload_port, P>("upload.port", restart),
    rule<&P::upload_max_concurrent, P>("upload.max_concurrent", live),
    rule<&P::upload_handshake_timeout, P>("upload.handshake_timeout", live),
    rule<&P::upload_idle_timeout, P>("upload.idle_timeout", live),
    rule<&P::upload_max_pending, P>("upload.max_pending", live),
    rule<&P::upload_max_per_address, P>("upload.max_per_address", live),
    rule<&P::upload_rate_limit, P>("upload.rate_limit", live),
    rule<&P::share_dirs, P>("share.dirs", live),
    rule<&P::download_dir, P>("share.download_dir", restart),
    rule<&P::rescan_interval, P>("share.rescan_interval", live),
    rule<&P::hash_jobs, P>("share.hash_jobs", live),
    rule<&P::download_rate_limit, P>("download.rate_limit", live),
    rule<&P::download_max_sources, P>("download.max_sources", live),
    rule<&P::download_min_rate, P>("download.min_rate", live),
    rule<&P::download_min_rate_window, P>("download.min_rate_window", live),
    rule<&P::download_keep_partial, P>("download.keep_partial", live),
    rule<&P::control_socket, P>("control.socket", restart),
    rule<&P::control_handshake_timeout, P>("control.handshake_timeout", live),
    rule<&P::control_max_pending, P>("control.max_pending", live),
    rule<&P::control_max_per_user, P>("control.max_per_user", live),
    rule<&P::log_level, P>("log.level", live),
};

// napindexd: its listener needs a restart, and so do the limits sized at
// start (max_peers sets the descriptor limit; the catalog takes the search
// and per-peer limits when it is built) and the search log's rate.
using I = IndexConfig;
constexpr std::array index_rules{
    rule<&I::listen_address, I>("listen.address", restart),
    rule<&I::listen_port, I>("listen.port", restart),
    rule<&I::max_peers, I>("limits.max_peers", restart),
    rule<&I::max_files_per_peer, I>("limits.max_files_per_peer", restart),
    rule<&I::max_results, I>("limits.max_results", restart),
    rule<&I::max_counted_matches, I>("limits.max_counted_matches", restart),
    rule<&I::peer_timeout, I>("limits.peer_timeout", restart),
    rule<&I::handshake_timeout, I>("limits.handshake_timeout", live),
    rule<&I::max_pending, I>("limits.max_pending", live),
    rule<&I::max_per_address, I>("limits.max_per_address", live),
    rule<&I::log_level, I>("log.level", live),
    rule<&I::search_lines_per_second, I>("log.search_lines_per_second", restart),
};

template <typename Config, std::size_t N>
ConfigDiff diff_by(const std::array<KeyRule<Config>, N>& rules, const Config& running, const Config& fresh) {
    ConfigDiff diff;
    for (const auto& r : rules)
        if (r.differs(running, fresh)) diff.changes.push_back({r.key, r.text(running), r.text(fresh), r.live});
    return diff;
}

template <typename Config, std::size_t N>
void apply_by(const std::array<KeyRule<Config>, N>& rules, Config& running, const Config& fresh) {
    for (const auto& r : rules)
        if (r.live) r.copy(running, fresh);
}

// What `from` has and `of` lacks, in `from`'s order.
std::vector<std::string> missing(const std::vector<std::string>& from, const std::vector<std::string>& of) {
    std::vector<std::string> out;
    for (const auto& each : from)
        if (std::find(of.begin(), of.end(), each) == of.end() && std::find(out.begin(), out.end(), each) == out.end())
            out.push_back(each);
    return out;
}

} // namespace

std::vector<std::string> ConfigDiff::restart_keys() const {
    std::vector<std::string> keys;
    for (const auto& change : changes)
        if (!change.live) keys.push_back(change.key);
    return keys;
}

ConfigDiff diff_peer_config(const PeerConfig& running, const PeerConfig& fresh) {
    ConfigDiff diff = diff_by(peer_rules, running, fresh);
    diff.dirs_added = missing(fresh.share_dirs, running.share_dirs);
    diff.dirs_removed = missing(running.share_dirs, fresh.share_dirs);
    return diff;
}

void apply_live_keys(PeerConfig& running, const PeerConfig& fresh) { apply_by(peer_rules, running, fresh); }

ConfigDiff diff_index_config(const IndexConfig& running, const IndexConfig& fresh) {
    return diff_by(index_rules, running, fresh);
}

void apply_live_keys(IndexConfig& running, const IndexConfig& fresh) { apply_by(index_rules, running, fresh); }

} // namespace napster
