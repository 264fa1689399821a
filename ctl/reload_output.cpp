// SPDX-License-Identifier: MIT
#include "ctl/reload_output.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>

namespace napster::ctl {
namespace {

std::string source_text(const protocol::ReloadResult& result) {
    return result.source.empty() ? std::string("built-in defaults") : printable(result.source);
}

} // namespace

std::string reload_text(const protocol::ReloadResult& result) {
    if (result.changes.empty() && result.left_out == 0)
        return fmt::format("reloaded {}: nothing changed\n", source_text(result));
    std::string out = fmt::format("reloaded {}:\n", source_text(result));
    for (const auto& change : result.changes) out += fmt::format("  {}\n", protocol::reload_text(change));
    if (result.left_out) out += fmt::format("  ... and {} more (see napeerd's log)\n", result.left_out);
    return out;
}

std::string reload_json(const protocol::ReloadResult& result) {
    JsonWriter json;
    json.begin_object();
    json.optional_string_field("source", result.source);
    json.key("changes");
    json.begin_array();
    std::vector<std::string> restart;
    for (const auto& change : result.changes) {
        json.begin_object();
        json.string_field("key", change.key);
        json.bool_field("applied", change.live);
        // A share dir added has no value before, one removed none after.
        json.optional_string_field("before", change.before);
        json.optional_string_field("after", change.after);
        json.end_object();
        if (!change.live && std::find(restart.begin(), restart.end(), change.key) == restart.end())
            restart.push_back(change.key);
    }
    json.end_array();
    json.string_array_field("restart_needed", restart);
    json.number_field("left_out", result.left_out);
    json.end_object();
    return json.finish();
}

} // namespace napster::ctl
