// SPDX-License-Identifier: MIT
#include "config/peer_config.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace napster;
namespace fs = std::filesystem;

namespace {

PeerEnvironment user_env() {
    PeerEnvironment env;
    env.host_name = "box";
    env.is_root = false;
    env.xdg_runtime_dir = "/run/user/1000";
    env.uid = 1000;
    return env;
}

PeerConfig parse_ok(std::string_view text, const PeerEnvironment& env = user_env()) {
    Result<PeerConfig> result = parse_peer_config(text, "peer.toml", env);
    INFO("text: ", std::string(text));
    REQUIRE_MESSAGE(result.ok(), result.error().message);
    return *result;
}

std::string parse_error(std::string_view text) {
    Result<PeerConfig> result = parse_peer_config(text, "peer.toml", user_env());
    INFO("text: ", std::string(text));
    REQUIRE_FALSE(result.ok());
    return result.error().message;
}

std::string toml_string(const std::string& value) {
    return "\"" + value + "\"";
}

// Meson compiles from the build root, so a relative __FILE__ is relative to
// it; the test runner lives in BUILD/tests/.
fs::path repo_root() {
    fs::path source = __FILE__;
    if (source.is_relative())
        source = fs::read_symlink("/proc/self/exe").parent_path().parent_path() / source;
    return fs::weakly_canonical(source).parent_path().parent_path().parent_path();
}

} // namespace

TEST_CASE("empty text means every default") {
    PeerConfig config = parse_ok("");
    CHECK(config.name == "box");
    CHECK(config.index_address == "127.0.0.1");
    CHECK(config.index_port == 5015);
    CHECK(config.upload_address == "0.0.0.0");
    CHECK(config.upload_port == 6020);
    CHECK(config.share_dirs == std::vector<std::string>{"/srv/napster/share"});
    CHECK(config.download_dir == "/srv/napster/downloads");
    CHECK(config.control_socket == "/run/user/1000/napster/napeerd.sock");
    CHECK(config.log_level == LogLevel::info);
    CHECK(config.source == "peer.toml");
}

TEST_CASE("every key is read") {
    PeerConfig config = parse_ok(R"(
name = "alice"

[index]
address = "index.example.org"
port = 7015

[upload]
address = "::"
port = 0

[share]
dirs = ["/home/alice/Music", "/home/alice/Books"]
download_dir = "/home/alice/Downloads"

[control]
socket = "/run/user/1000/nap.sock"

[log]
level = "warn"
)");
    CHECK(config.name == "alice");
    CHECK(config.index_address == "index.example.org");
    CHECK(config.index_port == 7015);
    CHECK(config.upload_address == "::");
    CHECK(config.upload_port == 0);
    CHECK(config.share_dirs == std::vector<std::string>{"/home/alice/Music", "/home/alice/Books"});
    CHECK(config.download_dir == "/home/alice/Downloads");
    CHECK(config.control_socket == "/run/user/1000/nap.sock");
    CHECK(config.log_level == LogLevel::warn);
}

TEST_CASE("the control socket default follows the environment") {
    // default_control_socket itself: test_peer_environment.cpp.
    PeerEnvironment env = user_env();
    env.is_root = true;
    env.uid = 0;
    CHECK(parse_ok("", env).control_socket == "/run/napster/napeerd.sock");
    env = user_env();
    CHECK(parse_ok("", env).control_socket == "/run/user/1000/napster/napeerd.sock");
    env.xdg_runtime_dir = "";
    CHECK(parse_ok("", env).control_socket == "/tmp/napster-1000/napeerd.sock");
}

TEST_CASE("the state dir default follows the environment") {
    PeerEnvironment env = user_env();
    CHECK(parse_ok("", env).state_dir.empty()); // no HOME, no XDG_STATE_HOME
    env.home = "/home/alice/";
    CHECK(parse_ok("", env).state_dir == "/home/alice/.local/state/napster");
    env.xdg_state_home = "relative/state"; // invalid by the XDG spec: ignored
    CHECK(parse_ok("", env).state_dir == "/home/alice/.local/state/napster");
    env.xdg_state_home = "/home/alice/state";
    CHECK(parse_ok("", env).state_dir == "/home/alice/state/napster");
    env.is_root = true;
    CHECK(parse_ok("", env).state_dir == "/var/lib/napster");
    env.state_directory = "/var/lib/napster-test:/var/lib/other";
    CHECK(parse_ok("", env).state_dir == "/var/lib/napster-test");
    CHECK(parse_ok("state_dir = \"/srv/state/\"", env).state_dir == "/srv/state");
    CHECK(parse_error("state_dir = \"state\"").find("state_dir") != std::string::npos);
}

