// SPDX-License-Identifier: MIT
#include "config/toml_support.h"

#include "util/path_text.h"
#include "util/text.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace napster {
namespace {

std::string located(std::string_view source_name, const toml::source_position& where,
                    std::string_view message) {
    return fmt::format("{}:{}:{}: {}", source_name, where.line, where.column, message);
}

std::string_view type_phrase(toml::node_type type) {
    switch (type) {
    case toml::node_type::none:
        return "nothing";
    case toml::node_type::table:
        return "a table";
    case toml::node_type::array:
        return "an array";
    case toml::node_type::string:
        return "a string";
    case toml::node_type::integer:
        return "an integer";
    case toml::node_type::floating_point:
        return "a floating-point number";
    case toml::node_type::boolean:
        return "a boolean";
    case toml::node_type::date:
        return "a date";
    case toml::node_type::time:
        return "a time";
    case toml::node_type::date_time:
        return "a date-time";
    }
    return "an unknown type";
}

// Whether `path` names a table that leads to one of `keys`.
bool leads_to_known_key(std::string_view path, std::span<const std::string_view> keys) {
    return std::any_of(keys.begin(), keys.end(), [&](std::string_view key) {
        return key.size() > path.size() && key.starts_with(path) && key[path.size()] == '.';
    });
}

bool is_known_key(std::string_view path, std::span<const std::string_view> keys) {
    return std::find(keys.begin(), keys.end(), path) != keys.end();
}

std::string read_error(const std::string& path, std::string_view reason) {
    return fmt::format("cannot read {}: {}", printable(path), reason);
}

std::string errno_message(int error) {
    return std::system_category().message(error);
}

// Reads until end of file rather than trusting st_size, which is 0 for
// /dev/stdin, pipes and /proc files.
Result<std::string> read_bounded(int fd, const std::string& path) {
    std::string text;
    char buffer[16 * 1024];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error(ErrorCode::io_error, read_error(path, errno_message(errno)));
        if (n == 0) return text;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > max_config_file_bytes)
            return make_error(ErrorCode::io_error, read_error(path, "larger than 1 MiB, too large for a config file"));
    }
}

// Appends one code point as TOML's \uXXXX escape.
void append_unicode_escape(std::string& out, unsigned code_point) {
    out += fmt::format("\\u{:04X}", code_point);
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8_sequence_length(std::string_view s) {
    for (std::size_t length = 1; length <= 4 && length <= s.size(); ++length) {
        if (is_valid_utf8(s.substr(0, length))) return length;
    }
    return 0;
}

} // namespace

Result<toml::table> parse_toml(std::string_view text, std::string_view source_name) {
    // Debian's toml++ is a compiled library built with exceptions; the other
    // branch keeps this building against a build without them.
#if TOML_EXCEPTIONS
    try {
        return toml::parse(text, std::string(source_name));
    } catch (const toml::parse_error& e) {
        return make_error(ErrorCode::invalid_argument, located(source_name, e.source().begin, e.description()));
    }
#else
    toml::parse_result parsed = toml::parse(text, std::string(source_name));
    if (!parsed) {
        const toml::parse_error& e = parsed.error();
        return make_error(ErrorCode::invalid_argument, located(source_name, e.source().begin, e.description()));
    }
    return std::move(parsed).table();
#endif
}

Result<std::optional<std::string>> read_config_file(const std::string& path,
                                                    bool missing_means_defaults) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 && errno == ENOENT && missing_means_defaults) return std::optional<std::string>();
    if (fd < 0) return make_error(ErrorCode::io_error, read_error(path, errno_message(errno)));
    Result<std::string> text = read_bounded(fd, path);
    ::close(fd);
    if (!text) return text.error();
    return std::optional<std::string>(std::move(*text));
}

ConfigChecker::ConfigChecker(const toml::table& root, std::string_view source_name)
    : root_(root), source_name_(source_name) {}

void ConfigChecker::reject_unknown_keys(std::span<const std::string_view> keys) {
    check_table(root_, "", keys);
}

void ConfigChecker::check_table(const toml::table& table, const std::string& prefix,
                                std::span<const std::string_view> keys) {
    for (auto&& [key, node] : table) {
        // A quoted key is one name even when it holds a dot: "listen.port" = 1
        // is not listen's port, yet its path would read as that known key,
        // and the readers (at_path) would never find it: accepted, ignored.
        if (key.str().find('.') != std::string_view::npos) {
            report(key.source(),
                   fmt::format("unknown key '{}\"{}\"' (a dot inside quotes is part of the name, "
                               "not a table)",
                               printable(prefix), printable(key.str())));
            continue;
        }
        std::string path = prefix + std::string(key.str());
        if (is_known_key(path, keys)) continue;
        if (!leads_to_known_key(path, keys)) {
            report(key.source(), fmt::format("unknown key '{}'", printable(path)));
            continue;
        }
        if (const toml::table* subtable = node.as_table())
            check_table(*subtable, path + ".", keys);
        else
            report_type(node, path, "a table");
    }
}

const toml::node* ConfigChecker::find(std::string_view key) const {
    return root_.at_path(key).node();
}

void ConfigChecker::read_string(std::string_view key, std::string& out, StringRule rule) {
    const toml::node* node = find(key);
    if (!node) return;
    if (auto value = string_value(*node, key, rule)) out = std::move(*value);
}

