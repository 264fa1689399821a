// SPDX-License-Identifier: MIT
// Fuzzes the config parsers: the input is the text of a config file, read
// both as index.toml (parse_index_config) and as peer.toml
// (parse_peer_config, as root and as a user).
//
// Checks: nothing crashes or throws; a refusal is an invalid_argument error
// that reads "SOURCE:LINE:COLUMN: reason" with the source name given, a
// line and column from 1 up and a reason; an accepted file comes back from
// format_*_config (what --check-config prints) as TOML that parses again to
// the same config, and every value the file sets is in that effective
// config at the same place (a path with its trailing slashes stripped):
// nothing the file says is accepted and then ignored.
#include "fuzz_check.h"

#include "config/index_config.h"
#include "config/peer_config.h"
#include "util/path_text.h"

#include <toml++/toml.h>

#include <cctype>
#include <string>
#include <string_view>

using namespace napster;

namespace {

constexpr std::string_view source_name = "fuzz.toml";

// Skips a decimal number of at least one digit, not starting with 0.
bool skip_position_number(std::string_view& text) {
    if (text.empty() || text.front() < '1' || text.front() > '9') return false;
    while (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    return true;
}

void check_refusal(const Error& error) {
    FUZZ_CHECK(error.code == ErrorCode::invalid_argument);
    std::string_view message = error.message;
    FUZZ_CHECK(message.starts_with(source_name));
    message.remove_prefix(source_name.size());
    FUZZ_CHECK(message.starts_with(':'));
    message.remove_prefix(1);
    FUZZ_CHECK(skip_position_number(message));
    FUZZ_CHECK(message.starts_with(':'));
    message.remove_prefix(1);
    FUZZ_CHECK(skip_position_number(message));
    FUZZ_CHECK(message.starts_with(": "));
    message.remove_prefix(2);
    FUZZ_CHECK(!message.empty());
}

// Whether `effective` shows the value `set` in the file: the same value, or
// for an absolute path the same once normalised. A string that starts with
// '/' need not be a path (a peer name may), so either form counts.
bool shows_value(const toml::node& set, const toml::node& effective) {
    if (const auto* array = set.as_array()) {
        const auto* shown = effective.as_array();
        if (!shown || shown->size() != array->size()) return false;
        for (std::size_t i = 0; i < array->size(); ++i)
            if (!shows_value(*array->get(i), *shown->get(i))) return false;
        return true;
    }
    if (auto integer = set.value_exact<std::int64_t>())
        return effective.value_exact<std::int64_t>() == integer;
    if (auto string = set.value_exact<std::string>()) {
        auto shown = effective.value_exact<std::string>();
        if (shown == string) return true;
        return string->starts_with('/') && shown == normalise_path(*string);
    }
    return false; // no key takes any other kind of value
}

// Walks the file's tables key by key (not by at_path(), which would read a
// quoted "a.b" as two keys) and finds every value in the effective config.
void check_values_shown(const toml::table& set, const toml::table& effective) {
    for (auto&& [key, node] : set) {
        const toml::node* shown = effective.get(key.str());
        FUZZ_CHECK(shown != nullptr);
        if (const auto* table = node.as_table()) {
            FUZZ_CHECK(shown->is_table());
            check_values_shown(*table, *shown->as_table());
        } else {
            FUZZ_CHECK(shows_value(node, *shown));
        }
    }
}

// The file was accepted, so it parses; so does what format_*_config wrote.
void check_effective(std::string_view text, const std::string& effective) {
    toml::table set = toml::parse(text);
    toml::table shown = toml::parse(effective);
    check_values_shown(set, shown);
}

void check_index_config(std::string_view text) {
    Result<IndexConfig> config = parse_index_config(text, source_name);
    if (!config) {
        check_refusal(config.error());
        return;
    }
    std::string effective = format_index_config(*config);
    Result<IndexConfig> again = parse_index_config(effective, source_name);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *config);
    check_effective(text, effective);
}

void check_peer_config(std::string_view text, const PeerEnvironment& env) {
    Result<PeerConfig> config = parse_peer_config(text, source_name, env);
    if (!config) {
        check_refusal(config.error());
        return;
    }
    std::string effective = format_peer_config(*config);
    Result<PeerConfig> again = parse_peer_config(effective, source_name, env);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *config);
    check_effective(text, effective);
}

PeerEnvironment root_env() {
    PeerEnvironment env;
    env.host_name = "fuzz-host";
    env.is_root = true;
    return env;
}

PeerEnvironment user_env() {
    PeerEnvironment env;
    env.host_name = "fuzz-host";
    env.xdg_runtime_dir = "/run/user/1000";
    env.uid = 1000;
    return env;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const PeerEnvironment as_root = root_env();
    static const PeerEnvironment as_user = user_env();
    std::string_view text(reinterpret_cast<const char*>(data), size);
    check_index_config(text);
    check_peer_config(text, as_root);
    check_peer_config(text, as_user);
    return 0;
}
