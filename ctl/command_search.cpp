// SPDX-License-Identifier: MIT
// napctl search WORD... [--exact] [--names]

#include "ctl/commands.h"
#include "ctl/output.h"
#include "ctl/search_output.h"
#include "ctl/search_request.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>

#include <ostream>

namespace napster::ctl {

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

    auto result = search_request(ctx.socket_paths, query, exact);
    if (!result) return report(ctx, result.failure());
    // The index ranks by bytes; people read song_2 before song_10.
    std::stable_sort(result->hits.begin(), result->hits.end(),
                     [](const protocol::SearchHit& a, const protocol::SearchHit& b) {
                         return natural_less(a.name, b.name);
                     });

    // A search that found nothing prints an error document that still
    // holds the (empty) search fields, so scripts can read every answer.
    if (result->hits.empty())
        return report(ctx, failure("not_found", fmt::format("no file matches \"{}\"", printable(query))),
                      ctx.json ? search_json(query, exact, *result) : std::string("{}"));
    if (ctx.json)
        ctx.out << success_document(ctx.command, search_json(query, exact, *result));
    else
        ctx.out << (args.has("--names") ? search_names(*result) : search_text(*result));
    return exit_success;
}

} // namespace napster::ctl
