// SPDX-License-Identifier: MIT
// napctl's argument parsing (ctl/command_line.*), the command table
// (ctl/command_table.*) and the argument checks its commands make before
// they open a connection (name and query limits, fetch names, --peer and
// --hash).

#include "ctl/command_line.h"
#include "ctl/command_table.h"
#include "ctl/help.h"
#include "protocol/protocol.h"
#include "json_test_support.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace napster::ctl;
using Action = CommandLine::Action;

Outcome<CommandLine> parse(std::initializer_list<std::string_view> arguments) {
    std::vector<std::string_view> args(arguments);
    return parse_command_line(args);
}

// The parse must fail as a usage error; returns the failure for more checks.
Failure usage_error(std::initializer_list<std::string_view> arguments) {
    auto line = parse(arguments);
    REQUIRE_FALSE(line.ok());
    CHECK(line.failure().status == exit_usage);
    return line.failure();
}

constexpr std::string_view global_hint = "Try 'napctl --help'.";

std::string command_hint(std::string_view command) {
    const CommandSpec* spec = find_command(command);
    REQUIRE(spec != nullptr);
    return usage_line(*spec) + "\nTry 'napctl help " + std::string(command) + "'.";
}

// A socket that cannot exist: a command whose arguments pass its checks gets
// as far as connecting and fails with exit_unreachable, which tells the
// tests that the check let the arguments through. No socket is ever opened.
constexpr std::string_view missing_socket = "/nonexistent-napctl-unit-test/napeerd.sock";

struct Ran {
    int status = -1;
    std::string out;
    std::string err;
    bool json = false;
    std::string command;
};

// Parses and runs the command the way main() does, over string streams.
Ran run(std::vector<std::string> arguments, bool json = false) {
    std::vector<std::string_view> views(arguments.begin(), arguments.end());
    auto line = parse_command_line(views);
    REQUIRE(line.ok());
    REQUIRE(line->action == Action::run);
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    CommandContext ctx{
        .socket_paths = {std::string(missing_socket)},
        .json = line->json || json,
        .command = line->args.command->name,
        .stdin_is_terminal = false,
        .stdout_is_terminal = false,
        .stderr_is_terminal = false,
        .in = in,
        .out = out,
        .err = err,
    };
    int status = line->args.command->handler(ctx, line->args);
    return {status, out.str(), err.str(), line->json || json, std::string(line->args.command->name)};
}

const std::string unreachable_line =
    "napctl: cannot reach napeerd at " + std::string(missing_socket) + ": No such file or directory\n";

// Without --json nothing on stdout; with it, one failure document of
// ran's command with this code.
void check_failure_output(const Ran& ran, std::string_view code) {
    if (!ran.json) {
        CHECK(ran.out.empty());
        return;
    }
    using napster::json_test::Json;
    Json doc = napster::json_test::parse_document(ran.out);
    CHECK(doc.at("schema").text == "1");
    CHECK(doc.at("command").text == ran.command);
    CHECK_FALSE(doc.at("ok").boolean);
    CHECK(doc.at("error").at("code").text == code);
}

void check_reached_connect(const Ran& ran) {
    CHECK(ran.status == exit_unreachable);
    check_failure_output(ran, "unreachable");
    CHECK(ran.err == unreachable_line);
}

void check_usage_error(const Ran& ran, std::string_view command, std::string_view message) {
    CHECK(ran.status == exit_usage);
    check_failure_output(ran, "usage");
    CHECK(ran.err == "napctl: " + std::string(message) + "\n" + command_hint(command) + "\n");
}

} // namespace

// ---------------------------------------------------------------- table

