// SPDX-License-Identifier: MIT
// napctl transfers

#include "ctl/commands.h"
#include "ctl/control_client.h"
#include "ctl/output.h"
#include "ctl/transfers_output.h"
#include "protocol/transfer_list_messages.h"

#include <ostream>

namespace napster::ctl {

int run_transfers(const CommandContext& ctx, const CommandArgs&) {
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client) return report(ctx, client.failure());
    if (auto sent = client->send(protocol::TransfersRequest{}); !sent) return report(ctx, sent.failure());
    auto result = receive_reply<protocol::TransfersResult>(*client, reply_timeout);
    if (!result) return report(ctx, result.failure());
    ctx.out << (ctx.json ? success_document(ctx.command, transfers_json(*result)) : transfers_text(*result));
    return exit_success;
}

} // namespace napster::ctl
