// SPDX-License-Identifier: MIT
// napctl fetch NAME [--peer ID] [--output DIR]

#include "ctl/commands.h"
#include "ctl/control_client.h"
#include "ctl/output.h"
#include "ctl/peer_prompt.h"
#include "ctl/progress_line.h"
#include "ctl/search_request.h"
#include "protocol/control_messages.h"
#include "protocol/name_rules.h"
#include "util/path_text.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <ostream>
#include <unistd.h>

namespace napster::ctl {
namespace {

// A download has no overall limit, but napeerd reports progress a few times
// a second: this long without any frame means it is stuck.
constexpr std::chrono::milliseconds fetch_idle_timeout{60'000};

struct FetchRequest {
    std::string name;
    std::optional<std::uint32_t> peer;
    std::string output_dir; // absolute, or empty for napeerd's download_dir
};

Outcome<std::string> current_directory() {
    std::string buffer(256, '\0');
    for (;;) {
        if (::getcwd(buffer.data(), buffer.size())) {
            buffer.resize(std::strlen(buffer.c_str()));
            return buffer;
        }
        if (errno != ERANGE || buffer.size() > 1024 * 1024)
            return failure(fmt::format("cannot find the current directory: {}", std::strerror(errno)));
        buffer.resize(buffer.size() * 2);
    }
}

Outcome<FetchRequest> parse_request(const CommandArgs& args) {
    const CommandSpec& command = *args.command;
    FetchRequest request;
    request.name = args.positional.front();
    if (request.name.size() > protocol::max_file_name)
        return usage_failure(command, fmt::format("fetch: the name is {} bytes, more than the limit of {}",
                                                  request.name.size(), protocol::max_file_name));
    if (auto problem = file_name_problem(request.name))
        return usage_failure(command, fmt::format("fetch: \"{}\" is not a file name: {}",
                                                  printable(request.name), *problem));

    if (auto peer = args.value("--peer")) {
        std::uint32_t id = 0;
        const char* end = peer->data() + peer->size();
        auto [stop, ec] = std::from_chars(peer->data(), end, id);
        if (peer->empty() || ec != std::errc{} || stop != end)
            return usage_failure(command, fmt::format("fetch: --peer needs a peer ID (a number up to {}), not \"{}\"",
                                                      std::numeric_limits<std::uint32_t>::max(), truncate_display(printable(*peer), 40)));
        request.peer = id;
    }

    if (auto dir = args.value("--output")) {
        if (dir->empty()) return usage_failure(command, "fetch: --output needs a directory");
        if (dir->front() == '/') {
            request.output_dir = *dir;
        } else {
            // napeerd does not share napctl's working directory.
            auto cwd = current_directory();
            if (!cwd) return cwd.failure();
            request.output_dir = *dir == "." ? *cwd : join_path(*cwd, *dir);
        }
        if (request.output_dir.size() > protocol::max_dir_path)
            return usage_failure(command, fmt::format("fetch: the output directory is {} bytes, more than the limit of {}",
                                                      request.output_dir.size(), protocol::max_dir_path));
    }
    return request;
}

// A person can be asked which holder to use; --json is for scripts, and the
// prompt would corrupt the document.
bool can_ask(const CommandContext& ctx) { return ctx.stdin_is_terminal && ctx.stdout_is_terminal && !ctx.json; }

// Asks the index who holds the name and, when there is a choice, lets the
// person choose. Leaves request.peer unset when napeerd should choose.
Outcome<Done> choose_holder(const CommandContext& ctx, FetchRequest& request) {
    auto result = search_request(ctx.socket_path, request.name, true);
    if (!result) return result.failure();
    // An exact search matches names byte for byte, so every hit should be
    // this name; it is checked anyway rather than trusting the index.
    bool found = std::any_of(result->hits.begin(), result->hits.end(),
                             [&](const protocol::SearchHit& hit) { return hit.name == request.name; });
    if (!found) return failure(fmt::format("no file named \"{}\" at any peer", printable(request.name)));

    HolderList list = collect_holders(result->hits, request.name);
    if (list.holders.size() < 2) return Done{};

    PeerChoice choice = prompt_for_peer(request.name, list, ctx.in, ctx.out);
    switch (choice.kind) {
    case PeerChoice::Kind::chosen: request.peer = choice.peer_id; return Done{};
    case PeerChoice::Kind::cancelled: return failure("fetch cancelled");
    case PeerChoice::Kind::no_valid_choice:
        return failure(fmt::format("no valid peer chosen after {} tries", peer_prompt_tries));
    }
    return failure("fetch cancelled");
}

Outcome<protocol::FetchDone> run_transfer(const CommandContext& ctx, const FetchRequest& request) {
    auto client = ControlClient::connect(ctx.socket_path, reply_timeout);
    if (!client) return client.failure();
    protocol::Fetch fetch;
    fetch.name = request.name;
    fetch.peer = request.peer;
    fetch.output_dir = request.output_dir;
    if (auto sent = client->send(fetch); !sent) return sent.failure();

    ProgressLine progress(ctx.err, ctx.stderr_is_terminal, printable(request.name));
    for (;;) {
        auto frame = client->receive(fetch_idle_timeout);
        if (!frame) return frame.failure();
        switch (frame->type) {
        case protocol::MessageType::fetch_progress: {
            auto update = decode_reply<protocol::FetchProgress>(*frame);
            if (!update) return update.failure();
            progress.update(update->received, update->total);
            break;
        }
        case protocol::MessageType::fetch_done: return decode_reply<protocol::FetchDone>(*frame);
        case protocol::MessageType::error: {
            auto error = decode_reply<protocol::ErrorMessage>(*frame);
            if (!error) return error.failure();
            return error_reply_failure(*error);
        }
        default: return unexpected_reply(frame->type);
        }
    }
}

void print_json(const CommandContext& ctx, const protocol::FetchDone& done) {
    JsonWriter json;
    json.begin_object();
    json.string_field("path", done.path);
    json.number_field("size", done.size);
    json.number_field("peer_id", done.peer_id);
    json.string_field("peer_name", done.peer_name);
    json.end_object();
    ctx.out << json.finish();
}

} // namespace

int run_fetch(const CommandContext& ctx, const CommandArgs& args) {
    auto request = parse_request(args);
    if (!request) return report(ctx, request.failure());
    // Without a person to ask, napeerd chooses: its own search of the index
    // is the only one, as in the seed's flow.
    if (!request->peer && can_ask(ctx))
        if (auto chosen = choose_holder(ctx, *request); !chosen) return report(ctx, chosen.failure());

    auto done = run_transfer(ctx, *request);
    if (!done) return report(ctx, done.failure());
    if (ctx.json)
        print_json(ctx, *done);
    else
        ctx.out << printable(done->path) << '\n';
    return exit_success;
}

} // namespace napster::ctl
