// SPDX-License-Identifier: MIT
// napctl cancel ID

#include "ctl/commands.h"
#include "ctl/control_client.h"
#include "ctl/output.h"
#include "ctl/transfers_output.h"
#include "protocol/transfer_list_messages.h"

#include <ostream>

namespace napster::ctl {

int run_cancel(const CommandContext& ctx, const CommandArgs& args) {
    auto id = parse_transfer_id("cancel", args.positional.front());
    if (!id) return report(ctx, id.failure());
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client) return report(ctx, client.failure());
    if (auto sent = client->send(protocol::CancelRequest{*id}); !sent) return report(ctx, sent.failure());
    auto done = receive_reply<protocol::CancelDone>(*client, reply_timeout);
    if (!done) return report(ctx, done.failure());
    ctx.out << (ctx.json ? success_document(ctx.command, cancel_json(*done)) : cancel_text(*done));
    return exit_success;
}

} // namespace napster::ctl