TEST_CASE("hashing and download keys are read and range checked") {
    PeerConfig defaults = parse_ok("");
    CHECK(defaults.hash_jobs == 1);
    CHECK(defaults.download_max_sources == 4);
    CHECK(defaults.download_min_rate == 1024);
    CHECK(defaults.download_min_rate_window == 30);
    CHECK(defaults.download_keep_partial == 7 * 86400);
    PeerConfig config = parse_ok("[share]\nhash_jobs = 16\n[download]\nmin_rate = 0\nmin_rate_window = 1\n"
                                 "keep_partial = 0\nmax_sources = 32\n");
    CHECK(config.download_max_sources == 32);
    CHECK(parse_ok("[download]\nmax_sources = 1").download_max_sources == 1);
    CHECK(config.hash_jobs == 16);
    CHECK(config.download_min_rate == 0);
    CHECK(config.download_min_rate_window == 1);
    CHECK(config.download_keep_partial == 0);
    CHECK(parse_error("[share]\nhash_jobs = 0").find("share.hash_jobs") != std::string::npos);
    CHECK(parse_error("[share]\nhash_jobs = 17").find("share.hash_jobs") != std::string::npos);
    CHECK(parse_error("[download]\nmax_sources = 0").find("download.max_sources") != std::string::npos);
    CHECK(parse_error("[download]\nmax_sources = 33").find("download.max_sources") != std::string::npos);
    CHECK(parse_error("[download]\nmin_rate = -1").find("download.min_rate") != std::string::npos);
    CHECK(parse_error("[download]\nmin_rate_window = 0").find("download.min_rate_window") != std::string::npos);
    CHECK(parse_error("[download]\nkeep_partial = \"7d\"").find("download.keep_partial") != std::string::npos);
}

TEST_CASE("rate limits are read and range checked, and none by default") {
    PeerConfig defaults = parse_ok("");
    CHECK(defaults.upload_rate_limit == 0);
    CHECK(defaults.download_rate_limit == 0);
    PeerConfig config = parse_ok("[upload]\nrate_limit = 1048576\n[download]\nrate_limit = 1099511627776\n");
    CHECK(config.upload_rate_limit == 1048576);
    CHECK(config.download_rate_limit == std::uint64_t{1} << 40);
    CHECK(parse_error("[upload]\nrate_limit = -1") == "peer.toml:2:14: upload.rate_limit must be 0..1099511627776, not -1");
    CHECK(parse_error("[download]\nrate_limit = 1099511627777").find("download.rate_limit") != std::string::npos);
    // --check-config prints them, and what it prints parses to the same.
    std::string printed = format_peer_config(config);
    CHECK(printed.find("rate_limit = 1048576\n") != std::string::npos);
    CHECK(printed.find("rate_limit = 1099511627776\n") != std::string::npos);
}

TEST_CASE("the name default is the host name when that is a valid name") {
    PeerEnvironment env = user_env();
    env.host_name = std::string(64, 'h');
    CHECK(parse_ok("", env).name == env.host_name);

    for (std::string bad :
         {std::string(), std::string(65, 'h'), std::string("a\nb"), std::string("caf\xe9")}) {
        env.host_name = bad;
        CHECK(parse_ok("", env).name == "napeerd");
    }

    env.host_name = "";
    CHECK(parse_ok("name = \"bob\"", env).name == "bob");
}

TEST_CASE("the name is checked") {
    CHECK(parse_ok("name = \"" + std::string(64, 'n') + "\"").name.size() == 64);
    CHECK(parse_ok("name = \"Zoë's laptop\"").name == "Zoë's laptop");
    CHECK(parse_error("name = \"\"") == "peer.toml:1:8: name must not be empty");
    CHECK(parse_error("name = \"" + std::string(65, 'n') + "\"") ==
          "peer.toml:1:8: name must be at most 64 bytes long, not 65");
    CHECK(parse_error("name = \"a\\u0007b\"") ==
          "peer.toml:1:8: name must not contain control characters");
    CHECK(parse_error("name = \"a\\u007Fb\"") ==
          "peer.toml:1:8: name must not contain control characters");
    CHECK(parse_error("name = \"a\\u009Bb\"") ==
          "peer.toml:1:8: name must not contain control characters");
    CHECK(parse_error("name = \"a\\tb\"") ==
          "peer.toml:1:8: name must not contain control characters");
    CHECK(parse_error("name = \"a\\u0000\"") == "peer.toml:1:8: name must not contain NUL bytes");
    CHECK(parse_error("name = 5") == "peer.toml:1:8: name must be a string, not an integer");
}

