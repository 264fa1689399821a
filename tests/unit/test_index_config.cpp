// SPDX-License-Identifier: MIT
#include "config/index_config.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace napster;
namespace fs = std::filesystem;

namespace {

IndexConfig parse_ok(std::string_view text) {
    Result<IndexConfig> result = parse_index_config(text, "index.toml");
    INFO("text: ", std::string(text));
    REQUIRE_MESSAGE(result.ok(), result.error().message);
    return *result;
}

std::string parse_error(std::string_view text) {
    Result<IndexConfig> result = parse_index_config(text, "index.toml");
    INFO("text: ", std::string(text));
    REQUIRE_FALSE(result.ok());
    return result.error().message;
}

// Meson compiles from the build root, so a relative __FILE__ is relative to
// it; the test runner lives in BUILD/tests/.
fs::path repo_root() {
    fs::path source = __FILE__;
    if (source.is_relative())
        source = fs::read_symlink("/proc/self/exe").parent_path().parent_path() / source;
    return fs::weakly_canonical(source).parent_path().parent_path().parent_path();
}

// A private directory for files the loader reads, removed afterwards.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "napster-test-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() { fs::remove_all(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string write(const std::string& name, const std::string& text) const {
        fs::path file = path_ / name;
        std::ofstream(file, std::ios::binary) << text;
        return file.string();
    }
    std::string path(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

} // namespace

TEST_CASE("empty text means every default") {
    IndexConfig config = parse_ok("");
    CHECK(config.listen_address == "0.0.0.0");
    CHECK(config.listen_port == 5015);
    CHECK(config.max_peers == 10000);
    CHECK(config.max_files_per_peer == 1000000);
    CHECK(config.max_results == 100);
    CHECK(config.max_counted_matches == 1000);
    CHECK(config.log_level == LogLevel::info);
    CHECK(config.search_lines_per_second == 20);
    CHECK(config.source == "index.toml");
}

TEST_CASE("every key is read") {
    IndexConfig config = parse_ok(R"(
[listen]
address = "::1"
port = 0

[limits]
max_peers = 7
max_files_per_peer = 123456
max_results = 1000
max_counted_matches = 100000000

[log]
level = "debug"
search_lines_per_second = 0
)");
    CHECK(config.listen_address == "::1");
    CHECK(config.listen_port == 0);
    CHECK(config.max_peers == 7);
    CHECK(config.max_files_per_peer == 123456);
    CHECK(config.max_results == 1000);
    CHECK(config.max_counted_matches == 100000000);
    CHECK(config.log_level == LogLevel::debug);
    CHECK(config.search_lines_per_second == 0);
}

TEST_CASE("max_counted_matches outside 1..100000000 is refused with its bounds") {
    CHECK(parse_error("limits.max_counted_matches = 0").find("max_counted_matches") != std::string::npos);
    CHECK(parse_error("limits.max_counted_matches = 100000001").find("100000000") != std::string::npos);
    CHECK(parse_ok("limits.max_counted_matches = 1").max_counted_matches == 1);
}

TEST_CASE("search_lines_per_second outside 0..1000000 is refused with its bounds") {
    CHECK(parse_error("log.search_lines_per_second = -1").find("search_lines_per_second") != std::string::npos);
    CHECK(parse_error("log.search_lines_per_second = 1000001").find("1000000") != std::string::npos);
    CHECK(parse_ok("log.search_lines_per_second = 1000000").search_lines_per_second == 1000000);
}

TEST_CASE("dotted keys and inline tables are the same keys") {
    IndexConfig config = parse_ok("listen.port = 6000\nlimits = { max_results = 5 }\n");
    CHECK(config.listen_port == 6000);
    CHECK(config.max_results == 5);
}

TEST_CASE("every log level") {
    CHECK(parse_ok("log.level = \"error\"").log_level == LogLevel::error);
    CHECK(parse_ok("log.level = \"warn\"").log_level == LogLevel::warn);
    CHECK(parse_ok("log.level = \"info\"").log_level == LogLevel::info);
    CHECK(parse_ok("log.level = \"debug\"").log_level == LogLevel::debug);
}

