// SPDX-License-Identifier: MIT
#include "catalog/id_table.h"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

using namespace napster;

TEST_CASE("an empty table finds nothing and erases nothing") {
    IdTable t;
    CHECK(t.empty());
    CHECK(!t.find(7, [](std::uint32_t) { return true; }));
    CHECK(!t.erase(7, 1));
    int visits = 0;
    t.for_each_with_hash(7, [&](std::uint32_t) { ++visits; });
    CHECK(visits == 0);
}

TEST_CASE("ids under one hash are all visited, and the match picks among them") {
    IdTable t;
    for (std::uint32_t id = 0; id < 10; ++id) t.insert(42, id);
    t.insert(43, 100);
    std::set<std::uint32_t> seen;
    t.for_each_with_hash(42, [&](std::uint32_t id) { seen.insert(id); });
    CHECK(seen.size() == 10);
    CHECK(t.find(42, [](std::uint32_t id) { return id == 6; }) == 6u);
    CHECK(t.find(43, [](std::uint32_t) { return true; }) == 100u);
    CHECK(t.erase(42, 6));
    CHECK(!t.find(42, [](std::uint32_t id) { return id == 6; }));
    CHECK(t.size() == 10);
}

TEST_CASE("random inserts and erases with clustered hashes agree with a multimap") {
    // Few distinct hashes and a small range of them, so runs wrap around
    // the end of the slots and backward-shift deletion is exercised hard.
    std::mt19937 rng(5);
    IdTable t;
    std::multimap<std::uint32_t, std::uint32_t> model; // hash -> id
    std::map<std::uint32_t, std::uint32_t> hash_of;
    std::uint32_t next_id = 0;
    for (int step = 0; step < 20000; ++step) {
        bool insert = model.empty() || rng() % 3 != 0;
        if (insert) {
            std::uint32_t hash = rng() % 2 == 0 ? static_cast<std::uint32_t>(rng() % 16)
                                                : static_cast<std::uint32_t>(rng());
            t.insert(hash, next_id);
            model.emplace(hash, next_id);
            hash_of[next_id] = hash;
            ++next_id;
        } else {
            auto victim = std::next(hash_of.begin(), static_cast<long>(rng() % hash_of.size()));
            REQUIRE(t.erase(victim->second, victim->first));
            auto range = model.equal_range(victim->second);
            for (auto it = range.first; it != range.second; ++it)
                if (it->second == victim->first) {
                    model.erase(it);
                    break;
                }
            hash_of.erase(victim);
        }
        REQUIRE(t.size() == model.size());
        if (step % 97 == 0) {
            for (const auto& [id, hash] : hash_of) {
                std::uint32_t want = id;
                REQUIRE(t.find(hash, [&](std::uint32_t got) { return got == want; }) == want);
            }
            std::size_t stored = 0;
            for (std::size_t slot = 0; slot < t.slot_count(); ++slot) stored += t.id_at_slot(slot).has_value();
            REQUIRE(stored == model.size());
        }
    }
}

TEST_CASE("growing moves the ids over a few slots a call, and every id stays found meanwhile") {
    IdTable t;
    // 4096 slots hold 3072; the next insert makes an 8192-slot table and
    // leaves the old one to move over, 8 slots a call.
    auto hash = [](std::uint32_t id) { return id * 2654435761u; };
    for (std::uint32_t id = 0; id < 3072; ++id) t.insert(hash(id), id);
    CHECK(t.memory_bytes() == 4096 * 8);
    t.insert(hash(3072), 3072);
    CHECK(t.memory_bytes() == (8192 + 4096) * 8); // both tables, for now
    auto all_found = [&](std::uint32_t below, std::uint32_t skip_from) {
        for (std::uint32_t id = 0; id < below; ++id) {
            if (id >= skip_from && id < skip_from + 100) continue;
            if (t.find(hash(id), [&](std::uint32_t got) { return got == id; }) != id) return false;
        }
        return true;
    };
    CHECK(all_found(3073, 5000));
    // Erase 100 ids that may still be in the old table, and insert more.
    for (std::uint32_t id = 0; id < 100; ++id) CHECK(t.erase(hash(id), id));
    CHECK(t.size() == 2973);
    CHECK(all_found(3073, 0));
    for (std::uint32_t id = 0; id < 100; ++id) CHECK(!t.find(hash(id), [&](std::uint32_t got) { return got == id; }));
    std::size_t live = 0;
    for (std::size_t slot = 0; slot < t.slot_count(); ++slot) live += t.id_at_slot(slot).has_value();
    CHECK(live == t.size());
    for (std::uint32_t id = 3073; id < 3600; ++id) t.insert(hash(id), id);
    CHECK(t.memory_bytes() == 8192 * 8); // the old table has moved over and gone
    CHECK(all_found(3600, 0));
    CHECK(t.size() == 3500);
}

TEST_CASE("a small table moves over at once when it grows") {
    IdTable t;
    // 768 ids fill 1024 slots to 3/4: the growth to 2048 moves 1024 at once.
    for (std::uint32_t id = 0; id < 769; ++id) {
        t.insert(id * 2654435761u, id);
        CHECK(!t.settling());
    }
    CHECK(t.memory_bytes() == 2048 * 8);
    CHECK(t.settle(100) == 0);
}

TEST_CASE("settle finishes a big table's move and gives the old copy back") {
    IdTable t;
    // Past 3/4 of 2048 slots: the old table (2048 slots) moves 8 a call.
    const std::uint32_t count = 1537;
    for (std::uint32_t id = 0; id < count; ++id) t.insert(id * 2654435761u, id);
    REQUIRE(t.settling());
    CHECK(t.memory_bytes() == (4096 + 2048) * 8);
    // Erased while the move is under way, from either copy.
    CHECK(t.erase(5 * 2654435761u, 5));
    CHECK(t.erase(1536 * 2654435761u, 1536));
    std::size_t looked = 0, calls = 0;
    while (t.settling()) {
        const std::size_t step = t.settle(100);
        CHECK(step > 0);
        CHECK(step <= 100);
        looked += step;
        ++calls;
        // Every id stays findable at every step.
        for (std::uint32_t id : {0u, 4u, 6u, 700u, 1535u})
            REQUIRE(t.find(id * 2654435761u, [&](std::uint32_t x) { return x == id; }) == id);
    }
    CHECK(looked < 2048);
    CHECK(calls == (looked + 99) / 100);
    CHECK(t.settle(100) == 0);
    CHECK(t.memory_bytes() == 4096 * 8);
    CHECK(t.size() == count - 2);
    for (std::uint32_t id = 0; id < count; ++id) {
        const bool there = t.find(id * 2654435761u, [&](std::uint32_t x) { return x == id; }).has_value();
        CHECK(there == (id != 5 && id != 1536));
    }
}