TEST_CASE("the index address is an IP literal or a host name") {
    for (std::string good : {"127.0.0.1", "::1", "localhost", "index.example.org", "a-b.c9",
                             "xn--bcher-kva.example", "10.0.0.example"}) {
        CHECK(parse_ok("index.address = " + toml_string(good)).index_address == good);
    }
    std::string label63 = std::string(63, 'a');
    std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
    REQUIRE(name253.size() == 253);
    CHECK(parse_ok("index.address = " + toml_string(name253)).index_address == name253);

    for (std::string bad :
         {std::string(), std::string("a..b"), std::string(".a"), std::string("a."),
          std::string("-a.b"), std::string("a-.b"), std::string("a_b"), std::string("a b"),
          std::string("[::1]"), std::string("10.1.1.300"), std::string("127.1"),
          std::string("12345"), std::string(64, 'a') + ".org", name253 + "b",
          std::string("h\xc3\xa9.org")}) {
        INFO("address: ", bad);
        // Messages show at most 80 bytes of a value.
        std::string shown =
            bad.size() <= 80 ? toml_string(bad) : toml_string(bad.substr(0, 80)) + "...";
        CHECK(parse_error("[index]\naddress = " + toml_string(bad)) ==
              "peer.toml:2:11: index.address must be an IP address or a host name, not " + shown);
    }
}

TEST_CASE("the upload address is an IP literal only") {
    CHECK(parse_ok("upload.address = \"192.168.1.5\"").upload_address == "192.168.1.5");
    CHECK(parse_error("upload.address = \"localhost\"") ==
          "peer.toml:1:18: upload.address must be an IPv4 or IPv6 address, not \"localhost\"");
}

TEST_CASE("ports are range checked") {
    CHECK(parse_ok("index.port = 1").index_port == 1);
    CHECK(parse_ok("index.port = 65535").index_port == 65535);
    CHECK(parse_error("index.port = 0") == "peer.toml:1:14: index.port must be 1..65535, not 0");
    CHECK(parse_error("index.port = 65536") ==
          "peer.toml:1:14: index.port must be 1..65535, not 65536");
    CHECK(parse_ok("").rescan_interval == 300);
    CHECK(parse_ok("share.rescan_interval = 0").rescan_interval == 0);
    CHECK(parse_ok("share.rescan_interval = 86400").rescan_interval == 86400);
    CHECK(parse_error("share.rescan_interval = 86401") ==
          "peer.toml:1:25: share.rescan_interval must be 0..86400, not 86401");

    CHECK(parse_ok("upload.port = 0").upload_port == 0);
    CHECK(parse_error("upload.port = 70000") ==
          "peer.toml:1:15: upload.port must be 0..65535, not 70000");
    CHECK(parse_error("upload.port = \"6020\"") ==
          "peer.toml:1:15: upload.port must be an integer, not a string");
}

TEST_CASE("share dirs are absolute, distinct paths") {
    CHECK(parse_ok("share.dirs = []").share_dirs.empty());
    CHECK(parse_ok("share.dirs = [\"/srv/a/\", \"/srv/b//\", \"/\"]").share_dirs ==
          std::vector<std::string>{"/srv/a", "/srv/b", "/"});

    CHECK(parse_error("[share]\ndirs = \"/srv/a\"\n") ==
          "peer.toml:2:8: share.dirs must be an array, not a string");
    CHECK(parse_error("[share]\ndirs = [\"/srv/a\", 5]\n") ==
          "peer.toml:2:19: share.dirs[1] must be a string, not an integer");
    CHECK(parse_error("[share]\ndirs = [\"/srv/a\", \"srv/b\"]\n") ==
          "peer.toml:2:19: share.dirs[1] must be an absolute path, not \"srv/b\"");
    CHECK(parse_error("[share]\ndirs = [\"\"]\n") ==
          "peer.toml:2:9: share.dirs[0] must be an absolute path, not \"\"");
    CHECK(parse_error("[share]\ndirs = [\"/srv/a\", \"/srv/b\", \"/srv/a/\"]\n") ==
          "peer.toml:2:29: share.dirs[2] repeats share.dirs[0] (\"/srv/a\")");
    CHECK(parse_error("[share]\ndirs = [\"/srv/a\\u0000b\"]\n") ==
          "peer.toml:2:9: share.dirs[0] must not contain NUL bytes");
    CHECK(parse_error("[share]\ndirs = [[\"/srv/a\"]]\n") ==
          "peer.toml:2:9: share.dirs[0] must be a string, not an array");
}

