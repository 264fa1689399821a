// SPDX-License-Identifier: MIT
#include "config/peer_config.h"

#include "config/toml_support.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>

namespace napster {
namespace {

constexpr std::string_view peer_keys[] = {
    "name",
    "state_dir",
    "index.address",
    "index.port",
    "upload.address",
    "upload.port",
    "upload.max_concurrent",
    "upload.handshake_timeout",
    "upload.idle_timeout",
    "upload.max_pending",
    "upload.max_per_address",
    "upload.rate_limit",
    "share.dirs",
    "share.download_dir",
    "share.rescan_interval",
    "share.hash_jobs",
    "download.rate_limit",
    "download.max_sources",
    "download.min_rate",
    "download.min_rate_window",
    "download.keep_partial",
    "control.socket",
    "control.handshake_timeout",
    "control.max_pending",
    "control.max_per_user",
    "log.level",
};

constexpr std::size_t max_name_bytes = 64;
constexpr std::size_t max_share_dirs = 256;
constexpr std::size_t max_host_name_bytes = 253; // RFC 1035, without the root dot
constexpr std::size_t max_label_bytes = 63;

constexpr const char* fallback_peer_name = "napeerd";

// C0 controls, DEL and the C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F):
// a name is shown on other peers' terminals, where these move the cursor.
bool has_control_character(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto byte = static_cast<unsigned char>(s[i]);
        if (byte < 0x20 || byte == 0x7f) return true;
        if (byte == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9f)
            return true;
    }
    return false;
}

std::string name_rule(std::string_view value) {
    if (value.empty()) return "must not be empty";
    if (value.size() > max_name_bytes)
        return fmt::format("must be at most {} bytes long, not {}", max_name_bytes, value.size());
    // Only a host name can fail this: toml++ accepts UTF-8 alone.
    if (!is_valid_utf8(value)) return "must be valid UTF-8";
    if (has_control_character(value)) return "must not contain control characters";
    return "";
}

bool is_host_label(std::string_view label) {
    if (label.empty() || label.size() > max_label_bytes) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    return std::all_of(label.begin(), label.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-';
    });
}

bool is_all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A DNS name as a resolver takes it. A last label of digits alone is refused
// (no top-level domain is numeric): "10.1.1.300" is a mistyped address, and
// getaddrinfo would read "127.1" as 127.0.0.1.
bool is_host_name(std::string_view name) {
    if (name.empty() || name.size() > max_host_name_bytes) return false;
    std::string_view last_label;
    while (true) {
        std::size_t dot = name.find('.');
        std::string_view label = name.substr(0, dot);
        if (!is_host_label(label)) return false;
        last_label = label;
        if (dot == std::string_view::npos) break;
        name.remove_prefix(dot + 1);
    }
    return !is_all_digits(last_label);
}

std::string host_rule(std::string_view value) {
    if (ip_address_rule(value).empty() || is_host_name(value)) return "";
    return fmt::format("must be an IP address or a host name, not {}", quote_for_message(value));
}

void read_share_dirs(ConfigChecker& check, std::vector<std::string>& out) {
    const toml::node* node = check.find("share.dirs");
    if (!node) return;
    const toml::array* dirs = check.array_value(*node, "share.dirs");
    if (!dirs) return;
    if (dirs->size() > max_share_dirs) {
        check.report(node->source(),
                     fmt::format("share.dirs must list at most {} directories, not {}",
                                 max_share_dirs, dirs->size()));
        return;
    }
    std::vector<std::string> result;
    for (std::size_t i = 0; i < dirs->size(); ++i) {
        const toml::node& entry = *dirs->get(i);
        std::string name = fmt::format("share.dirs[{}]", i);
        std::optional<std::string> dir = check.path_value(entry, name);
        if (!dir) continue;
        // Compared after normalising: "/srv/a/" and "/srv/a" are one directory,
        // which would otherwise be watched and announced twice.
        auto earlier = std::find(result.begin(), result.end(), *dir);
        if (earlier != result.end()) {
            check.report(entry.source(),
                         fmt::format("{} repeats share.dirs[{}] ({})", name,
                                     earlier - result.begin(), quote_for_message(*dir)));
        }
        result.push_back(std::move(*dir));
    }
    out = std::move(result);
}

PeerConfig peer_defaults(const PeerEnvironment& env) {
    PeerConfig config;
    config.name = name_rule(env.host_name).empty() ? env.host_name : fallback_peer_name;
    config.control_socket = default_control_socket(env);
    config.state_dir = default_state_dir(env);
    return config;
}

} // namespace

