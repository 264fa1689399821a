// SPDX-License-Identifier: MIT
#include "ctl/command.h"

#include "ctl/output.h"

#include <fmt/format.h>

#include <ostream>

namespace napster::ctl {

std::string usage_line(const CommandSpec& command) {
    std::string line = fmt::format("usage: napctl {}", command.name);
    if (!command.arguments.empty()) line += fmt::format(" {}", command.arguments);
    for (const auto& option : command.options) {
        if (option.argument.empty())
            line += fmt::format(" [{}]", option.name);
        else
            line += fmt::format(" [{} {}]", option.name, option.argument);
    }
    if (command.name != "help") line += " [--json]";
    return line;
}

Failure usage_failure(const CommandSpec& command, std::string message) {
    return {exit_usage, std::move(message),
            fmt::format("{}\nTry 'napctl help {}'.", usage_line(command), command.name)};
}

int report(const CommandContext& ctx, const Failure& failure, std::string_view fields) {
    if (ctx.json) {
        ctx.out << failure_document(ctx.command, failure, fields);
        ctx.out.flush();
    }
    ctx.err << "napctl: " << failure.message << '\n';
    if (!failure.hint.empty()) ctx.err << failure.hint << '\n';
    ctx.err.flush();
    return failure.status;
}

} // namespace napster::ctl