void ConfigChecker::read_log_level(std::string_view key, LogLevel& out) {
    const toml::node* node = find(key);
    if (!node) return;
    std::optional<std::string> name = string_value(*node, key);
    if (!name) return;
    if (std::optional<LogLevel> level = parse_log_level(*name)) {
        out = *level;
        return;
    }
    report(node->source(), fmt::format("{} must be one of error, warn, info, debug, not {}", key,
                                       quote_for_message(*name)));
}

void ConfigChecker::read_path(std::string_view key, std::string& out, std::size_t max_bytes) {
    const toml::node* node = find(key);
    if (!node) return;
    if (auto value = path_value(*node, key, max_bytes)) out = std::move(*value);
}

std::optional<std::int64_t> ConfigChecker::integer_in_range(std::string_view key, std::int64_t min,
                                                            std::int64_t max) {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    const toml::value<std::int64_t>* integer = node->as_integer();
    if (!integer) {
        report_type(*node, key, "an integer");
        return std::nullopt;
    }
    std::int64_t value = integer->get();
    if (value < min || value > max) {
        report(node->source(), fmt::format("{} must be {}..{}, not {}", key, min, max, value));
        return std::nullopt;
    }
    return value;
}

std::optional<std::string> ConfigChecker::string_value(const toml::node& node,
                                                       std::string_view name, StringRule rule) {
    const toml::value<std::string>* string = node.as_string();
    if (!string) {
        report_type(node, name, "a string");
        return std::nullopt;
    }
    const std::string& value = string->get();
    // TOML allows "\u0000", but every value here ends up as a C string
    // (paths, host names), where a NUL would silently cut it short.
    if (value.find('\0') != std::string::npos) {
        report(node.source(), fmt::format("{} must not contain NUL bytes", name));
        return std::nullopt;
    }
    if (rule) {
        std::string complaint = rule(value);
        if (!complaint.empty()) {
            report(node.source(), fmt::format("{} {}", name, complaint));
            return std::nullopt;
        }
    }
    return value;
}

std::optional<std::string> ConfigChecker::path_value(const toml::node& node, std::string_view name,
                                                     std::size_t max_bytes) {
    std::optional<std::string> value = string_value(node, name);
    if (!value) return std::nullopt;
    if (!value->starts_with('/')) {
        report(node.source(),
               fmt::format("{} must be an absolute path, not {}", name, quote_for_message(*value)));
        return std::nullopt;
    }
    std::string path = normalise_path(*value);
    if (path.size() > max_bytes) {
        report(node.source(), fmt::format("{} must be at most {} bytes long, not {}", name,
                                          max_bytes, path.size()));
        return std::nullopt;
    }
    return path;
}

const toml::array* ConfigChecker::array_value(const toml::node& node, std::string_view name) {
    const toml::array* array = node.as_array();
    if (!array) report_type(node, name, "an array");
    return array;
}

void ConfigChecker::report_type(const toml::node& node, std::string_view name,
                                std::string_view expected) {
    report(node.source(),
           fmt::format("{} must be {}, not {}", name, expected, type_phrase(node.type())));
}

void ConfigChecker::report(const toml::source_region& where, std::string message) {
    if (has_error_ && !(where.begin < error_position_)) return;
    has_error_ = true;
    error_position_ = where.begin;
    error_message_ = std::move(message);
}

Error ConfigChecker::error() const {
    return make_error(ErrorCode::invalid_argument, located(source_name_, error_position_, error_message_));
}

std::string ip_address_rule(std::string_view value) {
    std::string text(value);
    unsigned char address[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, text.c_str(), address) == 1) return "";
    if (inet_pton(AF_INET6, text.c_str(), address) == 1) return "";
    return fmt::format("must be an IPv4 or IPv6 address, not {}", quote_for_message(value));
}

std::string toml_quote(std::string_view value) {
    std::string out = "\"";
    while (!value.empty()) {
        auto byte = static_cast<unsigned char>(value.front());
        if (byte >= 0x80) {
            std::size_t length = utf8_sequence_length(value);
            if (length == 0) {
                out += "\\uFFFD";
                length = 1;
            } else {
                out.append(value.substr(0, length));
            }
            value.remove_prefix(length);
            continue;
        }
        switch (byte) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            // TOML forbids raw control characters and DEL in basic strings.
            if (byte < 0x20 || byte == 0x7f)
                append_unicode_escape(out, byte);
            else
                out += static_cast<char>(byte);
        }
        value.remove_prefix(1);
    }
    out += '"';
    return out;
}

std::string quote_for_message(std::string_view value) {
    constexpr std::size_t shown_bytes = 80;
    if (value.size() <= shown_bytes) return toml_quote(value);
    // Cut at a character boundary so the excerpt stays valid UTF-8.
    std::size_t cut = shown_bytes;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80)
        --cut;
    return toml_quote(value.substr(0, cut)) + "...";
}

std::string effective_config_header(std::string_view source) {
    if (source.empty()) return "# effective configuration (built-in defaults)\n";
    // printable() keeps a newline in the path from ending the comment.
    return fmt::format("# effective configuration (from {})\n", printable(source));
}

std::string toml_string_array(const std::vector<std::string>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ", ";
        out += toml_quote(values[i]);
    }
    out += "]";
    return out;
}

} // namespace napster
