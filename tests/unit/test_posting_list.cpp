// SPDX-License-Identifier: MIT
#include "catalog/posting_list.h"

#include <doctest/doctest.h>

#include <random>
#include <utility>
#include <vector>

using namespace napster;

namespace {

std::vector<std::uint32_t> as_vector(const PostingList& list) {
    return {list.items().begin(), list.items().end()};
}

} // namespace

TEST_CASE("one or two ids live inline; more move to the heap and keep their order") {
    PostingList list;
    CHECK(list.empty());
    list.push_back(5);
    list.push_back(3);
    CHECK(list.heap_bytes() == 0);
    CHECK(as_vector(list) == std::vector<std::uint32_t>{5, 3});
    list.push_back(9);
    CHECK(list.heap_bytes() > 0);
    CHECK(as_vector(list) == std::vector<std::uint32_t>{5, 3, 9});
    list.erase_if([](std::uint32_t id) { return id != 9; });
    CHECK(as_vector(list) == std::vector<std::uint32_t>{9});
    CHECK(list.heap_bytes() == 0); // back inline
}

TEST_CASE("random pushes, erasures and moves agree with a vector") {
    std::mt19937 rng(3);
    PostingList list;
    std::vector<std::uint32_t> model;
    for (int step = 0; step < 20000; ++step) {
        if (rng() % 4 != 0) {
            auto id = static_cast<std::uint32_t>(rng() % 1000);
            list.push_back(id);
            model.push_back(id);
        } else {
            std::uint32_t cut = static_cast<std::uint32_t>(rng() % 1000);
            auto drop = [&](std::uint32_t id) { return id < cut && rng() % 2 == 0; };
            // The same decisions for both: decide once per element, in order.
            std::vector<bool> dropped;
            for (auto id : model) dropped.push_back(drop(id));
            std::size_t i = 0;
            list.erase_if([&](std::uint32_t) { return dropped[i++]; });
            std::vector<std::uint32_t> kept;
            for (std::size_t k = 0; k < model.size(); ++k)
                if (!dropped[k]) kept.push_back(model[k]);
            model = kept;
        }
        if (step % 500 == 0) {
            PostingList moved = std::move(list);
            REQUIRE(as_vector(moved) == model);
            list = std::move(moved);
        }
        REQUIRE(list.size() == model.size());
    }
    REQUIRE(as_vector(list) == model);
}
