// SPDX-License-Identifier: MIT
#include "peer/fetch_choice.h"

#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace napster {

std::string root_prefix(const protocol::RootHash& root) {
    return root ? content::hex(*root).substr(0, 12) : std::string("unhashed");
}

protocol::Search fetch_search(const protocol::Fetch& request) {
    protocol::Search query;
    if (request.root) {
        query.root = request.root;
    } else {
        query.flags = protocol::search_flag_exact;
        query.query = request.name;
    }
    return query;
}

Result<FetchChoice> choose_fetch(const protocol::Fetch& request, const protocol::SearchResult& answer,
                                 std::optional<std::uint32_t> own_id) {
    if (request.peer && own_id && *request.peer == *own_id)
        return make_error(ErrorCode::invalid_argument, fmt::format("peer {} is this napeerd itself", *own_id));
    std::string what = request.root ? fmt::format("content {}", content::hex(*request.root)) : printable(request.name);
    auto usable = [&](const protocol::Holder& h) {
        return request.peer ? h.peer_id == *request.peer : !(own_id && h.peer_id == *own_id);
    };
    std::vector<const protocol::SearchHit*> matches;
    for (const auto& hit : answer.hits) {
        bool wanted = request.root ? hit.root == request.root : hit.name == request.name;
        if (wanted && std::any_of(hit.holders.begin(), hit.holders.end(), usable)) matches.push_back(&hit);
    }
    if (matches.empty())
        return make_error(ErrorCode::not_found, request.peer ? fmt::format("peer {} does not hold {}", *request.peer, what)
                                                             : fmt::format("no other peer holds {}", what));
    if (matches.size() > 1) {
        std::string list;
        for (const auto* hit : matches)
            list += fmt::format("{}{} ({} bytes, {})", list.empty() ? "" : ", ", root_prefix(hit->root), hit->size,
                                count_of(hit->holder_total, "holder", "holders"));
        return make_error(ErrorCode::invalid_argument,
                          fmt::format("{} is shared as {} different contents: {}; fetch one by its root "
                                      "(napctl fetch --hash ROOT)",
                                      what, matches.size(), list));
    }
    const protocol::SearchHit& hit = *matches.front();
    FetchChoice choice{request.name.empty() ? hit.name : request.name, hit.size, hit.root, {}};
    std::copy_if(hit.holders.begin(), hit.holders.end(), std::back_inserter(choice.holders), usable);
    return choice;
}

} // namespace napster
