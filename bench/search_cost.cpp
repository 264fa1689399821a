// SPDX-License-Identifier: MIT
// search_cost: what one search costs napindexd's catalog, without sockets.
// Builds napload's workload (the same names, peers and seed) into a
// Catalog in this process, then answers one kind of search over and over
// as the index does: Catalog::search, the SEARCH_RESULT cut to a frame
// and encoded (search_reply). Prints the wall time per search and
// the catalog's memory. Its use: bench/search_instructions runs it under
// callgrind to count the instructions per search, a figure that the
// machine's noise does not move (bench/README.md).

#include "catalog/catalog.h"
#include "index/search_reply.h"
#include "napload/workload.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void die(const std::string& message) {
    fmt::print(stderr, "search_cost: {}\n", message);
    std::exit(2);
}

struct Options {
    napload::WorkloadOptions workload;
    std::string kind = "common";
    std::uint64_t searches = 1000;
    std::uint64_t max_counted = 1000; // limits.max_counted_matches
    std::string names_path;           // --write-names: write them, search nothing
    bool queries = false;             // --queries: print them, search nothing
};

constexpr const char* kinds[] = {"common", "rare", "two", "substring", "miss"};

std::string query_of(const std::string& kind) {
    if (kind == "common") return std::string(napload::common_word);
    if (kind == "rare") return std::string(napload::rare_word);
    if (kind == "two") return fmt::format("{} {}", napload::common_word, napload::second_word);
    if (kind == "substring") return std::string(napload::substring_query);
    if (kind == "miss") return std::string(napload::miss_word);
    die(fmt::format("unknown kind {} (common, rare, two, substring, miss)", kind));
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) die(a + " needs a value");
            return argv[++i];
        };
        auto number = [&]() {
            std::string v = value();
            char* end = nullptr;
            auto n = std::strtoull(v.c_str(), &end, 10);
            if (v.empty() || *end) die(fmt::format("{}: not a number: {}", a, v));
            return n;
        };
        if (a == "--peers") o.workload.peers = number();
        else if (a == "--files") o.workload.files = number();
        else if (a == "--seed") o.workload.seed = number();
        else if (a == "--kind") o.kind = value();
        else if (a == "--searches") o.searches = number();
        else if (a == "--max-counted") o.max_counted = number();
        else if (a == "--write-names") o.names_path = value();
        else if (a == "--queries") o.queries = true;
        else if (a == "--help" || a == "-h") {
            fmt::print("usage: search_cost [--peers N] [--files N] [--seed N] [--kind common|rare|two|substring|miss]\n"
                       "                   [--searches N] [--max-counted N]\n"
                       "       search_cost [workload options] --write-names PATH\n"
                       "       search_cost --queries\n"
                       "Defaults: napload's workload (10000 peers, 1000000 files, seed 1), common, 1000\n"
                       "searches, limits.max_counted_matches 1000.\n"
                       "--write-names writes every file's name, one a line, and --queries each kind and\n"
                       "its query, tab-separated: what bench/fts5_reference gives SQLite.\n");
            std::exit(0);
        } else
            die("unknown option " + a);
    }
    if (o.workload.peers == 0) die("--peers must be at least 1");
    if (o.max_counted == 0 || o.max_counted > 100'000'000) die("--max-counted must be 1-100000000");
    return o;
}

// The searches alone, in a function of their own: callgrind counts only
// inside it (--toggle-collect=run_searches*).
[[gnu::noinline]] std::size_t run_searches(const napster::Catalog& catalog, const std::string& query,
                                           std::uint64_t searches) {
    std::size_t bytes = 0;
    for (std::uint64_t i = 0; i < searches; ++i) {
        auto answer = catalog.search(napster::CatalogQuery{query, std::nullopt, false, 100});
        bytes += napster::search_reply(static_cast<std::uint32_t>(i), answer, 100).frame.size();
    }
    return bytes;
}

// Every file's name as napload registers it, one a line (no name holds
// a newline: napload's words are letters and digits).
void write_names(const napload::Workload& workload, const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) die(fmt::format("--write-names {}: cannot write", path));
    for (std::uint64_t i = 0; i < workload.file_count(); ++i)
        fmt::print(f, "{}\n", workload.name(workload.file(i)));
    if (std::fclose(f) != 0) die(fmt::format("--write-names {}: write failed", path));
}

} // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    if (o.queries) {
        for (const char* kind : kinds)
            fmt::print("{}\t{}\n", kind, query_of(kind));
        return 0;
    }
    const std::string query = query_of(o.kind);
    napload::Workload workload(o.workload);
    if (!o.names_path.empty()) {
        write_names(workload, o.names_path);
        return 0;
    }
    napster::Catalog catalog(napster::CatalogLimits{static_cast<std::uint32_t>(workload.file_count() + 1), 100,
                                                 static_cast<std::uint32_t>(o.max_counted)});
    for (std::uint64_t p = 0; p < workload.peer_count(); ++p) {
        const auto id = static_cast<std::uint32_t>(p);
        catalog.add_peer(napster::PeerInfo{id, fmt::format("napload-{:05}", p), "127.0.0.1", 6699});
        std::vector<napster::CatalogFile> files;
        for (auto f = workload.peer_file_begin(p); f < workload.peer_file_end(p); ++f) {
            const auto& c = workload.file(f);
            files.push_back(napster::CatalogFile{f - workload.peer_file_begin(p) + 1, std::string(workload.name(c)),
                                                 c.size, workload.root(workload.file_content(f))});
        }
        if (!catalog.add_files(id, files).ok()) die("the catalog refused a peer's files");
    }
    // As napindexd's idle slices would between registrations and searches.
    while (catalog.work(1 << 20)) {
    }
    // Not counted: the first search of a catalog sizes its per-name marks
    // once, which a long-running index pays once too.
    (void)catalog.search(napster::CatalogQuery{query, std::nullopt, false, 100});
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t bytes = run_searches(catalog, query, o.searches);
    const auto t1 = std::chrono::steady_clock::now();
    const double us = std::chrono::duration<double, std::micro>(t1 - t0).count() / static_cast<double>(o.searches);
    auto last = catalog.search(napster::CatalogQuery{query, std::nullopt, false, 100});
    fmt::print("{} ({}): {} searches, {:.1f} us each, {} hits, total_matches {}{}, {} reply bytes each\n", o.kind,
               query, o.searches, us, last.hits.size(), last.total_matches,
               last.total_is_lower_bound ? " (a lower bound)" : "", bytes / std::max<std::uint64_t>(1, o.searches));
    fmt::print("catalog: {} files, {} names, {:.1f} bytes a file ({})\n", catalog.file_count(), catalog.name_count(),
               static_cast<double>(catalog.memory_bytes()) / static_cast<double>(std::max<std::uint64_t>(1, catalog.file_count())),
               catalog.memory_report());
}
