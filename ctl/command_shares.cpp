// SPDX-License-Identifier: MIT
// napctl shares

#include "ctl/commands.h"
#include "ctl/control_client.h"
#include "ctl/output.h"
#include "ctl/shares_output.h"
#include "protocol/control_messages.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <tuple>

namespace napster::ctl {
namespace {

// Far above any real share (the index's own default limit is a million
// files a peer), but keeps a runaway napeerd from exhausting memory.
constexpr std::size_t max_listed_files = 10'000'000;

// Reads SHARES_BATCH frames up to SHARES_END, whose total must match.
Outcome<std::vector<protocol::FileEntry>> receive_shares(ControlClient& client) {
    std::vector<protocol::FileEntry> files;
    for (;;) {
        auto frame = client.receive(reply_timeout);
        if (!frame) return frame.failure();
        switch (frame->type) {
        case protocol::MessageType::shares_batch: {
            auto batch = decode_reply<protocol::SharesBatch>(*frame);
            if (!batch) return batch.failure();
            if (files.size() + batch->files.size() > max_listed_files)
                return invalid_reply(fmt::format("more than {} shared files", group_thousands(max_listed_files)));
            std::move(batch->files.begin(), batch->files.end(), std::back_inserter(files));
            break;
        }
        case protocol::MessageType::shares_end: {
            auto end = decode_reply<protocol::SharesEnd>(*frame);
            if (!end) return end.failure();
            if (end->total != files.size())
                return invalid_reply(fmt::format("SHARES_END counts {} files, the batches held {}", end->total,
                                                 files.size()));
            return files;
        }
        default: return other_reply_failure(*frame);
        }
    }
}

} // namespace

int run_shares(const CommandContext& ctx, const CommandArgs&) {
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client) return report(ctx, client.failure());
    if (auto sent = client->send(protocol::SharesRequest{}); !sent) return report(ctx, sent.failure());
    auto files = receive_shares(*client);
    if (!files) return report(ctx, files.failure());
    // napeerd sends in its own order; people and diffs want a stable one,
    // and people read song_2 before song_10.
    std::sort(files->begin(), files->end(),
              [](const protocol::FileEntry& a, const protocol::FileEntry& b) {
                  if (a.rel_path != b.rel_path) return natural_less(a.rel_path, b.rel_path);
                  return a.file_id < b.file_id;
              });
    ctx.out << (ctx.json ? success_document(ctx.command, shares_json(*files)) : shares_text(*files));
    return exit_success;
}

} // namespace napster::ctl