TEST_CASE("a syntax error carries toml++'s position") {
    std::string error = parse_error("[listen]\nport = \n");
    CHECK(error.starts_with("index.toml:2:8: "));
    CHECK(error.find("expected value") != std::string::npos);

    CHECK(parse_error("[listen]\nport = 1\n[listen]\n").starts_with("index.toml:3:1: "));
}

TEST_CASE("unknown keys are errors at the key") {
    CHECK(parse_error("# napindexd\n\nadress = \"::\"\n") ==
          "index.toml:3:1: unknown key 'adress'");
    CHECK(parse_error("[listen]\nport = 1\nadress = \"::\"\n") ==
          "index.toml:3:1: unknown key 'listen.adress'");
    CHECK(parse_error("listen.adress = 1\n") == "index.toml:1:8: unknown key 'listen.adress'");
    CHECK(parse_error("[lissten]\nport = 1\n") == "index.toml:1:2: unknown key 'lissten'");
    CHECK(parse_error("[log.level]\n") ==
          "index.toml:1:1: log.level must be a string, not a table");
    CHECK(parse_error("[limits]\nmax_results = 5\n[limits.deep]\nx = 1\n") ==
          "index.toml:3:9: unknown key 'limits.deep'");
    // A control character in a quoted key is shown escaped, not sent to the terminal.
    CHECK(parse_error("\"a\\u001bb\" = 1\n") == "index.toml:1:1: unknown key 'a\\x1bb'");
}

// Found by fuzz_config: a quoted key spelling a known dotted key was
// accepted and ignored ("listen.port" = 7 left the port at 5015).
TEST_CASE("a quoted key holding a dot is unknown, not the key it spells") {
    CHECK(parse_error("\"listen.port\" = 7\n") ==
          "index.toml:1:1: unknown key '\"listen.port\"' (a dot inside quotes is part of the "
          "name, not a table)");
    CHECK(parse_error("[limits]\n\"max_results\" = 7\n[log]\n\"lev.el\" = \"info\"\n") ==
          "index.toml:4:1: unknown key 'log.\"lev.el\"' (a dot inside quotes is part of the "
          "name, not a table)");
    IndexConfig quoted = parse_ok("\"listen\" = { \"port\" = 7 }\n");
    CHECK(quoted.listen_port == 7);
}

TEST_CASE("a table name given a value is a type error") {
    CHECK(parse_error("listen = 5015\n") ==
          "index.toml:1:10: listen must be a table, not an integer");
    CHECK(parse_error("[[limits]]\nmax_peers = 1\n") ==
          "index.toml:1:1: limits must be a table, not an array");
}

TEST_CASE("wrong types name the key and both types") {
    CHECK(parse_error("[listen]\nport = \"5015\"\n") ==
          "index.toml:2:8: listen.port must be an integer, not a string");
    CHECK(parse_error("[listen]\nport = 5015.0\n") ==
          "index.toml:2:8: listen.port must be an integer, not a floating-point number");
    CHECK(parse_error("[listen]\naddress = 127\n") ==
          "index.toml:2:11: listen.address must be a string, not an integer");
    CHECK(parse_error("[limits]\nmax_peers = true\n") ==
          "index.toml:2:13: limits.max_peers must be an integer, not a boolean");
    CHECK(parse_error("[log]\nlevel = 3\n") ==
          "index.toml:2:9: log.level must be a string, not an integer");
    CHECK(parse_error("[log]\nlevel = [\"info\"]\n") ==
          "index.toml:2:9: log.level must be a string, not an array");
}

