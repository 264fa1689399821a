// SPDX-License-Identifier: MIT
#include "ctl/command_table.h"

#include "ctl/commands.h"

#include <algorithm>
#include <array>

namespace napster::ctl {
namespace {

constexpr std::array<OptionSpec, 4> global_option_table = {{
    {"--socket", "PATH", "napeerd's control socket (default: $NAPSTER_SOCKET, else napeerd's default)"},
    {"--json", "", "print one JSON document on stdout instead of text"},
    {"--help", "", "show help and exit"},
    {"--version", "", "show napctl's version and exit"},
}};

constexpr std::array<OptionSpec, 5> fetch_options = {{
    {"--peer", "ID", "download from this peer, without asking"},
    {"--output", "DIR", "save into DIR, opened with your rights, instead of napeerd's download_dir"},
    {"--hash", "HEX", "only the content with this root (64 hex digits); NAME optional"},
    {"--background", "", "print the transfer ID as soon as it starts and exit"},
    {"--quiet", "", "no progress line and no summary", "-q"},
}};

constexpr std::array<OptionSpec, 1> wait_options = {{
    {"--quiet", "", "no progress line and no summary", "-q"},
}};

constexpr std::array<OptionSpec, 2> search_options = {{
    {"--exact", "", "match the whole file name instead of words in it"},
    {"--names", "", "print only the names found, one a line (as completion uses)"},
}};

constexpr std::array<CommandSpec, 11> command_table = {{
    {"cancel", 1, 1, run_cancel, "stop a download or an upload", "ID", {},
     "Stops the transfer with this ID (napctl transfers lists them). A download\n"
     "keeps its verified blocks: the next fetch of that content resumes from them.\n"
     "An upload's connection is closed. Exits 1 for an ID that is unknown or whose\n"
     "transfer has ended.\n"},
    // NAME is optional with --hash only: run_fetch checks that.
    {"fetch", 0, 1, run_fetch, "download a file from a peer that holds it", "NAME", fetch_options,
     "Downloads the file named exactly NAME. When that name stands for several\n"
     "different files (contents), napctl lists their roots and fetches nothing:\n"
     "choose one with --hash ROOT. With --hash only the content with that root is\n"
     "fetched, from any holder, whatever name it is shared under; it is saved as\n"
     "NAME, or without NAME under a holder's name. When several peers hold it and\n"
     "stdin and stdout are terminals, napctl lists them (never this peer) and asks\n"
     "which one to use, by peer ID or name; Enter takes the first one listed (3\n"
     "tries; \"cancel\" or end of input stops); otherwise napeerd chooses. On a\n"
     "terminal a progress line (percent, bytes, current rate, ETA, sources, and\n"
     "\"syncing\" at the end) is shown on stderr; then PATH goes to stdout and a\n"
     "summary to stderr: \"SIZE in TIME (RATE/s), verified ROOT\", or \"not\n"
     "verified\" and why. Ctrl-C stops napctl, not the download: it prints the\n"
     "transfer ID to cancel or wait for (exit 130). --background prints that ID\n"
     "on stdout as soon as napeerd starts the download, and exits.\n"
     "A relative --output DIR is taken from the current directory.\n"},
    {"help", 0, 1, run_help, "show help for napctl or for one command", "[COMMAND]", {}, ""},
    {"reload", 0, 0, run_reload, "re-read napeerd's config file and apply it", "", {},
     "Makes napeerd read its config file again, as SIGHUP does, and apply what can\n"
     "change while it runs: log.level, the limits, timeouts and rate limits, and\n"
     "share.dirs (a dir added is walked, watched and its files registered with the\n"
     "index; a dir removed is dropped with its files). Prints each changed key;\n"
     "one that needs a restart (name, addresses, ports, paths) is named as such.\n"
     "A config that does not parse changes nothing: napctl prints why, exits 1.\n"},
    {"rescan", 0, 0, run_rescan, "walk every shared directory again", "", {},
     "Makes napeerd walk all its share dirs and its download dir and tell the index\n"
     "what changed. inotify keeps the list current on its own; this is for when it\n"
     "cannot (see share.rescan_interval) or to check. Waits until the walk is done.\n"},
    {"search", 1, unlimited_args, run_search, "list files whose names contain every word",
     "WORD...", search_options,
     "Asks the index, through napeerd, for files whose names contain every WORD\n"
     "(case-insensitive), and lists each content with its size, the first 12 hex\n"
     "digits of its root (\"unhashed\" until its holders have hashed it), the peers\n"
     "holding it and the other names they share it under (\"also as:\"). --json\n"
     "gives whole roots. --names prints only the distinct names found, natural\n"
     "order, one a line, as they are (names holding a newline left out). Exits 1\n"
     "when nothing matches. Words starting with '-' go after \"--\".\n"},
    {"shares", 0, 0, run_shares, "list the files this peer shares", "", {},
     "Lists the files napeerd shares, as it reported them to the index, with the\n"
     "first 12 hex digits of each one's root (\"unhashed\" until it is hashed).\n"},
    {"status", 0, 0, run_status, "show this peer's state", "", {},
     "Shows napeerd's name, its index connection, addresses, directories, shared\n"
     "files, how many of them it has still to hash, transfers, how it watches its\n"
     "shares (inotify, or rescans when inotify cannot follow) and uptime.\n"},
    {"transfers", 0, 0, run_transfers, "list downloads and uploads", "", {},
     "Lists every download and upload napeerd runs, and the last ones that ended:\n"
     "ID (for cancel and wait), direction, state (connecting, transferring,\n"
     "waiting, checking, syncing, done, failed, cancelled), bytes done of the\n"
     "total, percent, current rate, ETA, peers and file name; then why each failed\n"
     "or cancelled one ended.\n"},
    {"wait", 1, 1, run_wait, "follow a download to its end", "ID", wait_options,
     "Follows the download with this ID (from fetch --background or transfers)\n"
     "as a foreground fetch does: progress line, then PATH and the summary, with\n"
     "the same exit statuses. A download that has ended already is answered at\n"
     "once. Ctrl-C stops napctl only.\n"},
    {"watch", 0, 0, run_watch, "follow the index link and the transfers live", "", {},
     "Shows the index link and the transfers table, redrawn in place on a\n"
     "terminal as they change (at most twice a second); with --json one JSON\n"
     "object a line per change. Runs until Ctrl-C or napeerd goes away.\n"},
}};

// napctl looks commands up by binary search, and help lists them in order.
static_assert(std::ranges::is_sorted(command_table, {}, &CommandSpec::name),
              "command_table must stay sorted by name");

} // namespace

std::span<const CommandSpec> all_commands() { return command_table; }

std::span<const OptionSpec> global_options() { return global_option_table; }

const CommandSpec* find_command(std::string_view name) {
    auto it = std::ranges::lower_bound(command_table, name, {}, &CommandSpec::name);
    if (it == command_table.end() || it->name != name) return nullptr;
    return &*it;
}

} // namespace napster::ctl
