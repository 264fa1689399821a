// SPDX-License-Identifier: MIT
#pragma once

// One word's postings: the ids of the names that hold it, in the order
// they were added, compressed. An id above the one before is stored as
// the (positive) difference, a LEB128 varint; any other (the first, or a
// freed id taken again, out of order) as a 0 byte and then the id itself.
// Names are mostly added in id order, so a word held by many names costs
// one or two bytes a posting instead of four, a word held by every
// hundredth name still mostly one, and an id out of order at most six.
// Postings are read in order only, through a Reader, a block at a time.
//
// 16 bytes, and no heap block while the varints fit in 7 bytes: a word
// held by one or two names, which most words of a large vocabulary are (a
// track number, a camera's file counter, a misspelling). Pure, one thread.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <new>
#include <optional>
#include <vector>

namespace napster {

class PostingList {
public:
    // Reads the ids in order; the list must not change meanwhile.
    class Reader {
    public:
        // Up to `max` ids into `out`; how many, 0 once all are read.
        std::size_t read(std::uint32_t* out, std::size_t max) {
            std::size_t n = 0;
            while (n < max && at_ < end_) {
                std::uint64_t step = read_varint(at_);
                previous_ = step != 0 ? static_cast<std::uint32_t>(previous_ + step)
                                      : static_cast<std::uint32_t>(read_varint(at_));
                out[n++] = previous_;
            }
            return n;
        }

        // The next id, if any; the one-byte step (most of a common word's
        // postings) takes no loop.
        bool next(std::uint32_t& id) {
            if (at_ == end_) return false;
            const std::uint8_t byte = *at_;
            if (byte - 1u < 0x7fu) {
                ++at_;
                previous_ += byte;
            } else {
                std::uint64_t step = read_varint(at_);
                previous_ = step != 0 ? static_cast<std::uint32_t>(previous_ + step)
                                      : static_cast<std::uint32_t>(read_varint(at_));
            }
            id = previous_;
            return true;
        }

    private:
        friend class PostingList;
        Reader(const std::uint8_t* at, const std::uint8_t* end) : at_(at), end_(end) {}
        const std::uint8_t* at_;
        const std::uint8_t* end_;
        std::uint32_t previous_ = 0;
    };

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

    Reader reader() const { return Reader(bytes(), bytes() + used()); }
    std::uint32_t size() const { return count_ & count_mask; }
    bool empty() const { return size() == 0; }
    std::size_t heap_bytes() const { return on_heap() ? header_bytes + heap_capacity() : 0; }
    // Bytes of varints, for tests and benchmarks.
    std::size_t encoded_bytes() const { return used(); }

    // Appends `id`. A list holds fewer than 2^31 ids (a catalog's names
    // are fewer than 2^32, and each posting takes at least a byte).
    void push_back(std::uint32_t id) {
        std::uint8_t varint[max_posting_bytes];
        std::size_t n = encode_posting(varint, id, size() == 0 ? std::nullopt : std::optional(last_));
        std::size_t at = used();
        if (at + n > capacity()) grow(at + n);
        std::memcpy(bytes() + at, varint, n);
        set_used(at + n);
        last_ = id;
        ++count_;
    }

    // Drops every id for which drop(id) holds, keeping the order, and
    // gives back room the rest no longer needs.
    template <typename Drop> void erase_if(Drop&& drop) {
        std::vector<std::uint8_t> kept;
        kept.reserve(used());
        std::optional<std::uint32_t> previous;
        std::uint32_t count = 0;
        Reader r = reader();
        std::uint32_t ids[64];
        while (std::size_t n = r.read(ids, std::size(ids))) {
            for (std::size_t i = 0; i < n; ++i) {
                if (drop(ids[i])) continue;
                std::uint8_t varint[max_posting_bytes];
                std::size_t len = encode_posting(varint, ids[i], previous);
                kept.insert(kept.end(), varint, varint + len);
                previous = ids[i];
                ++count;
            }
        }
        release();
        if (kept.size() > inline_bytes) allocate(kept.size());
        if (!kept.empty()) std::memcpy(bytes(), kept.data(), kept.size());
        set_used(kept.size());
        count_ = (count_ & heap_flag) | count;
        last_ = previous.value_or(0);
    }

private:
    static constexpr std::uint32_t heap_flag = 0x80000000u;
    static constexpr std::uint32_t count_mask = ~heap_flag;
    static constexpr std::size_t inline_bytes = 7; // the 8th holds how many are used
    static constexpr std::size_t header_bytes = 8;  // a heap block's used and capacity, u32 each
    static constexpr std::size_t max_posting_bytes = 6; // an escape byte and a u32's varint

