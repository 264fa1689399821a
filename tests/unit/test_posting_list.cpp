// SPDX-License-Identifier: MIT
#include "catalog/posting_list.h"

#include <doctest/doctest.h>

#include <limits>
#include <random>
#include <utility>
#include <vector>

using namespace napster;

namespace {

// Read in blocks of `block`, as the catalog does.
std::vector<std::uint32_t> as_vector(const PostingList& list, std::size_t block = 5) {
    std::vector<std::uint32_t> out;
    auto reader = list.reader();
    std::vector<std::uint32_t> ids(block);
    while (std::size_t n = reader.read(ids.data(), block)) out.insert(out.end(), ids.begin(), ids.begin() + n);
    return out;
}

} // namespace

TEST_CASE("one or two ids live inline; more move to the heap and keep their order") {
    PostingList list;
    CHECK(list.empty());
    CHECK(as_vector(list).empty());
    list.push_back(5);
    list.push_back(3);
    CHECK(list.heap_bytes() == 0);
    CHECK(as_vector(list) == std::vector<std::uint32_t>{5, 3});
    for (std::uint32_t id = 10; id < 20; ++id) list.push_back(id);
    CHECK(list.heap_bytes() > 0);
    CHECK(list.size() == 12);
    CHECK(as_vector(list).front() == 5);
    CHECK(as_vector(list).back() == 19);
    list.erase_if([](std::uint32_t id) { return id != 19; });
    CHECK(as_vector(list) == std::vector<std::uint32_t>{19});
    CHECK(list.heap_bytes() == 0); // back inline
    list.push_back(20);             // written against the last id kept
    CHECK(as_vector(list) == std::vector<std::uint32_t>{19, 20});
    list.erase_if([](std::uint32_t) { return true; });
    CHECK(list.empty());
    list.push_back(7);
    CHECK(as_vector(list) == std::vector<std::uint32_t>{7});
}

TEST_CASE("ids in order cost a byte each; out of order and at the ends of the range they still read back") {
    PostingList dense;
    for (std::uint32_t id = 1000; id < 11000; ++id) dense.push_back(id);
    CHECK(dense.encoded_bytes() <= 10000 + 2); // the first costs two
    CHECK(as_vector(dense, 64).size() == 10000);

    // Jumps of up to 2^32 - 1 either way: at most six bytes (down: an escape
    // and the id), and back.
    const std::uint32_t max = std::numeric_limits<std::uint32_t>::max();
    std::vector<std::uint32_t> jumps = {0, max, 0, max - 1, 1, max, max, 0, 0x80000000u, 0x7fffffffu, 127, 128};
    PostingList list;
    for (auto id : jumps) list.push_back(id);
    CHECK(as_vector(list, 1) == jumps);
    CHECK(as_vector(list, 64) == jumps);
    CHECK(list.encoded_bytes() <= 6 * jumps.size());
}

TEST_CASE("random pushes, erasures and moves agree with a vector") {
    std::mt19937 rng(3);
    PostingList list;
    std::vector<std::uint32_t> model;
    for (int step = 0; step < 20000; ++step) {
        if (rng() % 4 != 0) {
            // Mostly rising, as ids are given out; now and then any id.
            auto id = rng() % 8 == 0 ? static_cast<std::uint32_t>(rng())
                                     : (model.empty() ? 0 : model.back()) + static_cast<std::uint32_t>(rng() % 300);
            list.push_back(id);
            model.push_back(id);
        } else {
            std::uint32_t cut = static_cast<std::uint32_t>(rng());
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
            CHECK(list.empty()); // NOLINT(bugprone-use-after-move): a moved-from list is empty
            REQUIRE(as_vector(moved) == model);
            list = std::move(moved);
        }
        REQUIRE(list.size() == model.size());
    }
    REQUIRE(as_vector(list) == model);
    REQUIRE(as_vector(list, 1) == model);
}