TEST_CASE("ports and limits are range checked") {
    CHECK(parse_ok("listen.port = 65535").listen_port == 65535);
    CHECK(parse_error("listen.port = 65536") ==
          "index.toml:1:15: listen.port must be 0..65535, not 65536");
    CHECK(parse_error("listen.port = -1") ==
          "index.toml:1:15: listen.port must be 0..65535, not -1");

    CHECK(parse_ok("limits.max_results = 1").max_results == 1);
    CHECK(parse_error("limits.max_results = 0") ==
          "index.toml:1:22: limits.max_results must be 1..1000, not 0");
    CHECK(parse_error("limits.max_results = 1001") ==
          "index.toml:1:22: limits.max_results must be 1..1000, not 1001");

    CHECK(parse_ok("").peer_timeout == 60);
    CHECK(parse_ok("limits.peer_timeout = 3").peer_timeout == 3);
    CHECK(parse_ok("limits.peer_timeout = 86400").peer_timeout == 86400);
    CHECK(parse_error("limits.peer_timeout = 2") ==
          "index.toml:1:23: limits.peer_timeout must be 3..86400, not 2");
    CHECK(parse_error("limits.peer_timeout = \"60s\"") ==
          "index.toml:1:23: limits.peer_timeout must be an integer, not a string");

    CHECK(parse_ok("limits.max_peers = 1000000").max_peers == 1000000);
    CHECK(parse_error("limits.max_peers = 0") ==
          "index.toml:1:20: limits.max_peers must be 1..1000000, not 0");
    CHECK(parse_error("limits.max_peers = 1000001") ==
          "index.toml:1:20: limits.max_peers must be 1..1000000, not 1000001");

    CHECK(parse_ok("limits.max_files_per_peer = 100000000").max_files_per_peer == 100000000);
    CHECK(parse_error("limits.max_files_per_peer = 0") ==
          "index.toml:1:29: limits.max_files_per_peer must be 1..100000000, not 0");
    CHECK(parse_error("limits.max_files_per_peer = 100000001") ==
          "index.toml:1:29: limits.max_files_per_peer must be 1..100000000, not 100000001");
    // Larger than any uint32: must not wrap around into the range.
    CHECK(parse_error("limits.max_peers = 4294967297")
              .starts_with("index.toml:1:20: limits.max_peers must be 1..1000000"));
}

TEST_CASE("the listen address is an IP literal") {
    CHECK(parse_ok("listen.address = \"127.0.0.1\"").listen_address == "127.0.0.1");
    CHECK(parse_ok("listen.address = \"::\"").listen_address == "::");
    CHECK(parse_ok("listen.address = \"fe80::1:2\"").listen_address == "fe80::1:2");
    CHECK(parse_error("listen.address = \"localhost\"") ==
          "index.toml:1:18: listen.address must be an IPv4 or IPv6 address, not \"localhost\"");
    CHECK(parse_error("listen.address = \"1.2.3.4.5\"").starts_with("index.toml:1:18: "));
    CHECK(parse_error("listen.address = \"[::1]\"").starts_with("index.toml:1:18: "));
    CHECK(parse_error("listen.address = \"\"").starts_with("index.toml:1:18: "));
    CHECK(parse_error("listen.address = \"127.0.0.1\\u0000x\"") ==
          "index.toml:1:18: listen.address must not contain NUL bytes");
}

TEST_CASE("a long bad value is shortened in the message") {
    std::string error = parse_error("listen.address = \"" + std::string(500, 'x') + "\"");
    CHECK(error.size() < 200);
    CHECK(error.ends_with("\"..."));
}

TEST_CASE("a bad log level lists the good ones") {
    CHECK(parse_error("[log]\nlevel = \"verbose\"\n") ==
          "index.toml:2:9: log.level must be one of error, warn, info, debug, not \"verbose\"");
    CHECK(parse_error("[log]\nlevel = \"INFO\"\n").starts_with("index.toml:2:9: log.level "));
}

TEST_CASE("the first error in the file is reported, whatever order keys are checked in") {
    CHECK(parse_error("[log]\nlevel = \"loud\"\n[listen]\nport = -5\n") ==
          "index.toml:2:9: log.level must be one of error, warn, info, debug, not \"loud\"");
    CHECK(parse_error("[listen]\nport = -5\nbogus = 1\n") ==
          "index.toml:2:8: listen.port must be 0..65535, not -5");
}

TEST_CASE("connection limits: handshake_timeout, max_pending, max_per_address") {
    IndexConfig defaults = parse_ok("");
    CHECK(defaults.handshake_timeout == 10);
    CHECK(defaults.max_pending == 256);
    CHECK(defaults.max_per_address == 64);
    CHECK(parse_ok("limits.handshake_timeout = 1").handshake_timeout == 1);
    CHECK(parse_ok("limits.handshake_timeout = 3600").handshake_timeout == 3600);
    CHECK(parse_error("limits.handshake_timeout = 0") ==
          "index.toml:1:28: limits.handshake_timeout must be 1..3600, not 0");
    CHECK(parse_ok("limits.max_pending = 0").max_pending == 0);
    CHECK(parse_error("limits.max_pending = 1000001") ==
          "index.toml:1:22: limits.max_pending must be 0..1000000, not 1000001");
    CHECK(parse_ok("limits.max_per_address = 0").max_per_address == 0);
    CHECK(parse_error("limits.max_per_address = -1") ==
          "index.toml:1:26: limits.max_per_address must be 0..1000000, not -1");
}

