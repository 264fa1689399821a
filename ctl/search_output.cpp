// SPDX-License-Identifier: MIT
#include "ctl/search_output.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>

namespace napster::ctl {
namespace {

// Holders and other names named in the table; the rest are counted or cut
// to "...", so a popular file does not make a line hundreds of columns wide.
constexpr std::size_t holders_named = 3;
constexpr std::size_t other_names_named = 3;

std::string holders_cell(const protocol::SearchHit& hit) {
    std::string names;
    std::size_t shown = std::min(hit.holders.size(), holders_named);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) names += ", ";
        names += fmt::format("{}#{}", printable(hit.holders[i].peer_name), hit.holders[i].peer_id);
    }
    if (hit.holder_total > shown) names += shown > 0 ? ", ..." : "...";
    if (names.empty()) return fmt::format("{}", hit.holder_total);
    return fmt::format("{} ({})", hit.holder_total, names);
}

std::string also_as_cell(const std::vector<std::string>& names) {
    std::string out = "also as: ";
    std::size_t shown = std::min(names.size(), other_names_named);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) out += ", ";
        out += printable(names[i]);
    }
    if (names.size() > shown) out += ", ...";
    return out;
}

} // namespace

std::vector<std::string> other_names(const protocol::SearchHit& hit) {
    std::vector<std::string> names;
    for (const auto& holder : hit.holders)
        if (holder.name != hit.name && std::find(names.begin(), names.end(), holder.name) == names.end())
            names.push_back(holder.name);
    return names;
}

std::string search_text(const protocol::SearchResult& result) {
    TextTable table({{"NAME"}, {"SIZE", TextTable::Align::right}, {"ROOT"}, {"HOLDERS"}});
    for (const auto& hit : result.hits) {
        table.add_row({printable(hit.name), human_size(hit.size), root_cell(hit.root), holders_cell(hit)});
        if (auto names = other_names(hit); !names.empty()) table.add_row({"", "", "", also_as_cell(names)});
    }
    std::string out = table.render();
    if (result.total_is_lower_bound)
        out += fmt::format("showing {} of more than {} matches\n", result.hits.size(), group_thousands(result.total_matches));
    else if (result.total_matches > result.hits.size())
        out += fmt::format("showing {} of {} matches\n", result.hits.size(), result.total_matches);
    return out;
}

std::string search_json(std::string_view query, bool exact, const protocol::SearchResult& result) {
    JsonWriter json;
    json.begin_object();
    json.string_field("query", query);
    json.bool_field("exact", exact);
    json.number_field("total_matches", result.total_matches);
    json.bool_field("total_is_lower_bound", result.total_is_lower_bound);
    json.key("files");
    json.begin_array();
    for (const auto& hit : result.hits) {
        json.begin_object();
        json.string_field("name", hit.name);
        json.number_field("size", hit.size);
        root_field(json, "root", hit.root);
        json.number_field("holder_total", hit.holder_total);
        json.key("holders");
        json.begin_array();
        for (const auto& holder : hit.holders) {
            json.begin_object();
            json.number_field("peer_id", holder.peer_id);
            json.optional_string_field("peer_name", holder.peer_name);
            json.string_field("address", holder.address);
            json.number_field("port", holder.port);
            json.number_field("file_id", holder.file_id);
            json.string_field("name", holder.name);
            json.end_object();
        }
        json.end_array();
        json.end_object();
    }
    json.end_array();
    json.end_object();
    return json.finish();
}

std::string search_names(const protocol::SearchResult& result) {
    std::vector<std::string_view> names;
    for (const auto& hit : result.hits) {
        names.push_back(hit.name);
        for (const auto& holder : hit.holders) names.push_back(holder.name);
    }
    std::sort(names.begin(), names.end(), [](std::string_view a, std::string_view b) { return natural_less(a, b); });
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string text;
    for (std::string_view name : names) {
        if (name.empty() || name.find('\n') != std::string_view::npos) continue;
        text += name;
        text += '\n';
    }
    return text;
}

} // namespace napster::ctl
