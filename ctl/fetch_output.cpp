// SPDX-License-Identifier: MIT
#include "ctl/fetch_output.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

namespace napster::ctl {

std::string fetch_done_text(const protocol::FetchDone& done) {
    return printable(done.path) + "\n";
}

std::string elapsed_text(std::uint64_t ms) {
    // Below a second tenths of one would read "0.0 s" for a quick fetch.
    if (ms < 1'000) return fmt::format("{} ms", ms);
    if (ms < 60'000) return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
    return human_duration(ms / 1000);
}

std::string fetch_done_summary(const protocol::FetchDone& done, std::optional<std::uint64_t> elapsed_ms,
                               std::optional<std::uint64_t> average_rate) {
    std::string how;
    if (done.verified && done.root) // the codec accepts verified only with a root
        how = fmt::format("verified {}", root_prefix(*done.root));
    else if (done.root)
        how = fmt::format("not verified against root {}", root_prefix(*done.root));
    else
        how = "not verified: the holder had not hashed it yet";
    std::string when;
    if (elapsed_ms) {
        when = " in " + elapsed_text(*elapsed_ms);
        if (average_rate) when += fmt::format(" ({}/s)", human_size(*average_rate));
    }
    return fmt::format("{}{}, {}\n", human_size(done.size), when, how);
}

std::string background_text(std::string_view printable_name, protocol::TransferId id) {
    return fmt::format("fetching {} as transfer {}; napctl wait {} follows it, napctl cancel {} stops it\n",
                       printable_name, id, id, id);
}

std::string background_json(protocol::TransferId id) {
    JsonWriter json;
    json.begin_object();
    json.number_field("transfer_id", id);
    json.end_object();
    return json.finish();
}

std::string fetch_done_json(const protocol::FetchDone& done) {
    JsonWriter json;
    json.begin_object();
    json.string_field("path", done.path);
    json.number_field("size", done.size);
    json.number_field("peer_id", done.peer_id);
    json.optional_string_field("peer_name", done.peer_name);
    root_field(json, "root", done.root);
    json.bool_field("verified", done.verified);
    json.end_object();
    return json.finish();
}

} // namespace napster::ctl
