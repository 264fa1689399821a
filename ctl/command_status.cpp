// SPDX-License-Identifier: MIT
// napctl status

#include "ctl/commands.h"
#include "ctl/control_client.h"
#include "ctl/output.h"
#include "ctl/status_output.h"
#include "protocol/control_messages.h"

#include <ostream>

namespace napster::ctl {

int run_status(const CommandContext& ctx, const CommandArgs&) {
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client) return report(ctx, client.failure());
    if (auto sent = client->send(protocol::StatusRequest{}); !sent) return report(ctx, sent.failure());
    auto status = receive_reply<protocol::StatusResult>(*client, reply_timeout);
    if (!status) return report(ctx, status.failure());
    ctx.out << (ctx.json ? success_document(ctx.command, status_json(*status)) : status_text(*status));
    return exit_success;
}

} // namespace napster::ctl