TEST_CASE("the command table is sorted, unique and every entry is documented") {
    auto commands = all_commands();
    REQUIRE(commands.size() == 11);
    std::vector<std::string_view> names;
    for (const auto& command : commands) names.push_back(command.name);
    CHECK(names == std::vector<std::string_view>{"cancel", "fetch", "help", "reload", "rescan", "search", "shares",
                                                 "status", "transfers", "wait", "watch"});
    CHECK(std::is_sorted(names.begin(), names.end()));
    CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());

    for (const auto& command : commands) {
        CAPTURE(command.name);
        CHECK((command.handler != nullptr));
        CHECK_FALSE(command.summary.empty());
        CHECK(command.min_args <= command.max_args);
        // A command taking arguments names them in its usage line.
        CHECK(command.arguments.empty() == (command.max_args == 0));
        for (const auto& option : command.options) {
            CAPTURE(option.name);
            CHECK(option.name.starts_with("--"));
            CHECK_FALSE(option.help.empty());
        }
        // Every command's help starts with its usage line and has its summary.
        std::string help = command_help(command);
        CHECK(help.starts_with(usage_line(command) + "\n\n"));
        CHECK(help.find(command.summary.substr(1)) != std::string::npos);
        // ...and is listed in the general help.
        CHECK(global_help().find("  " + std::string(command.name) + "  ") != std::string::npos);
        CHECK(find_command(command.name) == &command);
    }
    for (const auto& option : global_options()) {
        CAPTURE(option.name);
        CHECK_FALSE(option.help.empty());
        CHECK(global_help().find(std::string(option.name)) != std::string::npos);
    }
}

TEST_CASE("find_command matches whole names only") {
    CHECK(find_command("shares") != nullptr);
    CHECK(find_command("share") == nullptr);
    CHECK(find_command("sharesx") == nullptr);
    CHECK(find_command("Status") == nullptr);
    CHECK(find_command("") == nullptr);
    CHECK(find_command("a") == nullptr);   // before the first entry
    CHECK(find_command("zzz") == nullptr); // after the last entry
}

TEST_CASE("usage lines") {
    CHECK(usage_line(*find_command("fetch")) ==
          "usage: napctl fetch NAME [--peer ID] [--output DIR] [--hash HEX] [--background] [--quiet] [--json]");
    CHECK(usage_line(*find_command("wait")) == "usage: napctl wait ID [--quiet] [--json]");
    CHECK(usage_line(*find_command("cancel")) == "usage: napctl cancel ID [--json]");
    CHECK(usage_line(*find_command("search")) == "usage: napctl search WORD... [--exact] [--names] [--json]");
    CHECK(usage_line(*find_command("status")) == "usage: napctl status [--json]");
    CHECK(usage_line(*find_command("shares")) == "usage: napctl shares [--json]");
    CHECK(usage_line(*find_command("help")) == "usage: napctl help [COMMAND]");
}

// ---------------------------------------------------------------- commands

TEST_CASE("every command parses with its arguments and options") {
    SUBCASE("status") {
        auto line = parse({"status"});
        REQUIRE(line.ok());
        CHECK(line->action == Action::run);
        CHECK(line->args.command == find_command("status"));
        CHECK(line->args.positional.empty());
        CHECK(line->args.options.empty());
        CHECK_FALSE(line->json);
        CHECK_FALSE(line->socket.has_value());
    }
    SUBCASE("shares") {
        auto line = parse({"shares"});
        REQUIRE(line.ok());
        CHECK(line->args.command == find_command("shares"));
        CHECK(line->args.positional.empty());
    }
    SUBCASE("help, with and without a command") {
        auto bare = parse({"help"});
        REQUIRE(bare.ok());
        CHECK(bare->action == Action::run);
        CHECK(bare->args.command == find_command("help"));
        CHECK(bare->args.positional.empty());
        auto one = parse({"help", "fetch"});
        REQUIRE(one.ok());
        CHECK(one->args.positional == std::vector<std::string>{"fetch"});
    }
    SUBCASE("search: words, --exact anywhere") {
        auto line = parse({"search", "file8", "3"});
        REQUIRE(line.ok());
        CHECK(line->args.command == find_command("search"));
        CHECK(line->args.positional == std::vector<std::string>{"file8", "3"});
        CHECK_FALSE(line->args.has("--exact"));

        auto exact = parse({"search", "file8", "--exact", "3"});
        REQUIRE(exact.ok());
        CHECK(exact->args.positional == std::vector<std::string>{"file8", "3"});
        CHECK(exact->args.has("--exact"));
        CHECK(exact->args.value("--exact") == std::string());
    }
    SUBCASE("fetch: --peer and --output, separate and with '='") {
        auto quiet = parse({"fetch", "-q", "a.txt", "--background"});
        REQUIRE(quiet);
        CHECK(quiet->args.has("--quiet"));
        CHECK(quiet->args.has("--background"));
        CHECK_FALSE(parse({"status", "-q"})); // only where the command has it
        auto line = parse({"fetch", "a.txt", "--peer", "4", "--output=/tmp/d"});
        REQUIRE(line.ok());
        CHECK(line->args.command == find_command("fetch"));
        CHECK(line->args.positional == std::vector<std::string>{"a.txt"});
        CHECK(line->args.value("--peer") == std::string("4"));
        CHECK(line->args.value("--output") == std::string("/tmp/d"));

        auto before = parse({"fetch", "--peer=7", "--output", "d", "a.txt"});
        REQUIRE(before.ok());
        CHECK(before->args.positional == std::vector<std::string>{"a.txt"});
        CHECK(before->args.value("--peer") == std::string("7"));
        CHECK(before->args.value("--output") == std::string("d"));
        CHECK_FALSE(before->args.has("--exact"));
    }
    SUBCASE("an option value may start with '-' and may contain '='") {
        auto line = parse({"fetch", "a.txt", "--output", "-dir", "--peer=a=b"});
        REQUIRE(line.ok());
        CHECK(line->args.value("--output") == std::string("-dir"));
        CHECK(line->args.value("--peer") == std::string("a=b"));
    }
    SUBCASE("a repeated option: the last value wins, both are kept in order") {
        auto line = parse({"fetch", "a.txt", "--peer", "1", "--peer", "2"});
        REQUIRE(line.ok());
        CHECK(line->args.value("--peer") == std::string("2"));
        REQUIRE(line->args.options.size() == 2);
        CHECK(line->args.options[0] == std::pair<std::string, std::string>{"--peer", "1"});
        CHECK(line->args.options[1] == std::pair<std::string, std::string>{"--peer", "2"});
    }
    SUBCASE("a lone '-' is an argument, not an option") {
        auto line = parse({"fetch", "-"});
        REQUIRE(line.ok());
        CHECK(line->args.positional == std::vector<std::string>{"-"});
    }
}

