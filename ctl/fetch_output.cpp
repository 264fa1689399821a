// SPDX-License-Identifier: MIT
#include "ctl/fetch_output.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

namespace napster::ctl {

std::string fetch_done_text(const protocol::FetchDone& done) {
    return printable(done.path) + "\n";
}

std::string fetch_done_summary(const protocol::FetchDone& done) {
    std::string how;
    if (done.verified && done.root) // the codec accepts verified only with a root
        how = fmt::format("verified {}", root_prefix(*done.root));
    else if (done.root)
        how = fmt::format("not verified against root {}", root_prefix(*done.root));
    else
        how = "not verified: the holder had not hashed it yet";
    return fmt::format("{}, {}\n", human_size(done.size), how);
}

std::string fetch_done_json(const protocol::FetchDone& done) {
    JsonWriter json;
    json.begin_object();
    json.string_field("path", done.path);
    json.number_field("size", done.size);
    json.number_field("peer_id", done.peer_id);
    json.string_field("peer_name", done.peer_name);
    root_field(json, "root", done.root);
    json.bool_field("verified", done.verified);
    json.end_object();
    return json.finish();
}

} // namespace napster::ctl
