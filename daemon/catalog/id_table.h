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
// Growing moves the ids over a few at a time: each insert and erase moves
// eight slots of the old table into the new one, which is looked in first,
// so no call ever rehashes the whole table (10 million names took 0.2 s in
// one go, a stall of the index's loop). Until the old table is empty it is
// looked in too; an id erased from it leaves a mark there, dropped with it.
// A table that stops changing soon after it grew would keep both copies:
// the owner calls settle() from its deferred work to finish the move, and
// tables of up to 1024 slots move over at once.
//
// The caller owns the keys: it passes the hash on every call and a match
// predicate that looks the id up in its records. Ids are below max_id.
// Pure, one thread.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace napster {

class IdTable {
public:
    static constexpr std::uint32_t max_id = 0xfffffffe; // one value marks an erased old slot

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::size_t memory_bytes() const { return (slots_.capacity() + old_.capacity()) * sizeof(Slot); }

    // The first id stored under `hash` for which match(id) holds.
    template <typename Match>
    std::optional<std::uint32_t> find(std::uint32_t hash, Match&& match) const {
        std::optional<std::uint32_t> found;
        visit_both(hash, [&](std::uint32_t id) {
            if (!match(id)) return true;
            found = id;
            return false;
        });
        return found;
    }

    // Calls visit(id) for every id stored under `hash`, in no fixed order.
    // The table must not change meanwhile.
    template <typename Visit> void for_each_with_hash(std::uint32_t hash, Visit&& visit) const {
        visit_both(hash, [&](std::uint32_t id) {
            visit(id);
            return true;
        });
    }

    // The caller makes sure `id` (below max_id) is not stored yet.
    void insert(std::uint32_t hash, std::uint32_t id) {
        if ((size_ + 1) * 4 > slots_.size() * 3) grow();
        place(slots_, Slot{hash, id + 1});
        ++size_;
        move_some();
    }

    // Removes `id`, stored under `hash`; false if it is not there.
    bool erase(std::uint32_t hash, std::uint32_t id) {
        bool erased = erase_from_current(hash, id);
        if (!erased && !old_.empty()) {
            for (std::size_t i = hash & (old_.size() - 1); old_[i].used(); i = (i + 1) & (old_.size() - 1))
                if (i >= moved_ && old_[i].hash == hash && old_[i].id_plus_one == id + 1) {
                    old_[i].id_plus_one = erased_mark;
                    erased = true;
                    break;
                }
        }
        if (!erased) return false;
        --size_;
        move_some();
        return true;
    }

    // Whether the table before the last growth is still moving over; it
    // holds its memory until then. Inserts and erases move a few slots
    // each, but a table that stops changing right after it grew keeps the
    // old one for good unless settle() finishes the move.
    bool settling() const { return !old_.empty(); }

    // Moves up to `budget` slots of the old table over; returns how many
    // it looked at (0 when nothing is left to move).
    std::size_t settle(std::size_t budget) {
        if (old_.empty()) return 0;
        const std::size_t from = moved_;
        const std::size_t last = std::min(old_.size(), moved_ + budget);
        for (; moved_ < last; ++moved_)
            if (old_[moved_].live()) place(slots_, old_[moved_]);
        const std::size_t looked = last - from;
        if (moved_ == old_.size()) drop_old();
        return looked;
    }

    void clear() {
        slots_.clear();
        slots_.shrink_to_fit();
        old_.clear();
        old_.shrink_to_fit();
        moved_ = 0;
        size_ = 0;
    }

    // Every stored id, by slot (the current table's, then the old one's);
    // for walks that proceed in slices, the table unchanged meanwhile.
    std::size_t slot_count() const { return slots_.size() + old_.size(); }
    std::optional<std::uint32_t> id_at_slot(std::size_t slot) const {
        if (slot < slots_.size()) {
            if (!slots_[slot].used()) return std::nullopt;
            return slots_[slot].id();
        }
        std::size_t i = slot - slots_.size();
        if (i < moved_ || !old_[i].live()) return std::nullopt;
        return old_[i].id();
    }

private:
    static constexpr std::uint32_t erased_mark = max_id + 1; // as id_plus_one
    static constexpr std::size_t moved_per_call = 8;
    // A table this small moves over at once when it grows: a few
    // microseconds, and the many small tables (one a peer) never hold two
    // copies.
    static constexpr std::size_t moved_at_once = 1024;

    struct Slot {
        std::uint32_t hash = 0;
        std::uint32_t id_plus_one = 0; // 0: empty; erased_mark: erased (old table only)
        bool used() const { return id_plus_one != 0; }
        bool live() const { return used() && id_plus_one != erased_mark; }
        std::uint32_t id() const { return id_plus_one - 1; }
    };

    // visit(id) for the ids under `hash` in both tables until it returns false.
    template <typename Visit> void visit_both(std::uint32_t hash, Visit&& visit) const {
        if (!slots_.empty()) {
            for (std::size_t i = hash & (slots_.size() - 1); slots_[i].used(); i = (i + 1) & (slots_.size() - 1))
                if (slots_[i].hash == hash && !visit(slots_[i].id())) return;
        }
        if (old_.empty()) return;
        // Slots below moved_ are in the current table now; erased ones
        // only keep the probe runs whole.
        for (std::size_t i = hash & (old_.size() - 1); old_[i].used(); i = (i + 1) & (old_.size() - 1))
            if (i >= moved_ && old_[i].live() && old_[i].hash == hash && !visit(old_[i].id())) return;
    }

    static void place(std::vector<Slot>& table, Slot slot) {
        std::size_t mask = table.size() - 1;
        std::size_t i = slot.hash & mask;
        while (table[i].used()) i = (i + 1) & mask;
        table[i] = slot;
    }

    bool erase_from_current(std::uint32_t hash, std::uint32_t id) {
        if (slots_.empty()) return false;
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = hash & mask;
        while (slots_[i].used() && !(slots_[i].hash == hash && slots_[i].id() == id)) i = (i + 1) & mask;
        if (!slots_[i].used()) return false;
        // Pull later members of the run back over the hole, each as far as
        // its home slot allows, so every id stays reachable from its home.
        for (std::size_t j = (i + 1) & mask; slots_[j].used(); j = (j + 1) & mask) {
            std::size_t home = slots_[j].hash & mask;
            bool may_move = i <= j ? (home <= i || home > j) : (home <= i && home > j);
            if (may_move) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = Slot{};
        return true;
    }

    void grow() {
        // A table grows only once the one before it has moved over: at 8
        // slots a call that is long before it fills again.
        while (!old_.empty()) move_some();
        old_ = std::exchange(slots_, std::vector<Slot>(slots_.empty() ? 8 : slots_.size() * 2));
        moved_ = 0;
        if (old_.size() <= moved_at_once) settle(old_.size());
    }

    void move_some() { settle(moved_per_call); }

    void drop_old() {
        old_.clear();
        old_.shrink_to_fit();
        moved_ = 0;
    }

    std::vector<Slot> slots_; // a power of two long, or empty
    std::vector<Slot> old_;   // the table before the last growth, while it moves over
    std::size_t moved_ = 0;   // old_ slots below this have moved
    std::size_t size_ = 0;
};

} // namespace napster