TEST_CASE("--json before or after the command") {
    for (auto arguments : {std::vector<std::string_view>{"--json", "status"},
                           std::vector<std::string_view>{"status", "--json"},
                           std::vector<std::string_view>{"--json", "status", "--json"}}) {
        auto line = parse_command_line(arguments);
        REQUIRE(line.ok());
        CHECK(line->json);
        CHECK(line->args.command == find_command("status"));
        CHECK(line->args.positional.empty());
        CHECK(line->args.options.empty()); // --json is global, not the command's
    }
    auto mixed = parse({"search", "a", "--json", "b"});
    REQUIRE(mixed.ok());
    CHECK(mixed->json);
    CHECK(mixed->args.positional == std::vector<std::string>{"a", "b"});
}

TEST_CASE("--json takes no value") {
    auto before = usage_error({"--json=1", "status"});
    CHECK(before.message == "option --json takes no value");
    CHECK(before.hint == global_hint);
    auto empty = usage_error({"--json=", "status"});
    CHECK(empty.message == "option --json takes no value");
    auto after = usage_error({"status", "--json=yes"});
    CHECK(after.message == "option --json takes no value");
    CHECK(after.hint == command_hint("status"));
}

TEST_CASE("--socket before or after the command, separate or with '='") {
    struct Case {
        std::vector<std::string_view> arguments;
        std::string_view socket;
    };
    for (const auto& c : {Case{{"--socket", "/run/a.sock", "status"}, "/run/a.sock"},
                          Case{{"--socket=/run/b.sock", "status"}, "/run/b.sock"},
                          Case{{"status", "--socket", "/run/c.sock"}, "/run/c.sock"},
                          Case{{"status", "--socket=/run/d.sock"}, "/run/d.sock"},
                          Case{{"--socket", "/first", "status", "--socket", "/last"}, "/last"},
                          Case{{"--socket", "--json", "status"}, "--json"},
                          Case{{"--socket=a=b", "status"}, "a=b"}}) {
        auto line = parse_command_line(c.arguments);
        REQUIRE(line.ok());
        REQUIRE(line->socket.has_value());
        CHECK(*line->socket == c.socket);
        CHECK(line->args.command == find_command("status"));
        CHECK(line->args.positional.empty());
    }
}

