// SPDX-License-Identifier: MIT
#include "ctl/search_request.h"

#include "ctl/control_client.h"

#include <fmt/format.h>

namespace napster::ctl {
namespace {

Outcome<protocol::SearchResult> send_search(std::span<const std::string> socket_paths, protocol::Search search) {
    auto client = ControlClient::connect(socket_paths, reply_timeout);
    if (!client) return client.failure();
    search.request_id = search_request_id;
    search.max_results = 0;
    if (auto sent = client->send(search); !sent) return sent.failure();
    auto result = receive_reply<protocol::SearchResult>(*client, reply_timeout);
    if (!result) return result.failure();
    if (result->request_id != search_request_id)
        return invalid_reply(fmt::format("SEARCH_RESULT for request {}, expected {}", result->request_id,
                                         search_request_id));
    return result;
}

} // namespace

Outcome<protocol::SearchResult> search_request(std::span<const std::string> socket_paths, std::string query,
                                               bool exact) {
    protocol::Search search;
    search.flags = exact ? protocol::search_flag_exact : 0;
    search.query = std::move(query);
    return send_search(socket_paths, std::move(search));
}

Outcome<protocol::SearchResult> root_search_request(std::span<const std::string> socket_paths, const content::Digest& root) {
    protocol::Search search;
    search.root = root;
    return send_search(socket_paths, std::move(search));
}

} // namespace napster::ctl
