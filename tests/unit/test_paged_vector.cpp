// SPDX-License-Identifier: MIT
#include "catalog/paged_vector.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using napster::PagedVector;

TEST_CASE("a paged vector grows a page at a time and its elements never move") {
    PagedVector<std::uint64_t, 4> v; // pages of 16
    CHECK(v.empty());
    CHECK(v.memory_bytes() == 0);
    v.push_back(7);
    const std::uint64_t* first = &v[0];
    CHECK(v.memory_bytes() >= 16 * sizeof(std::uint64_t));
    for (std::uint64_t i = 1; i < 100; ++i) v.push_back(i * 3);
    CHECK(v.size() == 100);
    CHECK(&v[0] == first); // still where it was
    CHECK(v[0] == 7);
    CHECK(v[99] == 297);
    CHECK(v[16] == 48); // the first of the second page
    // Seven pages for 100: at most one page more than needed.
    CHECK(v.memory_bytes() < 8 * 16 * sizeof(std::uint64_t) + 64);
}

TEST_CASE("grow_to adds copies of a value and fill sets every element") {
    struct Record {
        std::uint32_t a = 1;
        std::uint32_t b = 2;
    };
    PagedVector<Record, 3> v;
    v.emplace_back();
    CHECK(v[0].a == 1); // default member values, not zeros
    v.grow_to(20, Record{5, 6});
    CHECK(v.size() == 20);
    CHECK(v[19].b == 6);
    v.grow_to(10, Record{9, 9}); // never shrinks
    CHECK(v.size() == 20);
    v.fill(Record{0, 0});
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(v[i].a == 0);
}
