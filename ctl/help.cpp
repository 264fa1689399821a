// SPDX-License-Identifier: MIT
#include "ctl/help.h"

#include "ctl/command_table.h"
#include "ctl/commands.h"
#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ostream>

namespace napster::ctl {
namespace {

std::string option_label(const OptionSpec& option) {
    std::string name = option.short_name.empty() ? std::string(option.name)
                                                 : fmt::format("{}, {}", option.short_name, option.name);
    if (option.argument.empty()) return name;
    return fmt::format("{} {}", name, option.argument);
}

void append_options(std::string& out, std::span<const OptionSpec> options) {
    std::size_t width = 0;
    for (const auto& option : options) width = std::max(width, option_label(option).size());
    for (const auto& option : options)
        out += fmt::format("  {:<{}}  {}\n", option_label(option), width, option.help);
}

constexpr std::string_view exit_status_text =
    "Exit status:\n"
    "  0  success\n"
    "  1  not found, cancelled, or napeerd reported a failure\n"
    "  2  usage error, or a fetch NAME that stands for several files (use --hash)\n"
    "  3  napeerd not reachable at the socket\n"
    "  4  napeerd runs but is not connected to the index\n"
    "  130  Ctrl-C while fetch or wait followed a download (which goes on)\n";

constexpr std::string_view json_text =
    "JSON output (--json):\n"
    "  Every command prints exactly one JSON document on stdout (watch: one a\n"
    "  line), {\"schema\":1,\"command\":...,\"ok\":true,...}, and on failure\n"
    "  {...,\"ok\":false,\"error\":{\"code\",\"message\",\"detail\"}}; the message also\n"
    "  goes to stderr as text, with the same exit status. Unknown values are\n"
    "  null, never \"\". See napctl(1), JSON OUTPUT. File names are bytes: a\n"
    "  string that is not valid UTF-8 is printed with U+FFFD for the bad bytes\n"
    "  and gets a sibling key with the suffix \"_hex\" holding all its bytes in\n"
    "  hex, e.g. \"name\": \"file\\ufffd.txt\", \"name_hex\": \"66696c65ff2e747874\".\n"
    "  In text output such bytes, and control characters, appear as \\xNN.\n";

} // namespace

std::string global_help() {
    std::string out = "usage: napctl [--socket PATH] [--json] COMMAND [ARGS]\n\n"
                      "Drives the local napeerd over its control socket.\n\n"
                      "Commands:\n";
    std::size_t width = 0;
    for (const auto& command : all_commands()) width = std::max(width, command.name.size());
    for (const auto& command : all_commands())
        out += fmt::format("  {:<{}}  {}\n", command.name, width, command.summary);
    out += "\nOptions (before or after the command):\n";
    append_options(out, global_options());
    out += "\n";
    out += exit_status_text;
    out += "\n";
    out += json_text;
    out += "\nRun 'napctl help COMMAND' for a command's arguments and options.\n";
    return out;
}

std::string command_help(const CommandSpec& command) {
    std::string out = usage_line(command) + "\n\n";
    std::string summary(command.summary);
    if (!summary.empty()) summary.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(summary.front())));
    out += fmt::format("{}.\n", summary);
    if (!command.details.empty()) out += fmt::format("\n{}", command.details);
    if (!command.options.empty()) {
        out += "\nOptions:\n";
        append_options(out, command.options);
    }
    if (command.name != "help") {
        out += "\nAlso: --json, --socket PATH (see 'napctl --help').\n";
        out += "\n";
        out += exit_status_text;
    }
    return out;
}

int run_help(const CommandContext& ctx, const CommandArgs& args) {
    if (args.positional.empty()) {
        ctx.out << help_output(ctx.json, ctx.command, global_help());
        return exit_success;
    }
    const CommandSpec* command = find_command(args.positional.front());
    if (!command)
        return report(ctx, {exit_usage,
                            fmt::format("help: unknown command \"{}\"", printable(args.positional.front())),
                            "Try 'napctl --help'."});
    ctx.out << help_output(ctx.json, ctx.command, command_help(*command));
    return exit_success;
}

std::string help_output(bool json, std::string_view command, std::string text) {
    if (!json) return text;
    JsonWriter fields;
    fields.begin_object();
    fields.string_field("text", text);
    fields.end_object();
    return success_document(command, fields.finish());
}

} // namespace napster::ctl