Result<PeerConfig> parse_peer_config(std::string_view text, std::string_view source_name,
                                     const PeerEnvironment& env) {
    Result<toml::table> document = parse_toml(text, source_name);
    if (!document) return document.error();

    PeerConfig config = peer_defaults(env);
    ConfigChecker check(*document, source_name);
    check.reject_unknown_keys(peer_keys);
    check.read_string("name", config.name, name_rule);
    check.read_path("state_dir", config.state_dir);
    check.read_string("index.address", config.index_address, host_rule);
    check.read_integer("index.port", 1, 65535, config.index_port);
    check.read_string("upload.address", config.upload_address, ip_address_rule);
    check.read_integer("upload.port", 0, 65535, config.upload_port);
    check.read_integer("upload.max_concurrent", 1, 10'000, config.upload_max_concurrent);
    check.read_integer("upload.handshake_timeout", 1, 3600, config.upload_handshake_timeout);
    check.read_integer("upload.idle_timeout", 1, 86400, config.upload_idle_timeout);
    check.read_integer("upload.max_pending", 0, 1'000'000, config.upload_max_pending);
    check.read_integer("upload.max_per_address", 0, 1'000'000, config.upload_max_per_address);
    check.read_integer("upload.rate_limit", 0, std::uint64_t{1} << 40, config.upload_rate_limit);
    read_share_dirs(check, config.share_dirs);
    check.read_path("share.download_dir", config.download_dir);
    check.read_integer("share.rescan_interval", 0, 86400, config.rescan_interval);
    check.read_integer("share.hash_jobs", 1, 16, config.hash_jobs);
    check.read_integer("download.rate_limit", 0, std::uint64_t{1} << 40, config.download_rate_limit);
    check.read_integer("download.max_sources", 1, 32, config.download_max_sources);
    check.read_integer("download.min_rate", 0, std::uint64_t{1} << 40, config.download_min_rate);
    check.read_integer("download.min_rate_window", 1, 3600, config.download_min_rate_window);
    check.read_integer("download.keep_partial", 0, 10 * 365 * 86400, config.download_keep_partial);
    check.read_path("control.socket", config.control_socket, max_socket_path_bytes);
    check.read_integer("control.handshake_timeout", 1, 3600, config.control_handshake_timeout);
    check.read_integer("control.max_pending", 0, 1'000'000, config.control_max_pending);
    check.read_integer("control.max_per_user", 0, 1'000'000, config.control_max_per_user);
    check.read_log_level("log.level", config.log_level);
    if (check.failed()) return check.error();

    config.source = std::string(source_name);
    return config;
}

Result<PeerConfig> load_peer_config(const std::string& path, bool missing_means_defaults,
                                    const PeerEnvironment& env) {
    Result<std::optional<std::string>> text = read_config_file(path, missing_means_defaults);
    if (!text) return text.error();
    if (!*text) return peer_defaults(env);
    Result<PeerConfig> config = parse_peer_config(**text, printable(path), env);
    if (config) config->source = path;
    return config;
}

namespace {

// No state dir is known only without HOME: a value "" would not parse back.
std::string state_dir_line(const std::string& state_dir) {
    if (state_dir.empty()) return "# state_dir: none (no HOME): no hash cache is kept";
    return "state_dir = " + toml_quote(state_dir);
}

} // namespace

std::string format_peer_config(const PeerConfig& config) {
    return effective_config_header(config.source) +
           fmt::format("\nname = {}\n"
                       "{}\n"
                       "\n[index]\n"
                       "address = {}\n"
                       "port = {}\n"
                       "\n[upload]\n"
                       "address = {}\n"
                       "port = {}\n"
                       "max_concurrent = {}\n"
                       "handshake_timeout = {}\n"
                       "idle_timeout = {}\n"
                       "max_pending = {}\n"
                       "max_per_address = {}\n"
                       "rate_limit = {}\n"
                       "\n[share]\n"
                       "dirs = {}\n"
                       "download_dir = {}\n"
                       "rescan_interval = {}\n"
                       "hash_jobs = {}\n"
                       "\n[download]\n"
                       "rate_limit = {}\n"
                       "max_sources = {}\n"
                       "min_rate = {}\n"
                       "min_rate_window = {}\n"
                       "keep_partial = {}\n"
                       "\n[control]\n"
                       "socket = {}\n"
                       "handshake_timeout = {}\n"
                       "max_pending = {}\n"
                       "max_per_user = {}\n"
                       "\n[log]\n"
                       "level = {}\n",
                       toml_quote(config.name), state_dir_line(config.state_dir), toml_quote(config.index_address), config.index_port,
                       toml_quote(config.upload_address), config.upload_port, config.upload_max_concurrent,
                       config.upload_handshake_timeout, config.upload_idle_timeout, config.upload_max_pending,
                       config.upload_max_per_address, config.upload_rate_limit,
                       toml_string_array(config.share_dirs), toml_quote(config.download_dir), config.rescan_interval,
                       config.hash_jobs, config.download_rate_limit, config.download_max_sources, config.download_min_rate,
                       config.download_min_rate_window,
                       config.download_keep_partial,
                       toml_quote(config.control_socket), config.control_handshake_timeout,
                       config.control_max_pending, config.control_max_per_user,
                       toml_quote(log_level_name(config.log_level)));
}

} // namespace napster
