// SPDX-License-Identifier: MIT
#include "catalog/name_arena.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>
#include <random>
#include <string>

using namespace napster;

TEST_CASE("names of 1 to 255 bytes, any bytes but NUL, come back as stored") {
    std::map<std::uint32_t, NameArena::Ref> refs;
    NameArena arena([&](std::uint32_t owner, NameArena::Ref ref) { refs[owner] = ref; });
    std::map<std::uint32_t, std::string> names;
    for (std::uint32_t i = 1; i <= 255; ++i) {
        std::string name(i, static_cast<char>(i));
        REQUIRE(arena.add(name, i, refs[i]));
        names[i] = name;
    }
    for (const auto& [owner, name] : names) CHECK(arena.view(refs[owner]) == name);
}

TEST_CASE("random adds and removes: compaction moves names and tells their owners") {
    std::mt19937 rng(11);
    std::map<std::uint32_t, NameArena::Ref> refs;
    std::size_t moves = 0;
    NameArena arena([&](std::uint32_t owner, NameArena::Ref ref) {
        REQUIRE(refs.count(owner) == 1);
        refs[owner] = ref;
        ++moves;
    });
    std::map<std::uint32_t, std::string> names;
    std::uint32_t next = 0;
    // Long names: a few thousand fill a 256 KiB chunk, so chunks fill,
    // compact, empty and are reused.
    for (int step = 0; step < 60000; ++step) {
        if (names.empty() || rng() % 5 < 3) {
            std::string name = fmt::format("{}-", next) + std::string(rng() % 240, 'a' + static_cast<char>(rng() % 26));
            REQUIRE(arena.add(name, next, refs[next]));
            names[next++] = name;
        } else {
            auto victim = std::next(names.begin(), static_cast<long>(rng() % names.size()));
            arena.remove(refs[victim->first]);
            refs.erase(victim->first);
            names.erase(victim);
        }
        if (step % 1000 == 0)
            for (const auto& [owner, name] : names) REQUIRE(arena.view(refs[owner]) == name);
    }
    for (const auto& [owner, name] : names) REQUIRE(arena.view(refs[owner]) == name);
    CHECK(moves > 0);
    // Dead bytes never pass half a chunk, so memory follows what is live.
    std::size_t live = 0;
    for (const auto& [owner, name] : names) live += name.size() + 8;
    CHECK(arena.memory_bytes() < 2 * live + 4 * 256 * 1024);
}