TEST_CASE("--socket needs a non-empty PATH") {
    for (auto arguments : {std::vector<std::string_view>{"--socket"},
                           std::vector<std::string_view>{"--socket="},
                           std::vector<std::string_view>{"--socket=", "status"},
                           std::vector<std::string_view>{"--socket", "", "status"}}) {
        auto line = parse_command_line(arguments);
        REQUIRE_FALSE(line.ok());
        CHECK(line.failure().status == exit_usage);
        CHECK(line.failure().message == "option --socket needs a PATH");
        CHECK(line.failure().hint == global_hint);
    }
    for (auto arguments : {std::vector<std::string_view>{"status", "--socket"},
                           std::vector<std::string_view>{"status", "--socket="},
                           std::vector<std::string_view>{"status", "--socket", ""}}) {
        auto line = parse_command_line(arguments);
        REQUIRE_FALSE(line.ok());
        CHECK(line.failure().status == exit_usage);
        CHECK(line.failure().message == "option --socket needs a PATH");
        CHECK(line.failure().hint == command_hint("status"));
    }
}

TEST_CASE("--help, -h and --version, -V") {
    for (std::string_view option : {"--help", "-h"}) {
        CAPTURE(option);
        auto alone = parse({option});
        REQUIRE(alone.ok());
        CHECK(alone->action == Action::global_help);
        // Help wins over what follows, even garbage.
        auto first = parse({option, "nonsense", "--bogus"});
        REQUIRE(first.ok());
        CHECK(first->action == Action::global_help);
        auto after = parse({"fetch", option});
        REQUIRE(after.ok());
        CHECK(after->action == Action::command_help);
        CHECK(after->args.command == find_command("fetch"));
        // A missing NAME does not matter when asking for help.
        auto mid = parse({"search", "x", option, "--bogus"});
        REQUIRE(mid.ok());
        CHECK(mid->action == Action::command_help);
        CHECK(mid->args.command == find_command("search"));
    }
    for (std::string_view option : {"--version", "-V"}) {
        CAPTURE(option);
        auto alone = parse({option});
        REQUIRE(alone.ok());
        CHECK(alone->action == Action::version);
        auto with_json = parse({"--json", option});
        REQUIRE(with_json.ok());
        CHECK(with_json->action == Action::version);
    }
    // After "--", --help is a word.
    auto word = parse({"search", "--", "--help"});
    REQUIRE(word.ok());
    CHECK(word->action == Action::run);
    CHECK(word->args.positional == std::vector<std::string>{"--help"});
}

// Regression: ctl/README.md says global options go before or after the
// command, but --version and -V after it were refused as unknown options.
TEST_CASE("--version and -V after the command print the version") {
    for (std::string_view option : {"--version", "-V"}) {
        CAPTURE(option);
        auto line = parse({"status", option});
        CHECK(line.ok());
        if (line.ok()) CHECK(line->action == Action::version);
    }
}

TEST_CASE("'--' ends options") {
    SUBCASE("after the command: later words are arguments, even --json and --socket") {
        auto line = parse({"search", "--", "-x", "--json", "--socket", "--exact"});
        REQUIRE(line.ok());
        CHECK(line->args.positional == std::vector<std::string>{"-x", "--json", "--socket", "--exact"});
        CHECK_FALSE(line->json);
        CHECK_FALSE(line->socket.has_value());
        CHECK(line->args.options.empty());
    }
    SUBCASE("options before '--' still count") {
        auto line = parse({"search", "--exact", "--json", "--", "--exact"});
        REQUIRE(line.ok());
        CHECK(line->json);
        CHECK(line->args.has("--exact"));
        CHECK(line->args.positional == std::vector<std::string>{"--exact"});
    }
    SUBCASE("a second '--' is an argument") {
        auto line = parse({"search", "--", "--"});
        REQUIRE(line.ok());
        CHECK(line->args.positional == std::vector<std::string>{"--"});
    }
    SUBCASE("a fetch name that starts with '-'") {
        auto line = parse({"fetch", "--peer", "3", "--", "-rf"});
        REQUIRE(line.ok());
        CHECK(line->args.positional == std::vector<std::string>{"-rf"});
        CHECK(line->args.value("--peer") == std::string("3"));
    }
    SUBCASE("before the command: the next word is the command") {
        auto line = parse({"--json", "--", "status"});
        REQUIRE(line.ok());
        CHECK(line->json);
        CHECK(line->args.command == find_command("status"));
        auto option_as_command = usage_error({"--", "--json"});
        CHECK(option_as_command.message == "unknown command \"--json\"");
        auto nothing = usage_error({"--json", "--"});
        CHECK(nothing.message == "no command given");
    }
}

// ---------------------------------------------------------------- usage errors

