// SPDX-License-Identifier: MIT
#include "util/daemon_args.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace napster;

namespace {

const std::string default_config = "/etc/napster/peer.toml";

DaemonArgs parse(std::vector<std::string> args) {
    return parse_daemon_args(args, default_config);
}

DaemonArgs parse_ok(std::vector<std::string> args) {
    DaemonArgs out = parse(args);
    REQUIRE_MESSAGE(out.error.empty(), out.error);
    return out;
}

} // namespace

TEST_CASE("no arguments give the defaults") {
    DaemonArgs args = parse_ok({});
    CHECK(args.config_path == default_config);
    CHECK_FALSE(args.config_given);
    CHECK_FALSE(args.check_config);
    CHECK_FALSE(args.help);
    CHECK_FALSE(args.version);
    CHECK(args.error.empty());
}

TEST_CASE("the config file can be given three ways") {
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"-c", "/tmp/my.toml"}, {"--config", "/tmp/my.toml"}, {"--config=/tmp/my.toml"}}) {
        INFO("argv[0]: ", argv[0]);
        DaemonArgs args = parse_ok(argv);
        CHECK(args.config_path == "/tmp/my.toml");
        CHECK(args.config_given);
        CHECK_FALSE(args.check_config);
        CHECK_FALSE(args.help);
        CHECK_FALSE(args.version);
    }
}

TEST_CASE("the config value is taken verbatim") {
    CHECK(parse_ok({"--config=a=b.toml"}).config_path == "a=b.toml");
    CHECK(parse_ok({"-c", "relative/peer.toml"}).config_path == "relative/peer.toml");
    // The last one wins.
    DaemonArgs args = parse_ok({"-c", "first.toml", "--config=second.toml"});
    CHECK(args.config_path == "second.toml");
    CHECK(args.config_given);
}

TEST_CASE("a config option without its file name is an error") {
    SUBCASE("-c at the end") {
        DaemonArgs args = parse({"-c"});
        CHECK(args.error == "-c needs a file name");
    }
    SUBCASE("--config at the end") {
        DaemonArgs args = parse({"--check-config", "--config"});
        CHECK(args.error == "--config needs a file name");
    }
    SUBCASE("empty --config=") {
        DaemonArgs args = parse({"--config="});
        CHECK_FALSE(args.error.empty());
        CHECK(args.error.find("--config") != std::string::npos);
    }
    SUBCASE("empty separate value") {
        DaemonArgs args = parse({"-c", ""});
        CHECK_FALSE(args.error.empty());
    }
}

TEST_CASE("--check-config, --help and --version set their flags") {
    DaemonArgs check = parse_ok({"--check-config"});
    CHECK(check.check_config);
    CHECK_FALSE(check.help);
    CHECK_FALSE(check.version);
    CHECK(check.config_path == default_config);
    CHECK_FALSE(check.config_given);

    for (const char* flag : {"-h", "--help"}) {
        INFO(flag);
        DaemonArgs args = parse_ok({flag});
        CHECK(args.help);
        CHECK_FALSE(args.version);
        CHECK_FALSE(args.check_config);
    }
    for (const char* flag : {"-V", "--version"}) {
        INFO(flag);
        DaemonArgs args = parse_ok({flag});
        CHECK(args.version);
        CHECK_FALSE(args.help);
        CHECK_FALSE(args.check_config);
    }

    DaemonArgs all = parse_ok({"--check-config", "-c", "x.toml", "-h", "-V"});
    CHECK(all.check_config);
    CHECK(all.help);
    CHECK(all.version);
    CHECK(all.config_path == "x.toml");
    CHECK(all.config_given);
}

TEST_CASE("an unknown argument is an error that names it") {
    for (const char* bad : {"--bogus", "-x", "extra", "-", "--", "--help=yes", "--configx", "-v"}) {
        INFO(bad);
        DaemonArgs args = parse({"--check-config", bad});
        CHECK_FALSE(args.error.empty());
        CHECK(args.error.find(std::string("'") + bad + "'") != std::string::npos);
    }
    CHECK(parse({"--frobnicate"}).error == "unknown argument '--frobnicate'");
}

TEST_CASE("-cFILE is the config file, as getopt takes it") {
    DaemonArgs args = parse_ok({"-c/etc/napster/peer.toml"});
    CHECK(args.config_path == "/etc/napster/peer.toml");
    CHECK(args.config_given);
}

TEST_CASE("a mistyped option gets a suggestion, anything else none") {
    CHECK(parse({"--chek-config"}).error == "unknown argument '--chek-config'; did you mean \"--check-config\"?");
    CHECK(parse({"--verison"}).error == "unknown argument '--verison'; did you mean \"--version\"?");
    CHECK(parse({"--frobnicate"}).error == "unknown argument '--frobnicate'");
    CHECK(parse({"config"}).error == "unknown argument 'config'"); // not an option: no guess
}
