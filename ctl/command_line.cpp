// SPDX-License-Identifier: MIT
#include "ctl/command_line.h"

#include "ctl/command_table.h"
#include "util/text.h"

#include <fmt/format.h>

#include <array>
#include <string_view>
#include <vector>

namespace napster::ctl {
namespace {

constexpr std::string_view global_hint = "Try 'napctl --help'.";

Failure global_usage(std::string message) { return {exit_usage, std::move(message), std::string(global_hint)}; }

bool looks_like_option(std::string_view arg) { return arg.size() > 1 && arg.front() == '-'; }

// "--peer=4" -> {"--peer", "4"}; "--peer" -> {"--peer", nullopt}.
std::pair<std::string_view, std::optional<std::string_view>> split_option(std::string_view arg) {
    auto eq = arg.find('=');
    if (arg.starts_with("--") && eq != std::string_view::npos) return {arg.substr(0, eq), arg.substr(eq + 1)};
    return {arg, std::nullopt};
}

// Takes an option's value from "=VALUE" or the next argument.
std::optional<std::string> take_value(std::optional<std::string_view> inline_value,
                                      std::span<const std::string_view> arguments, std::size_t& i) {
    if (inline_value) return std::string(*inline_value);
    if (i + 1 >= arguments.size()) return std::nullopt;
    return std::string(arguments[++i]);
}

} // namespace

CommandLineIntent command_line_intent(std::span<const std::string_view> arguments) {
    CommandLineIntent intent;
    std::size_t i = 0;
    for (; i < arguments.size(); ++i) {
        std::string_view arg = arguments[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (!looks_like_option(arg)) break;
        if (arg == "--json") intent.json = true;
        if (arg == "--socket") ++i; // its PATH
    }
    if (i < arguments.size()) intent.command = find_command(arguments[i++]);
    for (; i < arguments.size() && arguments[i] != "--"; ++i)
        if (arguments[i] == "--json") intent.json = true;
    return intent;
}

Outcome<CommandLine> parse_command_line(std::span<const std::string_view> arguments) {
    CommandLine line;
    std::size_t i = 0;

    // Global options, up to the command name.
    for (; i < arguments.size(); ++i) {
        std::string_view arg = arguments[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (!looks_like_option(arg)) break;
        auto [name, inline_value] = split_option(arg);
        if (name == "--help" || name == "-h") {
            line.action = CommandLine::Action::global_help;
            return line;
        }
        if (name == "--version" || name == "-V") {
            line.action = CommandLine::Action::version;
            return line;
        }
        if (name == "--json" && !inline_value) {
            line.json = true;
        } else if (name == "--socket") {
            auto value = take_value(inline_value, arguments, i);
            if (!value || value->empty()) return global_usage("option --socket needs a PATH");
            line.socket = std::move(*value);
        } else if (name == "--json") {
            return global_usage("option --json takes no value");
        } else {
            return global_usage(fmt::format("unknown option \"{}\"{}", printable(arg),
                                            did_you_mean(name, std::array<std::string_view, 4>{
                                                                   "--json", "--socket", "--help", "--version"})));
        }
    }
    if (i == arguments.size()) return global_usage("no command given");

    const CommandSpec* command = find_command(arguments[i]);
    if (!command) {
        std::vector<std::string_view> names;
        for (const auto& spec : all_commands()) names.push_back(spec.name);
        return global_usage(
            fmt::format("unknown command \"{}\"{}", printable(arguments[i]), did_you_mean(arguments[i], names)));
    }
    line.args.command = command;
    ++i;

    bool options_ended = false;
    for (; i < arguments.size(); ++i) {
        std::string_view arg = arguments[i];
        if (options_ended || !looks_like_option(arg)) {
            line.args.positional.emplace_back(arg);
            continue;
        }
        if (arg == "--") {
            options_ended = true;
            continue;
        }
        auto [name, inline_value] = split_option(arg);
        if (name == "--help" || name == "-h") {
            line.action = CommandLine::Action::command_help;
            return line;
        }
        if (name == "--version" || name == "-V") {
            line.action = CommandLine::Action::version;
            return line;
        }
        if (name == "--json") {
            if (inline_value) return usage_failure(*command, "option --json takes no value");
            line.json = true;
            continue;
        }
        if (name == "--socket") {
            auto value = take_value(inline_value, arguments, i);
            if (!value || value->empty()) return usage_failure(*command, "option --socket needs a PATH");
            line.socket = std::move(*value);
            continue;
        }
        const OptionSpec* option = nullptr;
        for (const auto& candidate : command->options)
            if (candidate.name == name || (!candidate.short_name.empty() && candidate.short_name == name))
                option = &candidate;
        if (!option) {
            std::vector<std::string_view> names{"--json", "--socket", "--help"};
            for (const auto& candidate : command->options) names.push_back(candidate.name);
            return usage_failure(*command, fmt::format("{}: unknown option \"{}\"{}", command->name, printable(arg),
                                                       did_you_mean(name, names)));
        }
        if (option->argument.empty()) {
            if (inline_value)
                return usage_failure(*command, fmt::format("option {} takes no value", option->name));
            line.args.options.emplace_back(option->name, "");
            continue;
        }
        auto value = take_value(inline_value, arguments, i);
        if (!value)
            return usage_failure(*command, fmt::format("option {} needs a value ({})", option->name,
                                                       option->argument));
        line.args.options.emplace_back(option->name, std::move(*value));
    }

    std::size_t count = line.args.positional.size();
    if (count < command->min_args)
        return usage_failure(*command, fmt::format("{}: missing {}", command->name, command->arguments));
    if (count > command->max_args)
        return usage_failure(*command, fmt::format("{}: too many arguments", command->name));
    return line;
}

} // namespace napster::ctl
