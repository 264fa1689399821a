// SPDX-License-Identifier: MIT
#pragma once

// A byte buffer that is filled, then written out whole and reused: a
// socket's reads land in its free room directly, and its bytes are never
// zero-filled first (a std::vector's resize would fill them).

#include "util/byte_codec.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>

namespace napster {

class FillBuffer {
public:
    explicit FillBuffer(std::size_t capacity)
        : data_(std::make_unique_for_overwrite<std::byte[]>(capacity)), capacity_(capacity) {}

    // Where the next bytes go; grew() says how many did.
    std::span<std::byte> room() { return {data_.get() + size_, capacity_ - size_}; }
    void grew(std::size_t bytes) { size_ += std::min(bytes, capacity_ - size_); }
    // Copies bytes in, making room when they do not fit (the rare case:
    // bytes that came with the frame before the body).
    void append(ByteSpan bytes) {
        if (bytes.size() > capacity_ - size_) {
            std::size_t capacity = std::max(capacity_ * 2, size_ + bytes.size());
            auto bigger = std::make_unique_for_overwrite<std::byte[]>(capacity);
            if (size_) std::memcpy(bigger.get(), data_.get(), size_);
            data_ = std::move(bigger);
            capacity_ = capacity;
        }
        if (!bytes.empty()) std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
        size_ += bytes.size();
    }

    ByteSpan bytes() const { return {data_.get(), size_}; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    bool full() const { return size_ == capacity_; }
    void clear() { size_ = 0; }
    void truncate(std::size_t size) { size_ = std::min(size_, size); }

private:
    std::unique_ptr<std::byte[]> data_;
    std::size_t capacity_;
    std::size_t size_ = 0;
};

} // namespace napster