TEST_CASE("format prints TOML that parses back to the same config") {
    IndexConfig config;
    config.handshake_timeout = 3;
    config.max_pending = 0;
    config.max_per_address = 7;
    config.listen_address = "2001:db8::7";
    config.listen_port = 0;
    config.max_peers = 3;
    config.max_files_per_peer = 99;
    config.max_results = 1000;
    config.log_level = LogLevel::warn;
    config.source = "/etc/napster/index.toml";

    std::string text = format_index_config(config);
    CHECK(text.starts_with("# effective configuration (from /etc/napster/index.toml)\n"));
    IndexConfig again = parse_ok(text);
    again.source = config.source;
    CHECK(again == config);

    IndexConfig defaults;
    std::string default_text = format_index_config(defaults);
    CHECK(default_text.starts_with("# effective configuration (built-in defaults)\n"));
    CHECK(default_text.find("port = 5015\n") != std::string::npos);
    IndexConfig parsed_defaults = parse_ok(default_text);
    parsed_defaults.source = "";
    CHECK(parsed_defaults == defaults);
}

TEST_CASE("a source path with a newline cannot break the header comment") {
    IndexConfig config;
    config.source = "/tmp/evil\n[listen]\nport = 1";
    IndexConfig again = parse_ok(format_index_config(config));
    CHECK(again.listen_port == 5015);
}

TEST_CASE("load: a missing file means defaults only when allowed") {
    TempDir dir;
    std::string missing = dir.path("absent.toml");

    Result<IndexConfig> defaults = load_index_config(missing, true);
    REQUIRE(defaults.ok());
    CHECK(*defaults == IndexConfig{});
    CHECK(defaults->source.empty());

    Result<IndexConfig> error = load_index_config(missing, false);
    REQUIRE_FALSE(error.ok());
    CHECK(error.error().message == "cannot read " + missing + ": No such file or directory");
}

TEST_CASE("load: reads the file and names it in errors") {
    TempDir dir;
    std::string path = dir.write("index.toml", "[listen]\nport = 7000\n");
    Result<IndexConfig> config = load_index_config(path, false);
    REQUIRE(config.ok());
    CHECK(config->listen_port == 7000);
    CHECK(config->source == path);

    std::string bad = dir.write("bad.toml", "\n[listen]\nprot = 7000\n");
    Result<IndexConfig> error = load_index_config(bad, true);
    REQUIRE_FALSE(error.ok());
    CHECK(error.error().message == bad + ":3:1: unknown key 'listen.prot'");
}

TEST_CASE("load: refuses what cannot be a config file") {
    TempDir dir;
    std::string huge = dir.write("huge.toml", std::string(1024 * 1024 + 1, '#'));
    Result<IndexConfig> error = load_index_config(huge, false);
    REQUIRE_FALSE(error.ok());
    CHECK(error.error().message ==
          "cannot read " + huge + ": larger than 1 MiB, too large for a config file");

    // Exactly 1 MiB is still read (and is one long comment).
    std::string limit = dir.write("limit.toml", std::string(1024 * 1024, '#'));
    CHECK(load_index_config(limit, false).ok());

    std::string directory = dir.path("");
    Result<IndexConfig> not_file = load_index_config(directory, true);
    REQUIRE_FALSE(not_file.ok());
    CHECK(not_file.error().message == "cannot read " + directory + ": Is a directory");
}

TEST_CASE("the example config/index.toml parses and states the defaults") {
    std::string path = (repo_root() / "config" / "index.toml").string();
    Result<IndexConfig> config = load_index_config(path, false);
    REQUIRE_MESSAGE(config.ok(), config.error().message);
    IndexConfig expected;
    expected.source = path;
    CHECK(*config == expected);
}
