// SPDX-License-Identifier: MIT
#include "index/loop_catalog.h"

#include "loop_test_support.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <memory>
#include <optional>
#include <vector>

using namespace napster;

namespace {

std::vector<CatalogFile> numbered_files(std::uint64_t count, const char* word) {
    std::vector<CatalogFile> files;
    for (std::uint64_t i = 0; i < count; ++i)
        files.push_back(CatalogFile{i, fmt::format("{} {}.ogg", word, i), i, std::nullopt});
    return files;
}

std::size_t total_of(LoopCatalog& catalog, const char* word) {
    std::size_t total = 0;
    catalog.search(CatalogQuery{word, std::nullopt, false, 0},
                   [&](CatalogAnswer answer) { total = answer.total_matches; });
    return total;
}

} // namespace

TEST_CASE("a peer's removal is answered on a later turn, after its last file went") {
    test::TestLoop loop;
    {
        auto catalog = std::make_unique<LoopCatalog>(loop.get(), CatalogLimits{1'000'000, 100, 1'000'000});
        catalog->add_peer(PeerInfo{1, "big", "127.0.0.1", 1});
        catalog->add_peer(PeerInfo{2, "small", "127.0.0.1", 2});
        // Enough files that their removal takes more than one slice even
        // in an optimised build.
        std::optional<std::size_t> added;
        catalog->add_files(1, numbered_files(400'000, "vexillum"),
                           [&](Result<AddOutcome> r) { added = r.ok() ? r->added : 0; });
        REQUIRE(added == 400'000u);
        catalog->add_files(2, numbered_files(3, "other"), [](Result<AddOutcome>) {});

        std::optional<std::size_t> removed;
        catalog->remove_peer(1, [&](std::size_t n) { removed = n; });
        CHECK(!removed); // not before the call returns
        CHECK(catalog->peer_count() == 1);
        // Between slices the other peer's files stay searchable.
        std::size_t turns = 0;
        REQUIRE(loop.run_until([&] {
            ++turns;
            CHECK(total_of(*catalog, "other") == 3);
            return removed.has_value();
        }));
        CHECK(*removed == 400'000u);
        CHECK(turns > 1);
        CHECK(total_of(*catalog, "vexillum") == 0);
        CHECK(catalog->file_count() == 3);

        std::optional<std::size_t> unknown;
        catalog->remove_peer(9, [&](std::size_t n) { unknown = n; });
        CHECK(unknown == 0u); // nothing to do: answered at once
    }
    CHECK(loop.close());
}
