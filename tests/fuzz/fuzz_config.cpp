// SPDX-License-Identifier: MIT
// Fuzzes the config parsers: the input is the text of a config file, read
// both as index.toml (parse_index_config) and as peer.toml
// (parse_peer_config, as root and as a user).
//
// Checks: nothing crashes or throws; a refusal is an invalid_argument error
// that reads "SOURCE:LINE:COLUMN: reason" with the source name given, a
// line and column from 1 up and a reason; an accepted file comes back from
// format_*_config (what --check-config prints) as TOML that parses again to
// the same config.
#include "fuzz_check.h"

#include "config/index_config.h"
#include "config/peer_config.h"

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
