// SPDX-License-Identifier: MIT
#pragma once

// What index_config and peer_config share: parsing TOML into a table, reading
// typed values out of it with errors that read "SOURCE:LINE:COLUMN: message",
// and writing values back as TOML for --check-config.

#include "util/log.h"
#include "util/result.h"

#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace napster {

// A config file is a few hundred bytes; the bound keeps a wrong --config
// (a disk image, /dev/zero) from eating memory.
inline constexpr std::size_t max_config_file_bytes = 1024 * 1024;

// PATH_MAX counts the terminating NUL.
inline constexpr std::size_t max_path_bytes = 4095;

// Parses TOML text. toml++ only accepts UTF-8, so every string a config
// yields is valid UTF-8: a path whose bytes are not UTF-8 cannot be set in a
// config file.
Result<toml::table> parse_toml(std::string_view text, std::string_view source_name);

// Reads a whole file of at most max_config_file_bytes. Returns std::nullopt
// for a missing file when `missing_means_defaults`; failures are errors
// reading "cannot read PATH: reason".
Result<std::optional<std::string>> read_config_file(const std::string& path,
                                                    bool missing_means_defaults);

// Checks one parsed document and reads typed values out of it. Every reader
// leaves `out` (holding the default) alone when the key is absent, since
// every key has a default. Errors are collected rather than returned at the
// first one, and the one that comes first in the file wins: checks run in
// whatever order suits the code, while the user fixes a file top to bottom.
// Keys are dotted paths from the root ("listen.port").
class ConfigChecker {
public:
    // Returns "" when the value is acceptable, otherwise the complaint that
    // follows the key's name ("must be an absolute path, not \"srv\"").
    using StringRule = std::string (*)(std::string_view value);

    ConfigChecker(const toml::table& root, std::string_view source_name);

    // Every key in the document must be one of `keys` (paths to values) or
    // a table on the way to one of them.
    void reject_unknown_keys(std::span<const std::string_view> keys);

    void read_string(std::string_view key, std::string& out, StringRule rule = nullptr);
    void read_log_level(std::string_view key, LogLevel& out);
    // An absolute path of at most `max_bytes`, trailing slashes stripped.
    void read_path(std::string_view key, std::string& out, std::size_t max_bytes = max_path_bytes);

    template <typename T>
    void read_integer(std::string_view key, std::int64_t min, std::int64_t max, T& out) {
        if (auto value = integer_in_range(key, min, max)) out = static_cast<T>(*value);
    }

    // Building blocks for values the readers above do not cover; `name` is
    // what messages call the value ("share.dirs[2]").
    const toml::node* find(std::string_view key) const;
    std::optional<std::string> string_value(const toml::node& node, std::string_view name,
                                            StringRule rule = nullptr);
    std::optional<std::string> path_value(const toml::node& node, std::string_view name,
                                          std::size_t max_bytes = max_path_bytes);
    const toml::array* array_value(const toml::node& node, std::string_view name);

    void report(const toml::source_region& where, std::string message);

    bool failed() const { return has_error_; }
    // The first error in the file; only when failed().
    Error error() const;

private:
    std::optional<std::int64_t> integer_in_range(std::string_view key, std::int64_t min,
                                                 std::int64_t max);
    void check_table(const toml::table& table, const std::string& prefix,
                     std::span<const std::string_view> keys);
    void report_type(const toml::node& node, std::string_view name, std::string_view expected);

    const toml::table& root_;
    std::string source_name_;
    bool has_error_ = false;
    toml::source_position error_position_{};
    std::string error_message_;
};

// Rules for ConfigChecker::read_string.
std::string ip_address_rule(std::string_view value);

// A TOML basic string literal, quotes included. Config strings are UTF-8 (see
// parse_toml); bytes that are not, which only a struct filled by code can
// hold, come out as U+FFFD because TOML has no escape for raw bytes.
std::string toml_quote(std::string_view value);

// A value quoted for an error message, shortened when long so one bad line
// cannot flood the log.
std::string quote_for_message(std::string_view value);

// The first line of format_*_config: where the values came from.
std::string effective_config_header(std::string_view source);

std::string toml_string_array(const std::vector<std::string>& values);

} // namespace napster