TEST_CASE("no command, unknown command") {
    auto empty = usage_error({});
    CHECK(empty.message == "no command given");
    CHECK(empty.hint == global_hint);
    CHECK(usage_error({"--json"}).message == "no command given");
    CHECK(usage_error({"--socket", "/s"}).message == "no command given");

    auto unknown = usage_error({"frobnicate"});
    CHECK(unknown.message == "unknown command \"frobnicate\"");
    CHECK(unknown.hint == global_hint);
    CHECK(usage_error({"STATUS"}).message == "unknown command \"STATUS\"; did you mean \"status\"?");
    CHECK(usage_error({"serach"}).message == "unknown command \"serach\"; did you mean \"search\"?");
    CHECK(usage_error({"stat"}).message == "unknown command \"stat\"");
    CHECK(usage_error({""}).message == "unknown command \"\"");
    // A hostile word is shown escaped, never as raw control bytes.
    CHECK(usage_error({"\x1b[2J\xff"}).message == "unknown command \"\\x1b[2J\\xff\"");
}

TEST_CASE("unknown options") {
    SUBCASE("before the command") {
        auto failure = usage_error({"--bogus", "status"});
        CHECK(failure.message == "unknown option \"--bogus\"");
        CHECK(usage_error({"--jsno", "status"}).message == "unknown option \"--jsno\"; did you mean \"--json\"?");
        CHECK(failure.hint == global_hint);
        CHECK(usage_error({"-x", "status"}).message == "unknown option \"-x\"");
        // Command options are not global options.
        CHECK(usage_error({"--exact", "search", "x"}).message == "unknown option \"--exact\"");
        CHECK(usage_error({"--peer=4", "fetch", "x"}).message == "unknown option \"--peer=4\"");
        CHECK(usage_error({"--\x01", "status"}).message == "unknown option \"--\\x01\"");
    }
    SUBCASE("after the command, named with the command and followed by its usage") {
        auto failure = usage_error({"status", "--bogus"});
        CHECK(failure.message == "status: unknown option \"--bogus\"");
        CHECK(failure.hint == command_hint("status"));
        // Another command's option.
        auto other = usage_error({"search", "x", "--peer", "4"});
        CHECK(other.message == "search: unknown option \"--peer\"");
        CHECK(other.hint == command_hint("search"));
        CHECK(usage_error({"fetch", "x", "--exact"}).message == "fetch: unknown option \"--exact\"");
        CHECK(usage_error({"fetch", "x", "--peer4"}).message == "fetch: unknown option \"--peer4\"; did you mean \"--peer\"?");
        CHECK(usage_error({"fetch", "x", "-p", "4"}).message == "fetch: unknown option \"-p\"");
        CHECK(usage_error({"fetch", "x", "--PEER", "4"}).message == "fetch: unknown option \"--PEER\"; did you mean \"--peer\"?");
    }
}

TEST_CASE("flags take no value, options need one") {
    auto flag = usage_error({"search", "x", "--exact=1"});
    CHECK(flag.message == "option --exact takes no value");
    CHECK(flag.hint == command_hint("search"));
    auto flag_empty = usage_error({"search", "x", "--exact="});
    CHECK(flag_empty.message == "option --exact takes no value");

    auto peer = usage_error({"fetch", "x", "--peer"});
    CHECK(peer.message == "option --peer needs a value (ID)");
    CHECK(peer.hint == command_hint("fetch"));
    auto output = usage_error({"fetch", "x", "--output"});
    CHECK(output.message == "option --output needs a value (DIR)");
    auto hash = usage_error({"fetch", "x", "--hash"});
    CHECK(hash.message == "option --hash needs a value (HEX)");
    CHECK(hash.hint == command_hint("fetch"));

    // "--peer=" gives an empty value; fetch itself refuses it (see below).
    auto empty = parse({"fetch", "x", "--peer="});
    REQUIRE(empty.ok());
    CHECK(empty->args.value("--peer") == std::string());
}

