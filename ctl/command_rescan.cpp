// SPDX-License-Identifier: MIT
// napctl rescan

#include "ctl/commands.h"
#include "ctl/control_client.h"
#include "ctl/output.h"
#include "protocol/control_messages.h"
#include "util/text.h"

#include <fmt/format.h>

#include <ostream>

namespace napster::ctl {
namespace {

// A full walk of a large share takes a while; napeerd answers when done.
constexpr std::chrono::milliseconds rescan_timeout{30 * 60 * 1000};

} // namespace

int run_rescan(const CommandContext& ctx, const CommandArgs&) {
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client) return report(ctx, client.failure());
    if (auto sent = client->send(protocol::RescanRequest{}); !sent) return report(ctx, sent.failure());
    auto done = receive_reply<protocol::RescanDone>(*client, rescan_timeout);
    if (!done) return report(ctx, done.failure());
    if (ctx.json) {
        JsonWriter json;
        json.begin_object();
        json.number_field("file_count", done->file_count);
        json.number_field("upserted", done->upserted);
        json.number_field("removed", done->removed);
        json.end_object();
        ctx.out << success_document(ctx.command, json.finish());
    } else {
        ctx.out << fmt::format("rescan done: {} files shared, {} added or changed, {} removed\n",
                               group_thousands(done->file_count), group_thousands(done->upserted),
                               group_thousands(done->removed));
    }
    return exit_success;
}

} // namespace napster::ctl
