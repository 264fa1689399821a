// SPDX-License-Identifier: MIT
// napctl search WORD... [--exact]

#include "ctl/commands.h"
#include "ctl/output.h"
#include "ctl/search_request.h"
#include "util/text.h"

#include <fmt/format.h>

#include <ostream>

namespace napster::ctl {
namespace {

// Holders named in the table cell; the rest are counted, not named, so a
// popular file does not make a line hundreds of columns wide.
constexpr std::size_t holders_named = 3;

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

void print_text(const CommandContext& ctx, const protocol::SearchResult& result) {
    TextTable table({{"NAME"}, {"SIZE", TextTable::Align::right}, {"HOLDERS"}});
    for (const auto& hit : result.hits)
        table.add_row({printable(hit.name), human_size(hit.size), holders_cell(hit)});
    ctx.out << table.render();
    if (result.total_matches > result.hits.size())
        ctx.out << fmt::format("showing {} of {} matches\n", result.hits.size(), result.total_matches);
}

void print_json(const CommandContext& ctx, std::string_view query, bool exact,
                const protocol::SearchResult& result) {
    JsonWriter json;
    json.begin_object();
    json.string_field("query", query);
    json.bool_field("exact", exact);
    json.number_field("total_matches", result.total_matches);
    json.key("files");
    json.begin_array();
    for (const auto& hit : result.hits) {
        json.begin_object();
        json.string_field("name", hit.name);
        json.number_field("size", hit.size);
        json.number_field("holder_total", hit.holder_total);
        json.key("holders");
        json.begin_array();
        for (const auto& holder : hit.holders) {
            json.begin_object();
            json.number_field("peer_id", holder.peer_id);
            json.string_field("peer_name", holder.peer_name);
            json.string_field("address", holder.address);
            json.number_field("port", holder.port);
            json.number_field("file_id", holder.file_id);
            json.end_object();
        }
        json.end_array();
        json.end_object();
    }
    json.end_array();
    json.end_object();
    ctx.out << json.finish();
}

} // namespace

int run_search(const CommandContext& ctx, const CommandArgs& args) {
    bool exact = args.has("--exact");
    std::string query;
    for (const auto& word : args.positional) {
        if (!query.empty()) query += ' ';
        query += word;
    }
    // An exact query is a whole name and keeps its spaces; a word query
    // needs at least one word.
    if (exact ? query.empty() : split_words(query).empty())
        return report(ctx, usage_failure(*args.command, "search: the query is empty"));
    if (query.size() > protocol::max_query)
        return report(ctx, usage_failure(*args.command,
                                         fmt::format("search: the query is {} bytes, more than the limit of {}",
                                                     query.size(), protocol::max_query)));

    auto result = search_request(ctx.socket_path, query, exact);
    if (!result) return report(ctx, result.failure());

    // A search that found nothing still prints its (empty) JSON document,
    // so scripts can parse every answer; the exit status tells them apart.
    if (ctx.json) print_json(ctx, query, exact, *result);
    if (result->hits.empty())
        return report(ctx, failure(fmt::format("no file matches \"{}\"", printable(query))));
    if (!ctx.json) print_text(ctx, *result);
    return exit_success;
}

} // namespace napster::ctl