TEST_CASE("missing and extra arguments") {
    // fetch may leave NAME out with --hash only, which fetch itself checks.
    const std::string no_name = "fetch: missing NAME (or --hash HEX)";
    check_usage_error(run({"fetch"}), "fetch", no_name);
    check_usage_error(run({"fetch", "--peer", "4"}), "fetch", no_name);
    check_usage_error(run({"fetch", "--"}), "fetch", no_name);
    check_usage_error(run({"--json", "fetch", "--output", "/tmp"}), "fetch", no_name);

    auto fetch_two = usage_error({"fetch", "a", "b"});
    CHECK(fetch_two.message == "fetch: too many arguments");
    CHECK(fetch_two.hint == command_hint("fetch"));
    CHECK(usage_error({"fetch", "a", "--", "b"}).message == "fetch: too many arguments");

    auto search_none = usage_error({"search"});
    CHECK(search_none.message == "search: missing WORD...");
    CHECK(search_none.hint == command_hint("search"));
    CHECK(usage_error({"search", "--exact"}).message == "search: missing WORD...");

    // search takes any number of words.
    std::vector<std::string> many(500, "w");
    std::vector<std::string_view> arguments{"search"};
    arguments.insert(arguments.end(), many.begin(), many.end());
    auto line = parse_command_line(arguments);
    REQUIRE(line.ok());
    CHECK(line->args.positional.size() == 500);

    auto status_extra = usage_error({"status", "x"});
    CHECK(status_extra.message == "status: too many arguments");
    CHECK(status_extra.hint == command_hint("status"));
    CHECK(usage_error({"shares", "x"}).message == "shares: too many arguments");
    CHECK(usage_error({"shares", "--", "--json"}).message == "shares: too many arguments");
    CHECK(usage_error({"help", "fetch", "search"}).message == "help: too many arguments");
}

// ---------------------------------------------------------------- argument checks in the commands

TEST_CASE("fetch: NAME of 255 bytes is accepted, 256 bytes is a usage error") {
    REQUIRE(napster::protocol::max_file_name == 255);
    check_reached_connect(run({"fetch", std::string(255, 'n')}));
    check_reached_connect(run({"fetch", std::string(255, 'n'), "--peer", "4"}));

    auto long_name = run({"fetch", std::string(256, 'n')});
    check_usage_error(long_name, "fetch", "fetch: the name is 256 bytes, more than the limit of 255");
    // Also under --json, and also when --peer skips the search.
    check_usage_error(run({"--json", "fetch", std::string(256, 'n'), "--peer", "4"}), "fetch",
                      "fetch: the name is 256 bytes, more than the limit of 255");
    check_usage_error(run({"fetch", std::string(5000, 'n')}), "fetch",
                      "fetch: the name is 5000 bytes, more than the limit of 255");
}

TEST_CASE("fetch: names with '/', '.', '..' and empty names are refused") {
    check_usage_error(run({"fetch", "a/b"}), "fetch", "fetch: \"a/b\" is not a file name: file name contains '/'");
    check_usage_error(run({"fetch", "/etc/passwd", "--peer", "1"}), "fetch",
                      "fetch: \"/etc/passwd\" is not a file name: file name contains '/'");
    check_usage_error(run({"fetch", "dir/"}), "fetch", "fetch: \"dir/\" is not a file name: file name contains '/'");
    check_usage_error(run({"fetch", "."}), "fetch", "fetch: \".\" is not a file name: file name '.' is not allowed");
    check_usage_error(run({"fetch", "..", "--peer", "2"}), "fetch",
                      "fetch: \"..\" is not a file name: file name '..' is not allowed");
    check_usage_error(run({"fetch", ""}), "fetch", "fetch: \"\" is not a file name: file name is empty");
    check_usage_error(run({"fetch", std::string("a\0b", 3)}), "fetch",
                      "fetch: \"a\\x00b\" is not a file name: file name contains a NUL byte");
    // Names that only look like them are fine: any other byte is allowed.
    check_reached_connect(run({"fetch", "..."}));
    check_reached_connect(run({"fetch", ".hidden"}));
    check_reached_connect(run({"fetch", "a\\b"}));
    check_reached_connect(run({"fetch", "\xff\xfe.bin"}));
    check_reached_connect(run({"fetch", "--", "-n"}));
}

TEST_CASE("fetch: --peer must be a peer ID") {
    check_reached_connect(run({"fetch", "a.txt", "--peer", "0"}));
    check_reached_connect(run({"fetch", "a.txt", "--peer", "4294967295"}));
    const std::string limit = "fetch: --peer needs a peer ID (a number up to 4294967295), not ";
    check_usage_error(run({"fetch", "a.txt", "--peer", "4294967296"}), "fetch", limit + "\"4294967296\"");
    check_usage_error(run({"fetch", "a.txt", "--peer", "x"}), "fetch", limit + "\"x\"");
    check_usage_error(run({"fetch", "a.txt", "--peer="}), "fetch", limit + "\"\"");
    check_usage_error(run({"fetch", "a.txt", "--peer", "-1"}), "fetch", limit + "\"-1\"");
    check_usage_error(run({"fetch", "a.txt", "--peer", "4x"}), "fetch", limit + "\"4x\"");
    check_usage_error(run({"fetch", "a.txt", "--peer", " 4"}), "fetch", limit + "\" 4\"");
    check_usage_error(run({"fetch", "a.txt", "--peer", "\x1b"}), "fetch", limit + "\"\\x1b\"");
    // A long value is echoed cut to 40 columns.
    check_usage_error(run({"fetch", "a.txt", "--peer", std::string(100, 'z')}), "fetch",
                      limit + "\"" + std::string(37, 'z') + "...\"");
}

