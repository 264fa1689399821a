// SPDX-License-Identifier: MIT
// napctl fetch NAME [--peer ID] [--output DIR] [--hash HEX] [--background] [-q]
//             --hash HEX [NAME] ...

#include "ctl/commands.h"
#include "ctl/content_choice.h"
#include "ctl/control_client.h"
#include "ctl/download_follow.h"
#include "ctl/fetch_output.h"
#include "ctl/output.h"
#include "ctl/peer_prompt.h"
#include "ctl/search_request.h"
#include "protocol/control_messages.h"
#include "protocol/name_rules.h"
#include "util/owned_fd.h"
#include "util/path_text.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <ostream>
#include <fcntl.h>
#include <unistd.h>

namespace napster::ctl {
namespace {

// napeerd asks the index before it starts the download: the first
// FETCH_PROGRESS comes after that search.
constexpr std::chrono::milliseconds fetch_start_timeout{60'000};

// Echoed values are cut to this many columns; a mistyped root still shows whole.
constexpr std::size_t max_echoed_value = 70;

struct FetchRequest {
    std::string name;      // empty only with a root: napeerd takes a holder's name
    protocol::RootHash root; // set: only this content
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
            return failure("io_error", fmt::format("cannot find the current directory: {}", std::strerror(errno)));
        buffer.resize(buffer.size() * 2);
    }
}

Outcome<FetchRequest> parse_request(const CommandArgs& args) {
    const CommandSpec& command = *args.command;
    FetchRequest request;
    if (auto hash = args.value("--hash")) {
        auto root = content::parse_digest(*hash);
        if (!root)
            return usage_failure(command, fmt::format("fetch: --hash \"{}\" is not a content root: {}",
                                                      truncate_display(printable(*hash), max_echoed_value),
                                                      root.error().message));
        request.root = *root;
    }
    // NAME may be left out only when the root says what to fetch.
    if (args.positional.empty()) {
        if (!request.root) return usage_failure(command, "fetch: missing NAME (or --hash HEX)");
    } else {
        request.name = args.positional.front();
        if (request.name.size() > protocol::max_file_name)
            return usage_failure(command, fmt::format("fetch: the name is {} bytes, more than the limit of {}",
                                                      request.name.size(), protocol::max_file_name));
        if (auto problem = file_name_problem(request.name))
            return usage_failure(command, fmt::format("fetch: \"{}\" is not a file name: {}",
                                                      printable(request.name), *problem));
    }

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

// Lets the person choose among the holders of `content`, when there is a
// choice. Leaves request.peer unset when napeerd should choose.
Outcome<Done> prompt_holder(const CommandContext& ctx, const Content& content, FetchRequest& request) {
    HolderList list = collect_holders(content);
    if (list.holders.size() < 2) return Done{};
    PeerChoice choice = prompt_for_peer(request.name, list, ctx.in, ctx.out);
    switch (choice.kind) {
    case PeerChoice::Kind::chosen: {
        request.peer = choice.peer_id;
        // Fetched by root alone, the file is saved under the name the
        // person saw for the holder chosen.
        if (request.name.empty())
            for (const auto& holder : list.holders)
                if (holder.peer_id == choice.peer_id && !holder.names.empty()) request.name = holder.names.front();
        return Done{};
    }
    case PeerChoice::Kind::cancelled: return failure("cancelled", "fetch cancelled");
    case PeerChoice::Kind::no_valid_choice:
        return failure("no_valid_choice", fmt::format("no valid peer chosen after {} tries", peer_prompt_tries));
    }
    return failure("cancelled", "fetch cancelled");
}

// This napeerd's peer id at the index: its own files are not offered.
std::optional<std::uint32_t> own_peer_id(const CommandContext& ctx) {
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client || !client->send(protocol::StatusRequest{})) return std::nullopt;
    auto status = receive_reply<protocol::StatusResult>(*client, reply_timeout);
    if (!status || status->index_state != protocol::IndexState::connected) return std::nullopt;
    return status->peer_id;
}

struct SearchedHolders {
    protocol::SearchResult result;
    std::optional<std::uint32_t> self; // this napeerd's peer id when the index answered
};

// Runs `search` with this napeerd's peer id read before and after it. When
// the index link came back in between under another id, the answer may list
// this peer under either, so the search is asked again; the id is the one
// that held all through it.
template <typename Search>
Outcome<SearchedHolders> search_knowing_self(const CommandContext& ctx, Search search) {
    constexpr int attempts = 3;
    for (int attempt = 1;; ++attempt) {
        auto before = own_peer_id(ctx);
        auto result = search();
        if (!result) return result.failure();
        auto after = own_peer_id(ctx);
        if (before == after || attempt == attempts) return SearchedHolders{std::move(*result), after};
    }
}

// A fetch by name asks the index which contents have that name, even with
// no one to ask about holders: several contents must not be mixed into one
// file, so the fetch goes ahead only for one, and names it by its root.
Outcome<Done> choose_by_name(const CommandContext& ctx, FetchRequest& request) {
    auto found = search_knowing_self(ctx, [&] { return search_request(ctx.socket_paths, request.name, true); });
    if (!found) return found.failure();
    std::vector<Content> contents = contents_named(found->result.hits, request.name, found->self);
    if (contents.empty()) return failure("not_found", fmt::format("no file named \"{}\" at any peer", printable(request.name)));
    if (contents.size() > 1) return ambiguous_name(request.name, contents);
    request.root = contents.front().root;
    if (!can_ask(ctx)) return Done{};
    return prompt_holder(ctx, contents.front(), request);
}

// A fetch by root needs the index only for the holders to choose from.
Outcome<Done> choose_by_root(const CommandContext& ctx, FetchRequest& request) {
    auto searched = search_knowing_self(ctx, [&] { return root_search_request(ctx.socket_paths, *request.root); });
    if (!searched) return searched.failure();
    // Only holders of exactly this content, whatever else the index sent.
    auto found = content_with_root(searched->result.hits, *request.root, searched->self);
    if (!found) return failure("not_found", fmt::format("no file with root {} at any peer", content::hex(*request.root)));
    return prompt_holder(ctx, *found, request);
}

// The output directory, opened with this user's rights: napeerd writes
// into it through this descriptor, never by its path, so the directory
// must be one the caller may write to, wherever napeerd runs (another
// user, ProtectHome=). O_RDONLY rather than O_PATH: napeerd fsyncs it.
Outcome<OwnedFd> open_output_dir(const std::string& dir) {
    OwnedFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return failure("io_error", fmt::format("cannot open the output directory {}: {}", printable(dir), std::strerror(errno)));
    return fd;
}

Outcome<ControlClient> send_fetch(const CommandContext& ctx, const FetchRequest& request) {
    OwnedFd output_dir;
    if (!request.output_dir.empty()) {
        auto opened = open_output_dir(request.output_dir);
        if (!opened) return opened.failure();
        output_dir = std::move(*opened);
    }
    auto client = ControlClient::connect(ctx.socket_paths, reply_timeout);
    if (!client) return client.failure();
    protocol::Fetch fetch;
    fetch.name = request.name;
    fetch.peer = request.peer;
    fetch.output_dir = request.output_dir;
    fetch.root = request.root;
    fetch.output_fd = static_cast<bool>(output_dir);
    auto sent = output_dir ? client->send_with_fd(fetch, output_dir.get()) : client->send(fetch);
    if (!sent) return sent.failure();
    output_dir.reset(); // napeerd holds its own copy now
    return client;
}

// --background: the first FETCH_PROGRESS names the transfer; napctl
// leaves, and napeerd goes on (napctl wait ID follows it).
int start_in_background(const CommandContext& ctx, ControlClient& client, const std::string& label, bool quiet) {
    auto first = receive_reply<protocol::FetchProgress>(client, fetch_start_timeout);
    if (!first) return report(ctx, first.failure());
    if (ctx.json) {
        ctx.out << success_document(ctx.command, background_json(first->transfer_id));
    } else {
        ctx.out << first->transfer_id << '\n';
        if (!quiet) ctx.err << background_text(label, first->transfer_id);
    }
    return exit_success;
}

} // namespace

int run_fetch(const CommandContext& ctx, const CommandArgs& args) {
    auto request = parse_request(args);
    if (!request) return report(ctx, request.failure());
    // --peer skips the search: napeerd asks that peer for the name, or the
    // root, itself.
    if (!request->peer) {
        if (!request->root) {
            if (auto chosen = choose_by_name(ctx, *request); !chosen) return report(ctx, chosen.failure());
        } else if (can_ask(ctx)) {
            if (auto chosen = choose_by_root(ctx, *request); !chosen) return report(ctx, chosen.failure());
        }
    }

    auto client = send_fetch(ctx, *request);
    if (!client) return report(ctx, client.failure());
    std::string label = request->name.empty() ? root_prefix(*request->root) : printable(request->name);
    bool quiet = args.has("--quiet");
    if (args.has("--background")) return start_in_background(ctx, *client, label, quiet);
    return follow_download(ctx, *client, std::move(label), request->root, quiet);
}

} // namespace napster::ctl
