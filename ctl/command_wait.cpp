// SPDX-License-Identifier: MIT
// napctl wait ID [-q]

#include "ctl/commands.h"
#include "ctl/control_client.h"
#include "ctl/download_follow.h"
#include "ctl/transfers_output.h"
#include "protocol/transfer_list_messages.h"

#include <fmt/format.h>

namespace napster::ctl {

int run_wait(const CommandContext& ctx, const CommandArgs& args) {
    auto id = parse_transfer_id("wait", args.positional.front());
    if (!id) return report(ctx, id.failure());
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client) return report(ctx, client.failure());
    if (auto sent = client->send(protocol::WaitRequest{*id}); !sent) return report(ctx, sent.failure());
    return follow_download(ctx, *client, fmt::format("transfer {}", *id), std::nullopt, args.has("--quiet"));
}

} // namespace napster::ctl
