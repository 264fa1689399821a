// SPDX-License-Identifier: MIT
// napctl reload

#include "ctl/commands.h"
#include "ctl/control_client.h"
#include "ctl/output.h"
#include "ctl/reload_output.h"
#include "protocol/reload_messages.h"

#include <ostream>

namespace napster::ctl {

int run_reload(const CommandContext& ctx, const CommandArgs&) {
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client) return report(ctx, client.failure());
    if (auto sent = client->send(protocol::ReloadRequest{}); !sent) return report(ctx, sent.failure());
    // napeerd answers once the config is applied; new share dirs are walked
    // after that, in the background.
    auto done = receive_reply<protocol::ReloadResult>(*client, reply_timeout);
    if (!done) return report(ctx, done.failure());
    ctx.out << (ctx.json ? success_document(ctx.command, reload_json(*done)) : reload_text(*done));
    return exit_success;
}

} // namespace napster::ctl