TEST_CASE("at most 256 share dirs") {
    auto dirs_text = [](int count) {
        std::string text = "share.dirs = [";
        for (int i = 0; i < count; ++i)
            text += fmt::format("{}\"/srv/{}\"", i ? ", " : "", i);
        return text + "]";
    };
    CHECK(parse_ok(dirs_text(256)).share_dirs.size() == 256);
    CHECK(parse_error(dirs_text(257)) ==
          "peer.toml:1:14: share.dirs must list at most 256 directories, not 257");
}

TEST_CASE("download dir and control socket are absolute paths") {
    CHECK(parse_ok("share.download_dir = \"/data/in/\"").download_dir == "/data/in");
    CHECK(parse_error("share.download_dir = \"downloads\"") ==
          "peer.toml:1:22: share.download_dir must be an absolute path, not \"downloads\"");
    CHECK(parse_error("share.download_dir = \"/" + std::string(4095, 'd') + "\"") ==
          "peer.toml:1:22: share.download_dir must be at most 4095 bytes long, not 4096");

    CHECK(parse_error("[control]\nsocket = \"napeerd.sock\"") ==
          "peer.toml:2:10: control.socket must be an absolute path, not \"napeerd.sock\"");
    // sun_path is 108 bytes with its terminating NUL: 107 is the longest path.
    std::string longest = "/" + std::string(106, 's');
    CHECK(parse_ok("control.socket = " + toml_string(longest)).control_socket == longest);
    CHECK(parse_error("control.socket = " + toml_string(longest + "s")) ==
          "peer.toml:1:18: control.socket must be at most 107 bytes long, not 108");
    CHECK(parse_error("control.socket = 1") ==
          "peer.toml:1:18: control.socket must be a string, not an integer");
}

TEST_CASE("unknown keys and tables are errors") {
    CHECK(parse_error("nmae = \"x\"\n") == "peer.toml:1:1: unknown key 'nmae'");
    CHECK(parse_error("[share]\ndirz = []\n") == "peer.toml:2:1: unknown key 'share.dirz'");
    CHECK(parse_error("[control]\nsocket_mode = 432\n") ==
          "peer.toml:2:1: unknown key 'control.socket_mode'");
    CHECK(parse_error("[uplaod]\nport = 1\n") == "peer.toml:1:2: unknown key 'uplaod'");
    CHECK(parse_error("name = \"a\"\n[name]\n").starts_with("peer.toml:2:"));
    CHECK(parse_error("[log]\nlevel = \"trace\"\n") ==
          "peer.toml:2:9: log.level must be one of error, warn, info, debug, not \"trace\"");
}

TEST_CASE("upload and control connection limits") {
    PeerConfig d = parse_ok("");
    CHECK(d.upload_max_concurrent == 8);
    CHECK(d.upload_handshake_timeout == 10);
    CHECK(d.upload_idle_timeout == 60);
    CHECK(d.upload_max_pending == 64);
    CHECK(d.upload_max_per_address == 16);
    CHECK(d.control_handshake_timeout == 10);
    CHECK(d.control_max_pending == 32);
    CHECK(d.control_max_per_user == 16);
    CHECK(parse_error("upload.max_concurrent = 0") ==
          "peer.toml:1:25: upload.max_concurrent must be 1..10000, not 0");
    CHECK(parse_error("upload.idle_timeout = 86401") ==
          "peer.toml:1:23: upload.idle_timeout must be 1..86400, not 86401");
    CHECK(parse_error("upload.handshake_timeout = 0") ==
          "peer.toml:1:28: upload.handshake_timeout must be 1..3600, not 0");
    CHECK(parse_ok("upload.max_pending = 0").upload_max_pending == 0);
    CHECK(parse_ok("upload.max_per_address = 1000000").upload_max_per_address == 1000000);
    CHECK(parse_error("control.handshake_timeout = 3601") ==
          "peer.toml:1:29: control.handshake_timeout must be 1..3600, not 3601");
    CHECK(parse_ok("control.max_pending = 0").control_max_pending == 0);
    CHECK(parse_error("control.max_per_user = \"x\"") ==
          "peer.toml:1:24: control.max_per_user must be an integer, not a string");
}