    static std::size_t encode(std::uint8_t* out, std::uint64_t v) {
        std::size_t n = 0;
        while (v >= 0x80) {
            out[n++] = static_cast<std::uint8_t>(v | 0x80);
            v >>= 7;
        }
        out[n++] = static_cast<std::uint8_t>(v);
        return n;
    }
    static std::size_t encode_posting(std::uint8_t* out, std::uint32_t id, std::optional<std::uint32_t> previous) {
        if (previous && id > *previous) return encode(out, id - *previous);
        out[0] = 0;
        return 1 + encode(out + 1, id);
    }
    static std::uint64_t read_varint(const std::uint8_t*& at) {
        std::uint64_t v = *at++;
        if (!(v & 0x80u)) return v; // one byte: most of a common word's are
        v &= 0x7fu;
        unsigned shift = 7;
        std::uint8_t byte;
        do {
            byte = *at++;
            v |= std::uint64_t{byte & 0x7fu} << shift;
            shift += 7;
        } while (byte & 0x80u);
        return v;
    }

    bool on_heap() const { return count_ & heap_flag; }
    std::uint8_t* bytes() { return on_heap() ? store_.heap + header_bytes : store_.local; }
    const std::uint8_t* bytes() const { return on_heap() ? store_.heap + header_bytes : store_.local; }
    std::uint32_t header(std::size_t field) const {
        std::uint32_t v;
        std::memcpy(&v, store_.heap + field * 4, 4);
        return v;
    }
    void set_header(std::size_t field, std::size_t v) {
        auto value = static_cast<std::uint32_t>(v);
        std::memcpy(store_.heap + field * 4, &value, 4);
    }
    std::size_t heap_capacity() const { return header(1); }
    std::size_t capacity() const { return on_heap() ? heap_capacity() : inline_bytes; }
    std::size_t used() const { return on_heap() ? header(0) : store_.local[inline_bytes]; }
    void set_used(std::size_t n) {
        if (on_heap())
            set_header(0, n);
        else
            store_.local[inline_bytes] = static_cast<std::uint8_t>(n);
    }

    // Leaves the list on the heap with room for `capacity` bytes, none used.
    void allocate(std::size_t capacity) {
        store_.heap = static_cast<std::uint8_t*>(::operator new(header_bytes + capacity));
        count_ |= heap_flag;
        set_header(0, 0);
        set_header(1, capacity);
    }
    void grow(std::size_t needed) {
        std::size_t used_now = used();
        std::size_t bigger = std::max({needed, capacity() + capacity() / 2, std::size_t{32}});
        Store old = store_;
        bool was_on_heap = on_heap();
        std::uint8_t copy[inline_bytes];
        if (!was_on_heap) std::memcpy(copy, store_.local, inline_bytes);
        count_ &= count_mask;
        allocate(bigger);
        std::memcpy(bytes(), was_on_heap ? old.heap + header_bytes : copy, used_now);
        set_used(used_now);
        if (was_on_heap) ::operator delete(old.heap);
    }
    void release() {
        if (on_heap()) ::operator delete(store_.heap);
        store_ = Store{};
        count_ &= count_mask;
    }
    void take(PostingList& other) {
        store_ = other.store_;
        count_ = other.count_;
        last_ = other.last_;
        other.store_ = Store{};
        other.count_ = 0;
        other.last_ = 0;
    }

    union Store {
        std::uint8_t local[inline_bytes + 1];
        std::uint8_t* heap;
    } store_{};
    std::uint32_t count_ = 0; // ids; heap_flag: the bytes are on the heap
    std::uint32_t last_ = 0;  // the last id, which the next is written against (if any)
};

// Reads a list a range of ids at a time: take_below(limit, take) hands
// over the next ids while they are below `limit` and holds back the first
// that is not, for the next range; take(id) returns false to stop there. Ids out of order (below one read before) are
// handed over where they stand and remembered, as a caller that meets
// several lists range by range may then have missed a meeting.
class PostingCursor {
public:
    explicit PostingCursor(PostingList::Reader reader) : reader_(reader) { live_ = reader_.next(pending_); }

    template <typename Take> void take_below(std::uint64_t limit, Take&& take) {
        // In locals, which stay in registers: take() writes memory the
        // compiler cannot tell apart from the members.
        PostingList::Reader reader = reader_;
        std::uint32_t pending = pending_, last = last_;
        bool live = live_, out_of_order = out_of_order_;
        while (live && pending < limit) {
            const std::uint32_t id = pending;
            // The first id is never below 0: only a later one out of order.
            out_of_order |= id < last;
            last = id;
            live = reader.next(pending);
            if (!take(id)) break;
        }
        reader_ = reader;
        pending_ = pending;
        last_ = last;
        live_ = live;
        out_of_order_ = out_of_order;
    }
    bool out_of_order() const { return out_of_order_; }

private:
    PostingList::Reader reader_;
    std::uint32_t pending_ = 0; // read, not yet handed over, while live_
    std::uint32_t last_ = 0;
    bool live_ = false;
    bool out_of_order_ = false;
};

} // namespace napster
