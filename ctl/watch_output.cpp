// SPDX-License-Identifier: MIT
#include "ctl/watch_output.h"

#include "ctl/output.h"
#include "ctl/status_output.h"
#include "ctl/transfers_output.h"
#include "util/text.h"

#include <fmt/format.h>

namespace napster::ctl {

std::string watch_text(const protocol::WatchUpdate& update) {
    std::string out = "index: " + index_link_text(update.index_state, update.peer_id, update.index_address,
                                                  update.reconnect_in_ms) + "\n";
    if (update.index_state != protocol::IndexState::connected && !update.last_error.empty())
        out += fmt::format("last error: {}\n", printable(update.last_error));
    return out + transfers_text(update.transfers);
}

std::string watch_json(const protocol::WatchUpdate& update) {
    JsonWriter json;
    json.begin_object();
    json.key("index");
    json.begin_object();
    json.string_field("state", protocol::index_state_name(update.index_state));
    if (update.index_state == protocol::IndexState::connected)
        json.number_field("peer_id", update.peer_id);
    else
        json.null_field("peer_id");
    json.optional_string_field("address", update.index_address);
    json.number_field("reconnect_in_ms", update.reconnect_in_ms);
    if (update.last_error.empty())
        json.null_field("last_error");
    else
        json.string_field("last_error", update.last_error);
    json.end_object();
    write_transfers(json, update.transfers);
    json.end_object();
    return json.finish();
}

} // namespace napster::ctl