TEST_CASE("fetch: --hash takes a root of 64 hex digits, in either case") {
    const std::string lower = "4f1c2a9e0b3d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7";
    REQUIRE(lower.size() == 64);
    std::string upper = lower;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string mixed = lower;
    mixed[1] = 'F';
    mixed[63] = 'E';
    for (const std::string& root : {lower, upper, mixed, std::string(64, '0'), std::string(64, 'f')}) {
        CAPTURE(root);
        // Without NAME, with one, with '=', with --peer (no search).
        check_reached_connect(run({"fetch", "--hash", root}));
        check_reached_connect(run({"fetch", "saved-as.txt", "--hash", root}));
        check_reached_connect(run({"fetch", "--hash=" + root, "--peer", "4"}));
        check_reached_connect(run({"--json", "fetch", "--hash", root, "--output", "/tmp"}));
    }
    auto line = parse({"fetch", "--hash", "ab"});
    REQUIRE(line.ok());
    CHECK(line->args.positional.empty());
    CHECK(line->args.value("--hash") == std::string("ab"));
}

TEST_CASE("fetch: a --hash that is not 64 hex digits is a usage error") {
    const std::string good = std::string(63, 'a') + "b";
    auto bad = [](const std::string& shown, const std::string& why) {
        return "fetch: --hash \"" + shown + "\" is not a content root: " + why;
    };
    const std::string length = "a content hash is 64 hex digits, not ";
    check_usage_error(run({"fetch", "--hash", good.substr(0, 63)}), "fetch", bad(good.substr(0, 63), length + "63"));
    check_usage_error(run({"fetch", "--hash", good + "0"}), "fetch", bad(good + "0", length + "65"));
    check_usage_error(run({"fetch", "--hash="}), "fetch", bad("", length + "0"));
    check_usage_error(run({"fetch", "--hash", "4f1c2a9e0b3d"}), "fetch", bad("4f1c2a9e0b3d", length + "12"));
    check_usage_error(run({"fetch", "--hash", "0x" + good.substr(0, 62)}), "fetch",
                      bad("0x" + good.substr(0, 62), "a content hash is hex digits only; character 2 is 'x'"));
    std::string spaced = " " + good.substr(1);
    check_usage_error(run({"fetch", "--hash", spaced}), "fetch",
                      bad(spaced, "a content hash is hex digits only; character 1 is ' '"));
    std::string g = good;
    g[40] = 'g';
    check_usage_error(run({"fetch", "x", "--hash", g}), "fetch",
                      bad(g, "a content hash is hex digits only; character 41 is 'g'"));
    // Hostile bytes are escaped; a long value is cut to 70 columns.
    std::string escape = good;
    escape[0] = '\x1b';
    check_usage_error(run({"fetch", "--hash", escape}), "fetch",
                      bad("\\x1b" + good.substr(1), "a content hash is hex digits only; character 1 is '\\x1b'"));
    check_usage_error(run({"fetch", "--hash", std::string(500, 'a')}), "fetch",
                      bad(std::string(67, 'a') + "...", length + "500"));
    // Also under --json, and also with --peer: nothing is sent.
    check_usage_error(run({"--json", "fetch", "x", "--hash", "z", "--peer", "1"}), "fetch",
                      bad("z", length + "1"));
}

TEST_CASE("fetch: with --hash, a NAME given is still checked") {
    const std::string root(64, 'a');
    check_usage_error(run({"fetch", "a/b", "--hash", root}), "fetch",
                      "fetch: \"a/b\" is not a file name: file name contains '/'");
    check_usage_error(run({"fetch", std::string(256, 'n'), "--hash", root}), "fetch",
                      "fetch: the name is 256 bytes, more than the limit of 255");
    check_usage_error(run({"fetch", "", "--hash", root}), "fetch", "fetch: \"\" is not a file name: file name is empty");
    CHECK(usage_error({"fetch", "a", "b", "--hash", root}).message == "fetch: too many arguments");
}