// Found by fuzz_config (tests/fuzz/regressions/fuzz_config/quoted_dotted_key):
// '"index.port"=4' was accepted and the port stayed 5015.
TEST_CASE("a quoted key holding a dot is unknown, not the key it spells") {
    CHECK(parse_error("\"index.port\"=4") ==
          "peer.toml:1:1: unknown key '\"index.port\"' (a dot inside quotes is part of the "
          "name, not a table)");
    CHECK(parse_error("[share]\n\"dirs\" = [\"/a\"]\n\"download.dir\" = \"/b\"\n") ==
          "peer.toml:3:1: unknown key 'share.\"download.dir\"' (a dot inside quotes is part "
          "of the name, not a table)");
}

TEST_CASE("format prints TOML that parses back to the same config") {
    PeerConfig config;
    config.name = "Zoë \"the\" \\ peer";
    config.index_address = "index.example.org";
    config.index_port = 1;
    config.upload_address = "::";
    config.upload_port = 0;
    // Paths may hold any byte but NUL: quotes, tabs, newlines, DEL must survive.
    config.share_dirs = {"/srv/with space", "/srv/quote\"d", "/srv/tab\tand\nnewline\x7f",
                         "/srv/ünïcode"};
    config.share_dirs.push_back("/srv/control\x01\x1f");
    config.download_dir = "/srv/back\\slash";
    config.control_socket = "/run/n.sock";
    config.log_level = LogLevel::error;
    config.source = "/etc/napster/peer.toml";
    config.upload_max_concurrent = 1;
    config.upload_handshake_timeout = 2;
    config.upload_idle_timeout = 3;
    config.upload_max_pending = 0;
    config.upload_max_per_address = 5;
    config.control_handshake_timeout = 6;
    config.control_max_pending = 7;
    config.control_max_per_user = 0;
    config.state_dir = "/var/lib/napster state";
    config.hash_jobs = 3;
    config.download_max_sources = 7;
    config.download_min_rate = 1;
    config.download_min_rate_window = 4;
    config.download_keep_partial = 5;

    std::string text = format_peer_config(config);
    CHECK(text.starts_with("# effective configuration (from /etc/napster/peer.toml)\n"));
    PeerConfig again = parse_ok(text);
    again.source = config.source;
    CHECK(again == config);

    PeerConfig defaults = parse_ok("");
    defaults.source = "";
    std::string default_text = format_peer_config(defaults);
    CHECK(default_text.starts_with("# effective configuration (built-in defaults)\n"));
    PeerConfig reparsed = parse_ok(default_text);
    reparsed.source = "";
    CHECK(reparsed == defaults);
}

TEST_CASE("format still writes valid TOML for a path that is not UTF-8") {
    // Only code can put such bytes in the struct (an $XDG_RUNTIME_DIR that is
    // not UTF-8); TOML cannot hold them, so they come out as U+FFFD.
    PeerEnvironment env = user_env();
    env.xdg_runtime_dir = "/run/\xff\xfe";
    PeerConfig config = parse_ok("", env);
    CHECK(config.control_socket == "/run/\xff\xfe/napster/napeerd.sock");
    PeerConfig again = parse_ok(format_peer_config(config), env);
    CHECK(again.control_socket == "/run/\xef\xbf\xbd\xef\xbf\xbd/napster/napeerd.sock");
}

TEST_CASE("load: a missing file means the environment's defaults") {
    std::string missing = "/nonexistent-napster-dir/peer.toml";
    PeerEnvironment env = user_env();
    env.host_name = "carol";

    Result<PeerConfig> defaults = load_peer_config(missing, true, env);
    REQUIRE(defaults.ok());
    CHECK(defaults->name == "carol");
    CHECK(defaults->control_socket == "/run/user/1000/napster/napeerd.sock");
    CHECK(defaults->source.empty());

    Result<PeerConfig> error = load_peer_config(missing, false, env);
    REQUIRE_FALSE(error.ok());
    CHECK(error.error().message == "cannot read " + missing + ": No such file or directory");
}

TEST_CASE("the example config/peer.toml parses and states the defaults") {
    std::string path = (repo_root() / "config" / "peer.toml").string();
    Result<PeerConfig> config = load_peer_config(path, false, user_env());
    REQUIRE_MESSAGE(config.ok(), config.error().message);

    // The example leaves `name` to the host name and names the socket a
    // system service uses.
    PeerConfig expected = parse_ok("");
    expected.control_socket = "/run/napster/napeerd.sock";
    expected.source = path;
    CHECK(*config == expected);
}
