// SPDX-License-Identifier: MIT
#pragma once

// An open-addressing hash table of 32-bit ids: the catalog's maps (a peer's
// file ids, names, roots, words) are all "find the id whose record matches
// this key", with the records in flat arrays of their own. The table keeps
// only each id and its key's hash, 8 bytes a slot, so it costs 10-16 bytes
// an id where a std::unordered_map node costs 40 and more. Linear probing,
// deletion by backward shift (no tombstones, so probe runs never rot),
// grown at 3/4 full. Several ids may share a key (all the names equal to
// one text): for_each_with_hash visits every id stored under a hash and
// the caller tells them apart.
//
// The caller owns the keys: it passes the hash on every call and a match
// predicate that looks the id up in its records. Pure, one thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace napster {

class IdTable {
public:
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

    // The first id stored under `hash` for which match(id) holds.
    template <typename Match>
    std::optional<std::uint32_t> find(std::uint32_t hash, Match&& match) const {
        if (slots_.empty()) return std::nullopt;
        for (std::size_t i = hash & mask(); slots_[i].used(); i = (i + 1) & mask())
            if (slots_[i].hash == hash && match(slots_[i].id())) return slots_[i].id();
        return std::nullopt;
    }

    // Calls visit(id) for every id stored under `hash`, in no fixed order.
    // The table must not change meanwhile.
    template <typename Visit> void for_each_with_hash(std::uint32_t hash, Visit&& visit) const {
        if (slots_.empty()) return;
        for (std::size_t i = hash & mask(); slots_[i].used(); i = (i + 1) & mask())
            if (slots_[i].hash == hash) visit(slots_[i].id());
    }

    // The caller makes sure `id` is not stored yet.
    void insert(std::uint32_t hash, std::uint32_t id) {
        if ((size_ + 1) * 4 > slots_.size() * 3) grow();
        place(Slot{hash, id + 1});
        ++size_;
    }

    // Removes `id`, stored under `hash`; false if it is not there.
    bool erase(std::uint32_t hash, std::uint32_t id) {
        if (slots_.empty()) return false;
        std::size_t i = hash & mask();
        while (slots_[i].used() && !(slots_[i].hash == hash && slots_[i].id() == id))
            i = (i + 1) & mask();
        if (!slots_[i].used()) return false;
        // Pull later members of the run back over the hole, each as far as
        // its home slot allows, so every id stays reachable from its home.
        for (std::size_t j = (i + 1) & mask(); slots_[j].used(); j = (j + 1) & mask()) {
            std::size_t home = slots_[j].hash & mask();
            bool may_move = i <= j ? (home <= i || home > j) : (home <= i && home > j);
            if (may_move) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = Slot{};
        --size_;
        return true;
    }

    void clear() {
        slots_.clear();
        slots_.shrink_to_fit();
        size_ = 0;
    }

    // Every stored id, in slot order; for walks that proceed in slices.
    std::size_t slot_count() const { return slots_.size(); }
    std::optional<std::uint32_t> id_at_slot(std::size_t slot) const {
        if (!slots_[slot].used()) return std::nullopt;
        return slots_[slot].id();
    }

private:
    struct Slot {
        std::uint32_t hash = 0;
        std::uint32_t id_plus_one = 0; // 0: empty
        bool used() const { return id_plus_one != 0; }
        std::uint32_t id() const { return id_plus_one - 1; }
    };

    std::size_t mask() const { return slots_.size() - 1; }

    void place(Slot slot) {
        std::size_t i = slot.hash & mask();
        while (slots_[i].used()) i = (i + 1) & mask();
        slots_[i] = slot;
    }

    void grow() {
        std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(slots_.empty() ? 8 : slots_.size() * 2));
        for (const Slot& slot : old)
            if (slot.used()) place(slot);
    }

    std::vector<Slot> slots_; // a power of two long, or empty
    std::size_t size_ = 0;
};

} // namespace napster
