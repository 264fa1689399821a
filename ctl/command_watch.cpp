// SPDX-License-Identifier: MIT
// napctl watch

#include "ctl/commands.h"
#include "ctl/control_client.h"
#include "ctl/output.h"
#include "ctl/watch_output.h"
#include "protocol/transfer_list_messages.h"

#include <cstdlib>
#include <cstring>
#include <ostream>

namespace napster::ctl {
namespace {

// napeerd sends an update at least every 10 s (watch_keepalive_ms).
constexpr std::chrono::milliseconds watch_idle_timeout{60'000};

} // namespace

// Runs until napeerd goes away or napctl is interrupted (Ctrl-C ends it as
// any program). On a terminal (TERM not dumb) each update redraws the
// screen; otherwise updates follow each other, a blank line apart.
int run_watch(const CommandContext& ctx, const CommandArgs&) {
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client) return report(ctx, client.failure());
    if (auto sent = client->send(protocol::WatchRequest{}); !sent) return report(ctx, sent.failure());
    const char* term = std::getenv("TERM");
    bool redraw = ctx.stdout_is_terminal && !ctx.json && term && *term && std::strcmp(term, "dumb") != 0;
    std::optional<protocol::WatchUpdate> last;
    for (bool first = true;; first = false) {
        auto update = receive_reply<protocol::WatchUpdate>(*client, watch_idle_timeout);
        if (!update) return report(ctx, update.failure());
        if (last && *update == *last) continue; // a keepalive: nothing changed
        if (ctx.json)
            ctx.out << success_document(ctx.command, watch_json(*update));
        else
            ctx.out << (redraw ? std::string(redraw_screen) : first ? "" : "\n") << watch_text(*update);
        ctx.out.flush();
        if (!ctx.out) return exit_failure; // stdout closed: main reports it
        last = std::move(*update);
    }
}

} // namespace napster::ctl
