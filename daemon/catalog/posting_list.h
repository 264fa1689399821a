// SPDX-License-Identifier: MIT
#pragma once

// One word's postings: the ids of the names that hold it, in the order
// they were added. 16 bytes, and no heap block for a word held by one or
// two names, which most words of a large vocabulary are (a track number,
// a camera's file counter, a misspelling); a std::vector would cost 24
// bytes and a 32-byte heap block for each.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <utility>

namespace napster {

class PostingList {
public:
    PostingList() = default;
    ~PostingList() { release(); }
    PostingList(const PostingList&) = delete;
    PostingList& operator=(const PostingList&) = delete;
    PostingList(PostingList&& other) noexcept { take(other); }
    PostingList& operator=(PostingList&& other) noexcept {
        if (this != &other) {
            release();
            take(other);
        }
        return *this;
    }

    std::span<const std::uint32_t> items() const { return {data(), size_}; }
    std::uint32_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::size_t heap_bytes() const { return on_heap() ? std::size_t{capacity_} * sizeof(std::uint32_t) : 0; }

    void push_back(std::uint32_t id) {
        if (size_ == capacity()) grow();
        data()[size_++] = id;
    }

    // Drops every id for which drop(id) holds, keeping the order; gives back
    // room once three quarters of it are unused.
    template <typename Drop> void erase_if(Drop&& drop) {
        std::uint32_t* items = data();
        std::uint32_t kept = 0;
        for (std::uint32_t i = 0; i < size_; ++i)
            if (!drop(items[i])) items[kept++] = items[i];
        size_ = kept;
        if (on_heap() && size_ * 4 < capacity_) shrink();
    }

private:
    static constexpr std::uint32_t inline_capacity = 2;

    bool on_heap() const { return capacity_ > inline_capacity; }
    std::uint32_t capacity() const { return on_heap() ? capacity_ : inline_capacity; }
    std::uint32_t* data() { return on_heap() ? store_.heap : store_.inline_items; }
    const std::uint32_t* data() const { return on_heap() ? store_.heap : store_.inline_items; }

    void grow() {
        std::uint32_t bigger = capacity() < 8 ? 8 : capacity() + capacity() / 2;
        move_to(bigger);
    }
    void shrink() {
        if (size_ <= inline_capacity) {
            std::uint32_t* heap = store_.heap;
            std::memcpy(store_.inline_items, heap, size_ * sizeof(std::uint32_t));
            ::operator delete(heap);
            capacity_ = 0;
        } else {
            move_to(std::max(size_ * 2, std::uint32_t{8}));
        }
    }
    void move_to(std::uint32_t new_capacity) {
        auto* heap = static_cast<std::uint32_t*>(::operator new(std::size_t{new_capacity} * sizeof(std::uint32_t)));
        std::memcpy(heap, data(), size_ * sizeof(std::uint32_t));
        release();
        store_.heap = heap;
        capacity_ = new_capacity;
    }
    void release() {
        if (on_heap()) ::operator delete(store_.heap);
        capacity_ = 0;
    }
    void take(PostingList& other) {
        store_ = other.store_;
        size_ = other.size_;
        capacity_ = other.capacity_;
        other.size_ = 0;
        other.capacity_ = 0;
    }

    union Store {
        std::uint32_t inline_items[inline_capacity];
        std::uint32_t* heap;
    } store_{};
    std::uint32_t size_ = 0;
    std::uint32_t capacity_ = 0; // 0: inline
};

} // namespace napster