TEST_CASE("fetch: --output needs a directory") {
    check_usage_error(run({"fetch", "a.txt", "--output="}), "fetch", "fetch: --output needs a directory");
    check_reached_connect(run({"fetch", "a.txt", "--peer", "1", "--output", "/tmp"}));
    check_reached_connect(run({"fetch", "a.txt", "--peer", "1", "--output", "."}));
    // napctl opens the directory itself, before it connects: one that is
    // not there is its own error, named as resolved from the current dir.
    Ran missing = run({"fetch", "a.txt", "--peer", "1", "--output", "no-such-relative-dir"});
    CHECK(missing.status == exit_failure);
    CHECK(missing.err == "napctl: cannot open the output directory " + std::filesystem::current_path().string() +
                             "/no-such-relative-dir: No such file or directory\n");
    check_usage_error(run({"fetch", "a.txt", "--output", "/" + std::string(4096, 'd')}), "fetch",
                      "fetch: the output directory is 4097 bytes, more than the limit of 4096");
}

TEST_CASE("search: a query of 1024 bytes is accepted, 1025 bytes is a usage error") {
    REQUIRE(napster::protocol::max_query == 1024);
    check_reached_connect(run({"search", std::string(1024, 'q')}));
    check_reached_connect(run({"search", "--exact", std::string(1024, 'q')}));
    // Words are joined with single spaces: 511 + 1 + 512 = 1024 bytes.
    check_reached_connect(run({"search", std::string(511, 'q'), std::string(512, 'q')}));

    const std::string over = "search: the query is 1025 bytes, more than the limit of 1024";
    check_usage_error(run({"search", std::string(1025, 'q')}), "search", over);
    check_usage_error(run({"search", "--exact", std::string(1025, 'q')}), "search", over);
    check_usage_error(run({"search", std::string(512, 'q'), std::string(512, 'q')}), "search", over);
    // Under --json, too: nothing on stdout.
    check_usage_error(run({"--json", "search", std::string(1025, 'q')}), "search", over);
}

TEST_CASE("search: an empty query is a usage error") {
    check_usage_error(run({"search", ""}), "search", "search: the query is empty");
    check_usage_error(run({"search", " \t", " "}), "search", "search: the query is empty");
    check_usage_error(run({"search", "--exact", ""}), "search", "search: the query is empty");
    // An exact query is a whole name and may be blank.
    check_reached_connect(run({"search", "--exact", " "}));
}

TEST_CASE("help runs without napeerd") {
    auto general = run({"help"});
    CHECK(general.status == exit_success);
    CHECK(general.out == global_help());
    CHECK(general.err.empty());

    auto fetch = run({"help", "fetch"});
    CHECK(fetch.status == exit_success);
    CHECK(fetch.out == command_help(*find_command("fetch")));

    auto unknown = run({"help", "nope"});
    CHECK(unknown.status == exit_usage);
    CHECK(unknown.out.empty());
    CHECK(unknown.err == "napctl: help: unknown command \"nope\"\nTry 'napctl --help'.\n");
}

namespace {

CommandLineIntent intent(std::initializer_list<std::string_view> arguments) {
    std::vector<std::string_view> args(arguments);
    return command_line_intent(args);
}

} // namespace

TEST_CASE("command_line_intent: --json and the command of a line that does not parse") {
    CHECK(intent({"--json", "nosuch"}).json);
    CHECK(intent({"--json", "nosuch"}).command == nullptr);
    CHECK(intent({"fetch", "--bogus", "--json"}).json);
    CHECK(intent({"fetch", "--bogus", "--json"}).command == find_command("fetch"));
    CHECK(intent({"--socket", "/s", "--json", "cancel"}).command == find_command("cancel"));
    CHECK(intent({"--socket", "--json", "cancel"}).command == find_command("cancel")); // --json is the PATH
    CHECK_FALSE(intent({"--socket", "--json", "cancel"}).json);
    CHECK_FALSE(intent({"search", "--", "--json"}).json); // a word, not an option
    CHECK_FALSE(intent({"search", "x"}).json);
    CHECK_FALSE(intent({}).json);
    CHECK(intent({}).command == nullptr);
    CHECK_FALSE(intent({"--json=1", "status"}).json);
}
