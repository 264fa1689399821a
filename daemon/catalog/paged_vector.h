// SPDX-License-Identifier: MIT
#pragma once

// A growable array in fixed pages of 2^PageBits elements, for the
// catalog's per-file and per-name records. It grows a page at a time, so
// ten million records waste at most one page, where std::vector's doubling
// leaves up to half its capacity unused (at 10M files that was 290 MB of
// 2.6 GB), copies every element at each step and holds both copies
// meanwhile. Elements never move. Pure, one thread.

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace napster {

template <typename T, unsigned PageBits = 16> class PagedVector {
public:
    static constexpr std::size_t page_size = std::size_t{1} << PageBits;

    T& operator[](std::size_t i) { return pages_[i >> PageBits][i & (page_size - 1)]; }
    const T& operator[](std::size_t i) const { return pages_[i >> PageBits][i & (page_size - 1)]; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    template <typename... Args> T& emplace_back(Args&&... args) {
        if (size_ == pages_.size() * page_size) pages_.push_back(std::make_unique<T[]>(page_size));
        T& slot = (*this)[size_++];
        slot = T{std::forward<Args>(args)...};
        return slot;
    }
    void push_back(const T& value) { emplace_back(value); }

    // Grows to `count` elements (never shrinks), the new ones `value`.
    void grow_to(std::size_t count, const T& value) {
        while (size_ < count) emplace_back(value);
    }
    void fill(const T& value) {
        for (std::size_t i = 0; i < size_; ++i) (*this)[i] = value;
    }

    std::size_t memory_bytes() const {
        return pages_.size() * page_size * sizeof(T) + pages_.capacity() * sizeof(pages_[0]);
    }

private:
    std::vector<std::unique_ptr<T[]>> pages_;
    std::size_t size_ = 0;
};

} // namespace napster
