// SPDX-License-Identifier: MIT
#include "ctl/search_request.h"

#include "ctl/control_client.h"

#include <fmt/format.h>

namespace napster::ctl {

Outcome<protocol::SearchResult> search_request(const std::string& socket_path, std::string query,
                                               bool exact) {
    auto client = ControlClient::connect(socket_path, reply_timeout);
    if (!client) return client.failure();
    protocol::Search search;
    search.request_id = search_request_id;
    search.flags = exact ? protocol::search_flag_exact : 0;
    search.max_results = 0;
    search.query = std::move(query);
    if (auto sent = client->send(search); !sent) return sent.failure();
    auto result = receive_reply<protocol::SearchResult>(*client, reply_timeout);
    if (!result) return result.failure();
    if (result->request_id != search_request_id)
        return invalid_reply(fmt::format("SEARCH_RESULT for request {}, expected {}", result->request_id,
                                         search_request_id));
    return result;
}

} // namespace napster::ctl
