// SPDX-License-Identifier: MIT
#include "ctl/download_follow.h"

#include "ctl/fetch_output.h"
#include "ctl/interrupt.h"
#include "ctl/output.h"
#include "ctl/progress_line.h"

#include <fmt/format.h>

#include <cstdlib>
#include <ostream>

namespace napster::ctl {
namespace {

// A download has no overall limit, but napeerd reports progress a few times
// a second: this long without any frame means it is stuck.
constexpr std::chrono::milliseconds fetch_idle_timeout{60'000};

Outcome<protocol::FetchDone> next_outcome(ControlClient& client, ProgressLine& progress,
                                          const protocol::RootHash& expected_root) {
    for (;;) {
        auto frame = client.receive(fetch_idle_timeout);
        if (!frame) return frame.failure();
        switch (frame->type) {
        case protocol::MessageType::fetch_progress: {
            auto update = decode_reply<protocol::FetchProgress>(*frame);
            if (!update) return update.failure();
            progress.update(*update, ProgressLine::Clock::now());
            break;
        }
        case protocol::MessageType::fetch_done: {
            auto done = decode_reply<protocol::FetchDone>(*frame);
            if (!done) return done.failure();
            if (expected_root && done->root != expected_root)
                return invalid_reply(fmt::format("FETCH_DONE for root {}, asked for {}",
                                                 done->root ? content::hex(*done->root) : "none",
                                                 content::hex(*expected_root)));
            return done;
        }
        default: return other_reply_failure(*frame);
        }
    }
}

} // namespace

std::string interrupted_text(protocol::TransferId id) {
    if (id == 0)
        return "interrupted before napeerd started the download; it may start still: see napctl transfers";
    return fmt::format("stopped following transfer {}; it goes on in napeerd: napctl cancel {} stops it, "
                       "napctl wait {} follows it",
                       id, id, id);
}

int follow_download(const CommandContext& ctx, ControlClient& client, std::string label,
                    const protocol::RootHash& expected_root, bool quiet) {
    InterruptWatch interrupts;
    client.watch_interrupts(&interrupts);
    ProgressLine progress(ctx.err, progress_mode(quiet, ctx.stderr_is_terminal, std::getenv("TERM")),
                          std::move(label));
    auto done = next_outcome(client, progress, expected_root);
    client.watch_interrupts(nullptr);
    progress.clear();
    if (!done) {
        if (done.failure().status == exit_interrupted) {
            // A script gets the ID to cancel or wait for (null: none yet).
            JsonWriter fields;
            fields.begin_object();
            if (progress.transfer_id() == 0)
                fields.null_field("transfer_id");
            else
                fields.number_field("transfer_id", progress.transfer_id());
            fields.end_object();
            return report(ctx, Failure{exit_interrupted, interrupted_text(progress.transfer_id()), {}},
                          fields.finish());
        }
        return report(ctx, done.failure());
    }
    if (ctx.json) {
        ctx.out << success_document(ctx.command, fetch_done_json(*done));
    } else {
        ctx.out << fetch_done_text(*done);
        progress.finish(fetch_done_summary(*done, progress.elapsed_ms(), progress.average_rate()));
    }
    return exit_success;
}

} // namespace napster::ctl
