// SPDX-License-Identifier: MIT
#include "catalog/catalog.h"

#include "protocol/name_rules.h"
#include "protocol/protocol.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <unordered_set>

namespace napster {
namespace {

// A word search reads at most this many names per match it may count
// before it gives up with a lower bound: two common words that rarely
// meet must not cost a walk over every name holding the rarer one.
constexpr std::size_t names_read_per_counted_match = 64;

// Stamping a posting costs about a thirtieth of reading a name (a cache
// miss against a miss, a fold and a substring search): the exchange rate
// by which a search of several words picks its way (for_each_word_match).
// It also bounds a stamping search: at most this many postings per name
// the other way may read, 2 million at the default limits, a few ms.
constexpr std::size_t postings_stamped_per_name_read = 32;

std::uint32_t fold_hash(std::size_t h) { return static_cast<std::uint32_t>(h ^ (h >> 32)); }

// A name's first 8 bytes as a big-endian number, zeros past its end: two
// names' prefixes compare as the names do unless equal. No name holds NUL,
// so a name shorter than 8 bytes sorts below every longer one it begins.
std::uint64_t name_prefix(std::string_view name) {
    if (name.size() >= 8) {
        std::uint64_t bytes;
        std::memcpy(&bytes, name.data(), 8);
        if constexpr (std::endian::native == std::endian::little) bytes = __builtin_bswap64(bytes);
        return bytes;
    }
    std::uint64_t prefix = 0;
    for (std::size_t i = 0; i < name.size(); ++i)
        prefix |= std::uint64_t{static_cast<unsigned char>(name[i])} << (56 - 8 * i);
    return prefix;
}

} // namespace

Catalog::Catalog(CatalogLimits limits)
    : limits_(limits),
      arena_([this](std::uint32_t owner, NameArena::Ref ref) { entries_[owner].name = ref; }) {
    // Stopping before max_results would cut the hits, not only the count.
    limits_.max_counted_matches = std::max(limits_.max_counted_matches, limits_.max_results);
}

std::uint32_t Catalog::hash_file_id(std::uint64_t file_id) {
    // splitmix64's finaliser: peers' ids are often 0, 1, 2...; the table
    // probes by the low bits.
    std::uint64_t z = file_id + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<std::uint32_t>(z ^ (z >> 31));
}

std::uint32_t Catalog::hash_name(std::string_view name) {
    return fold_hash(std::hash<std::string_view>{}(name));
}

std::uint32_t Catalog::hash_root(const content::Digest& root) {
    // Roots are what peers say, so not trusted to be random.
    return fold_hash(std::hash<std::string_view>{}(
        std::string_view(reinterpret_cast<const char*>(root.data()), root.size())));
}

bool Catalog::entry_less(std::uint32_t a, std::uint32_t b) const {
    if (int c = name_of(a).compare(name_of(b)); c != 0) return c < 0;
    const Entry& x = entries_[a];
    const Entry& y = entries_[b];
    if (x.size != y.size) return x.size < y.size;
    const content::Digest* rx = root_of(x);
    const content::Digest* ry = root_of(y);
    if (!rx || !ry) return !rx && ry;
    return *rx < *ry;
}

bool Catalog::content_less(std::uint32_t a, std::uint32_t b) const {
    const Entry& x = entries_[a];
    const Entry& y = entries_[b];
    if (*root_of(x) != *root_of(y)) return *root_of(x) < *root_of(y);
    if (x.size != y.size) return x.size < y.size;
    return name_of(a) < name_of(b);
}

bool Catalog::same_content(std::uint32_t a, std::uint32_t b) const {
    const Entry& x = entries_[a];
    const Entry& y = entries_[b];
    return x.size == y.size && *root_of(x) == *root_of(y);
}

void Catalog::add_peer(PeerInfo info) {
    std::uint32_t id = info.id;
    if (removing_peer(id)) remove_peer(id);
    auto [it, added] = peers_.try_emplace(id);
    if (added) {
        if (!free_slots_.empty()) {
            it->second.slot = free_slots_.back();
            free_slots_.pop_back();
        } else {
            it->second.slot = static_cast<std::uint32_t>(slots_.size());
            slots_.emplace_back();
        }
        slots_[it->second.slot].id = id;
    }
    // A new one, not the old one changed: answers not yet used keep theirs.
    slots_[it->second.slot].info = std::make_shared<const PeerInfo>(std::move(info));
}

bool Catalog::has_peer(std::uint32_t peer_id) const {
    auto it = peers_.find(peer_id);
    return it != peers_.end() && !it->second.leaving;
}

bool Catalog::removing_peer(std::uint32_t peer_id) const {
    auto it = peers_.find(peer_id);
    return it != peers_.end() && it->second.leaving;
}

std::size_t Catalog::begin_remove_peer(std::uint32_t peer_id) {
    auto it = peers_.find(peer_id);
    if (it == peers_.end() || it->second.leaving) return 0;
    it->second.leaving = true;
    leaving_.push_back(Leaving{peer_id});
    return it->second.files.size();
}

std::size_t Catalog::remove_peer(std::uint32_t peer_id) {
    std::size_t held = 0;
    if (has_peer(peer_id)) held = begin_remove_peer(peer_id);
    // This peer's removal may be queued behind others: finish it alone.
    auto at = std::find_if(leaving_.begin(), leaving_.end(),
                           [&](const Leaving& l) { return l.peer == peer_id; });
    if (at == leaving_.end()) return held;
    std::rotate(leaving_.begin(), at, at + 1);
    while (!leaving_.empty() && leaving_.front().peer == peer_id)
        continue_leaving(static_cast<std::size_t>(-1));
    return held;
}

std::size_t Catalog::continue_leaving(std::size_t budget) {
    Leaving& leaving = leaving_.front();
    PeerState& peer = peers_.at(leaving.peer);
    std::size_t done = 0;
    while (leaving.next_slot < peer.files.slot_count() && done < budget) {
        if (auto record = peer.files.id_at_slot(leaving.next_slot)) {
            unlink_holder(*record);
            free_records_.push_back(*record);
            --file_count_;
            ++done;
        }
        ++leaving.next_slot;
    }
    if (leaving.next_slot == peer.files.slot_count()) {
        slots_[peer.slot] = PeerSlot{};
        free_slots_.push_back(peer.slot);
        peers_.erase(leaving.peer);
        leaving_.erase(leaving_.begin());
    }
    return std::max<std::size_t>(done, 1);
}

std::optional<std::uint32_t> Catalog::find_record(const PeerState& peer, std::uint64_t file_id) const {
    return peer.files.find(hash_file_id(file_id),
                           [&](std::uint32_t r) { return records_[r].file_id == file_id; });
}

std::uint32_t Catalog::new_record(std::uint64_t file_id, std::uint32_t slot, std::uint32_t entry) {
    FileRecord record{file_id, slot, entry};
    if (!free_records_.empty()) {
        std::uint32_t r = free_records_.back();
        free_records_.pop_back();
        records_[r] = record;
        return r;
    }
    if (records_.size() == none) throw std::bad_alloc();
    records_.push_back(record);
    return static_cast<std::uint32_t>(records_.size() - 1);
}

Result<AddOutcome> Catalog::add_files(std::uint32_t peer_id, std::span<const CatalogFile> files) {
    auto peer_it = peers_.find(peer_id);
    if (peer_it == peers_.end() || peer_it->second.leaving)
        return make_error(ErrorCode::not_found, fmt::format("peer {} is not registered", peer_id));
    PeerState& peer = peer_it->second;

    // Everything is checked before anything changes, so a refused batch
    // leaves the catalog exactly as it was.
    AddOutcome outcome;
    std::unordered_set<std::uint64_t> seen;
    seen.reserve(files.size());
    for (const auto& file : files) {
        // The decoder already refuses these; checked again because a name a
        // SEARCH_RESULT may not carry would make every result holding it
        // undecodable for the peers that searched.
        if (auto problem = file_name_problem(file.name))
            return make_error(ErrorCode::invalid_argument,
                fmt::format("peer {} file id {}: {}", peer_id, file.file_id, *problem));
        if (!seen.insert(file.file_id).second) continue;
        auto record = find_record(peer, file.file_id);
        if (!record) {
            ++outcome.added;
            continue;
        }
        std::uint32_t old = records_[*record].entry;
        const Entry& old_entry = entries_[old];
        const content::Digest* old_root = root_of(old_entry);
        bool same_name = name_of(old) == file.name && old_entry.size == file.size;
        if (same_name && (old_root ? file.root && *file.root == *old_root : !file.root))
            ++outcome.unchanged;
        else if (same_name && !old_root && file.root)
            ++outcome.hashed;
        else
            ++outcome.replaced;
    }
    std::size_t would_hold = peer.files.size() + outcome.added;
    if (would_hold > limits_.max_files_per_peer)
        return make_error(ErrorCode::limit_exceeded,
            fmt::format("peer {} would hold {} files, limits.max_files_per_peer is {}", peer_id,
                        would_hold, limits_.max_files_per_peer));

    for (const auto& file : files) {
        auto record = find_record(peer, file.file_id);
        if (!record) {
            std::uint32_t r = new_record(file.file_id, peer.slot, 0);
            records_[r].entry = link_holder(file, r);
            peer.files.insert(hash_file_id(file.file_id), r);
            ++file_count_;
            continue;
        }
        std::uint32_t old = records_[*record].entry;
        if (find_entry(file.name, file.size, file.root) == old) continue;
        unlink_holder(*record);
        records_[*record].entry = link_holder(file, *record);
    }
    if (peer.files.settling() && !peer.in_settling) {
        peer.in_settling = true;
        settling_peers_.push_back(peer_id);
    }
    return outcome;
}

std::size_t Catalog::remove_files(std::uint32_t peer_id, std::span<const std::uint64_t> file_ids) {
    auto peer_it = peers_.find(peer_id);
    if (peer_it == peers_.end() || peer_it->second.leaving) return 0;
    PeerState& peer = peer_it->second;
    std::size_t removed = 0;
    for (auto file_id : file_ids) {
        auto record = find_record(peer, file_id);
        if (!record) continue;
        unlink_holder(*record);
        peer.files.erase(hash_file_id(file_id), *record);
        free_records_.push_back(*record);
        ++removed;
    }
    file_count_ -= removed;
    return removed;
}

std::size_t Catalog::peer_file_count(std::uint32_t peer_id) const {
    auto peer_it = peers_.find(peer_id);
    return peer_it == peers_.end() || peer_it->second.leaving ? 0 : peer_it->second.files.size();
}

std::optional<std::uint32_t> Catalog::find_entry(std::string_view name, std::uint64_t size,
                                                 const std::optional<content::Digest>& root) const {
    return names_.find(hash_name(name), [&](std::uint32_t e) {
        const Entry& entry = entries_[e];
        if (entry.size != size || name_of(e) != name) return false;
        const content::Digest* own = root_of(entry);
        return own ? root && *root == *own : !root;
    });
}

bool Catalog::record_less(std::uint32_t a, std::uint32_t b) const {
    const FileRecord& x = records_[a];
    const FileRecord& y = records_[b];
    if (x.slot == y.slot) return x.file_id < y.file_id;
    return slots_[x.slot].id < slots_[y.slot].id;
}

std::uint32_t Catalog::link_holder(const CatalogFile& file, std::uint32_t record) {
    std::uint32_t e;
    if (auto found = find_entry(file.name, file.size, file.root))
        e = *found;
    else
        e = create_entry(file);
    Entry& entry = entries_[e];
    auto less = [this](std::uint32_t a, std::uint32_t b) { return record_less(a, b); };
    if (entry.holder_count == 0) {
        entry.holder = record;
    } else if (entry.holder_count == 1) {
        std::uint32_t list;
        if (!free_holder_lists_.empty()) {
            list = free_holder_lists_.back();
            free_holder_lists_.pop_back();
        } else {
            list = static_cast<std::uint32_t>(holder_lists_.size());
            holder_lists_.emplace_back();
        }
        auto& holders = holder_lists_[list];
        holders = {entry.holder, record};
        if (less(record, entry.holder)) std::swap(holders[0], holders[1]);
        entry.holder = list;
    } else {
        // A sorted vector: a file at thousands of peers costs one shift of
        // its list per holder that comes or goes, a few microseconds.
        auto& holders = holder_lists_[entry.holder];
        holders.insert(std::upper_bound(holders.begin(), holders.end(), record, less), record);
    }
    ++entry.holder_count;
    return e;
}

void Catalog::unlink_holder(std::uint32_t record) {
    std::uint32_t e = records_[record].entry;
    Entry& entry = entries_[e];
    if (entry.holder_count == 1) {
        entry.holder_count = 0;
        retire_entry(e);
        return;
    }
    auto& holders = holder_lists_[entry.holder];
    auto at = std::lower_bound(holders.begin(), holders.end(), record,
                               [this](std::uint32_t a, std::uint32_t b) { return record_less(a, b); });
    holders.erase(at);
    if (--entry.holder_count == 1) {
        std::uint32_t last = holders.front();
        holders = {};
        free_holder_lists_.push_back(entry.holder);
        entry.holder = last;
    }
}

std::span<const std::uint32_t> Catalog::holders_of(const Entry& entry) const {
    if (entry.holder_count == 1) return {&entry.holder, 1};
    return holder_lists_[entry.holder];
}

std::uint32_t Catalog::create_entry(const CatalogFile& file) {
    std::uint32_t e;
    if (!free_entries_.empty()) {
        e = free_entries_.back();
        free_entries_.pop_back();
    } else {
        if (entries_.size() == none) throw std::bad_alloc();
        e = static_cast<std::uint32_t>(entries_.size());
        entries_.emplace_back();
    }
    Entry& entry = entries_[e];
    entry = Entry{};
    entry.size = file.size;
    // Only when 16 GiB of names or 2^32 words are held: memory is gone.
    if (!arena_.add(file.name, e, entry.name)) throw std::bad_alloc();
    names_.insert(hash_name(file.name), e);
    WordIndex::for_each_word(file.name, fold_buffer_, [&](std::string_view word) {
        if (!words_.add_posting(word, e)) throw std::bad_alloc();
    });
    if (file.root) {
        std::uint32_t link;
        if (!free_roots_.empty()) {
            link = free_roots_.back();
            free_roots_.pop_back();
        } else {
            link = static_cast<std::uint32_t>(roots_.size());
            roots_.emplace_back();
        }
        roots_[link] = RootLink{*file.root, e, e};
        entries_[e].root = link;
        join_content(e);
    } else {
        ++content_count_;
    }
    return e;
}

// Its postings stay until the sweep: until then every reader skips it, as
// its holder_count is 0.
void Catalog::retire_entry(std::uint32_t e) {
    Entry& entry = entries_[e];
    names_.erase(hash_name(name_of(e)), e);
    if (entry.root != none) {
        leave_content(e);
        free_roots_.push_back(entry.root);
        entry.root = none;
    } else {
        --content_count_;
    }
    arena_.remove(entry.name);
    dead_entries_.push_back(e);
}

void Catalog::join_content(std::uint32_t e) {
    const content::Digest& root = *root_of(entries_[e]);
    std::uint32_t h = hash_root(root);
    auto other = by_root_.find(h, [&](std::uint32_t o) { return same_content(o, e); });
    by_root_.insert(h, e);
    if (!other) {
        ++content_count_;
        return;
    }
    // Into the other's ring, after it.
    RootLink& mine = roots_[entries_[e].root];
    RootLink& theirs = roots_[entries_[*other].root];
    mine.prev = *other;
    mine.next = theirs.next;
    roots_[entries_[theirs.next].root].prev = e;
    theirs.next = e;
}

void Catalog::leave_content(std::uint32_t e) {
    RootLink& mine = roots_[entries_[e].root];
    by_root_.erase(hash_root(mine.root), e);
    if (mine.next == e) {
        --content_count_;
        return;
    }
    roots_[entries_[mine.prev].root].next = mine.next;
    roots_[entries_[mine.next].root].prev = mine.prev;
    mine.prev = mine.next = e;
}

bool Catalog::sweep_due() const {
    // Sweeping reads every posting, so it waits until the dead are a fair
    // share of them: memory held by the dead stays under about 1/8.
    return dead_entries_.size() >= std::max<std::size_t>(4096, names_.size() / 8);
}

bool Catalog::has_work() const {
    return !leaving_.empty() || sweep_.active || sweep_due() || tables_settling();
}

bool Catalog::work(std::size_t budget) {
    while (budget > 0 && has_work()) {
        std::size_t spent = !leaving_.empty()               ? continue_leaving(budget)
                            : sweep_.active || sweep_due() ? continue_sweep(budget)
                                                           : continue_settling(budget);
        budget -= std::min(std::max<std::size_t>(spent, 1), budget);
    }
    return has_work();
}

bool Catalog::tables_settling() const {
    return names_.settling() || by_root_.settling() || words_.settling() || !settling_peers_.empty();
}

std::size_t Catalog::continue_settling(std::size_t budget) {
    std::size_t spent = names_.settle(budget);
    if (spent < budget) spent += by_root_.settle(budget - spent);
    if (spent < budget) spent += words_.settle(budget - spent);
    while (spent < budget && !settling_peers_.empty()) {
        auto it = peers_.find(settling_peers_.back());
        // A leaving peer's table is walked by slot: it must not move.
        if (it == peers_.end() || it->second.leaving || !it->second.files.settling()) {
            if (it != peers_.end()) it->second.in_settling = false;
            settling_peers_.pop_back();
            continue;
        }
        spent += 1 + it->second.files.settle(budget - spent);
    }
    return spent;
}

std::size_t Catalog::continue_sweep(std::size_t budget) {
    if (!sweep_.active) {
        sweep_.active = true;
        sweep_.next_word = 0;
        sweep_.entries = std::move(dead_entries_);
        dead_entries_ = {};
    }
    std::size_t spent = 0;
    auto dead = [this](std::uint32_t e) { return entries_[e].holder_count == 0; };
    while (sweep_.next_word < words_.word_capacity() && spent < budget)
        spent += 1 + words_.sweep_word(sweep_.next_word++, dead);
    if (sweep_.next_word == words_.word_capacity()) {
        // Every posting that held them has been read: they may be reused.
        free_entries_.insert(free_entries_.end(), sweep_.entries.begin(), sweep_.entries.end());
        sweep_ = Sweep{};
        ++sweeps_;
        words_.repack_if_sparse();
    }
    return spent;
}

template <typename OnMatch>
bool Catalog::for_each_word_match(const std::vector<std::string>& words, OnMatch&& on_match) const {
    // For each query word, the catalog's words that contain it: the names
    // holding the query word are the union of their postings.
    struct Part {
        std::vector<WordIndex::WordId> words;
        std::size_t postings = 0;
    };
    std::vector<Part> parts(words.size());
    std::size_t all_postings = 0;
    for (std::size_t i = 0; i < words.size(); ++i) {
        // Copied: the list is only good until the next call.
        parts[i].words = words_.words_containing(words[i]);
        for (WordIndex::WordId w : parts[i].words) parts[i].postings += words_.postings(w).size();
        if (parts[i].postings == 0) return true; // a word nothing holds: no match
        all_postings += parts[i].postings;
    }
    auto by_postings = [](const Part& a, const Part& b) { return a.postings < b.postings; };
    const auto rarest = static_cast<std::size_t>(std::min_element(parts.begin(), parts.end(), by_postings) - parts.begin());
    const auto commonest =
        static_cast<std::size_t>(std::max_element(parts.begin(), parts.end(), by_postings) - parts.begin());
    const std::size_t max_read = std::size_t{limits_.max_counted_matches} * names_read_per_counted_match;

    // Several words meet in one of two ways. Reading names: the rarest
    // word's names are read and the other words looked for in each, about
    // 100 ns a name, stopping once enough are counted. Stamping: every
    // name holding each other word is stamped, stage by stage, in a bitmap
    // of all names (small enough to stay in the core's cache: 1.25 MB at
    // ten million names), a few ns a posting but all of them; then the
    // commonest word's postings are walked and a name stamped by every
    // stage is a match, no name read. Stamping wins unless one word is far
    // rarer than all together.
    const bool stamping = words.size() > 1 &&
                          all_postings < std::min(parts[rarest].postings, max_read) * postings_stamped_per_name_read;
    const std::size_t driver = stamping ? commonest : rarest;

    // Two words that meet often: stamping all of the other word's names
    // would cost its whole list when a few thousand of its postings give
    // enough matches. Both lists are in id order but for ids reused out of
    // order, so they are read together a range of ids at a time, stopping
    // once enough are found: the cost follows the answer, not the catalog.
    if (stamping && words.size() == 2) {
        std::vector<std::uint32_t> found;
        Meeting met = meet_in_ranges(parts[1 - driver].words, parts[driver].words, limits_.max_counted_matches, found);
        if (met != Meeting::unsure) {
            for (std::uint32_t e : found)
                if (!on_match(e)) return false;
            return met == Meeting::all;
        }
        // Ran out of ranges with ids out of order: a match may have been
        // missed, so all over again, the whole lists at once.
    }

    // Postings point all over the marks, entries and names: each id read
    // is a cache miss or three. Read them a block at a time, prefetching
    // each level for the whole block before using it, so the misses
    // overlap.
    constexpr std::size_t block = 16;
    std::uint32_t ids[block];
    const std::size_t bitmap_words = stamping ? size_stamps() : 0;
    // The stamps are all zero between searches: whatever way this one
    // ends, it clears them.
    struct ClearStamps {
        std::vector<std::uint64_t>* stamps;
        std::size_t words;
        ~ClearStamps() {
            if (stamps) std::fill_n(stamps->begin(), words, 0);
        }
    } clear_stamps{stamping ? &stamps_ : nullptr, bitmap_words};
    if (stamping) {
        bool first = true;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i == driver) continue;
            for (WordIndex::WordId w : parts[i].words) {
                auto reader = words_.postings(w).reader();
                while (std::size_t n = reader.read(ids, block)) {
                    for (std::size_t k = 0; k < n; ++k) {
                        const std::uint64_t bit = std::uint64_t{1} << (ids[k] & 63);
                        if (first)
                            stamps_[ids[k] >> 6] |= bit;
                        else if (stamps_[ids[k] >> 6] & bit)
                            stamps_next_[ids[k] >> 6] |= bit;
                    }
                }
            }
            if (!first) {
                stamps_.swap(stamps_next_);
                std::fill_n(stamps_next_.begin(), bitmap_words, 0);
            }
            first = false;
        }
    } else {
        // A name holding two words that contain the query word (love,
        // lover) comes twice: the first time marks it with the search's
        // generation.
        seen_.grow_to(entries_.size(), 0);
        if (++generation_ == 0) {
            seen_.fill(0);
            generation_ = 1;
        }
    }
    std::size_t read = 0;
    std::string folded;
    std::uint32_t fresh[block];
    for (WordIndex::WordId w : parts[driver].words) {
        auto reader = words_.postings(w).reader();
        while (std::size_t n = reader.read(ids, block)) {
            std::size_t kept = 0;
            if (stamping) {
                // Taking a name clears its stamp: it counts once however
                // many of the driver's words it holds.
                for (std::size_t i = 0; i < n; ++i) {
                    const std::uint32_t e = ids[i];
                    std::uint64_t& stamp = stamps_[e >> 6];
                    const std::uint64_t bit = std::uint64_t{1} << (e & 63);
                    if (!(stamp & bit)) continue;
                    stamp &= ~bit;
                    __builtin_prefetch(&entries_[e]);
                    fresh[kept++] = e;
                }
            } else {
                for (std::size_t i = 0; i < n; ++i) __builtin_prefetch(&seen_[ids[i]]);
                for (std::size_t i = 0; i < n; ++i) {
                    const std::uint32_t e = ids[i];
                    if (seen_[e] == generation_) continue;
                    seen_[e] = generation_;
                    __builtin_prefetch(&entries_[e]);
                    fresh[kept++] = e;
                }
            }
            std::size_t live = 0;
            for (std::size_t i = 0; i < kept; ++i) {
                const std::uint32_t e = fresh[i];
                if (entries_[e].holder_count == 0) continue;
                __builtin_prefetch(arena_.record_of(entries_[e].name));
                fresh[live++] = e;
            }
            for (std::size_t i = 0; i < live; ++i) {
                const std::uint32_t e = fresh[i];
                if (++read > max_read) return false;
                if (words.size() > 1 && !stamping) {
                    std::string_view name = name_of(e);
                    folded.resize(name.size());
                    std::transform(name.begin(), name.end(), folded.begin(), fold_ascii);
                    bool all = true;
                    for (std::size_t k = 0; k < words.size() && all; ++k)
                        all = k == driver || folded.find(words[k]) != std::string::npos;
                    if (!all) continue;
                }
                if (!on_match(e)) return false;
            }
        }
    }
    return true;
}

std::size_t Catalog::size_stamps() const {
    const std::size_t words = (entries_.size() + 63) / 64;
    if (stamps_.size() < words) {
        stamps_.resize(words, 0);
        stamps_next_.resize(words, 0);
    }
    return words;
}

Catalog::Meeting Catalog::meet_in_ranges(const std::vector<WordIndex::WordId>& other,
                                         const std::vector<WordIndex::WordId>& driver, std::size_t enough,
                                         std::vector<std::uint32_t>& found) const {
    auto cursors_of = [this](const std::vector<WordIndex::WordId>& words) {
        std::vector<PostingCursor> cursors;
        cursors.reserve(words.size());
        for (WordIndex::WordId w : words) cursors.emplace_back(words_.postings(w).reader());
        return cursors;
    };
    std::vector<PostingCursor> stampers = cursors_of(other);
    std::vector<PostingCursor> walkers = cursors_of(driver);

    const std::size_t bitmap_words = size_stamps();
    // Sixty-four ranges: a word pair that meets in one name in a thousand
    // still finds a thousand matches well before the end of a large
    // catalog, and the last range stamps little past where it stops.
    const std::uint64_t ids = entries_.size();
    const std::uint64_t step = std::max<std::uint64_t>(ids / 64, 4096);
    std::uint64_t limit = 0;
    bool stopped = false;
    while (!stopped && limit < ids) {
        limit += step;
        // The last range takes every id left, also those out of order.
        const std::uint64_t below = limit >= ids ? std::numeric_limits<std::uint64_t>::max() : limit;
        for (PostingCursor& c : stampers)
            c.take_below(below, [&](std::uint32_t e) {
                stamps_[e >> 6] |= std::uint64_t{1} << (e & 63);
                return true;
            });
        for (PostingCursor& c : walkers) {
            c.take_below(below, [&](std::uint32_t e) {
                std::uint64_t& stamp = stamps_[e >> 6];
                const std::uint64_t bit = std::uint64_t{1} << (e & 63);
                // Taking a name clears its stamp: it counts once however
                // many of the driver's words it holds.
                if (!(stamp & bit)) return true;
                stamp &= ~bit;
                if (entries_[e].holder_count != 0) found.push_back(e);
                stopped = found.size() >= enough;
                return !stopped;
            });
            if (stopped) break;
        }
    }
    // Every id stamped lies below the last range's end, out of order or not.
    std::fill_n(stamps_.begin(), std::min<std::uint64_t>(bitmap_words, (limit + 63) / 64), 0);
    if (stopped) return Meeting::enough;
    for (const auto* list : {&stampers, &walkers})
        for (const PostingCursor& c : *list)
            if (c.out_of_order()) return Meeting::unsure;
    return Meeting::all;
}

void Catalog::list_holder(std::uint32_t r, std::uint32_t named, std::uint32_t hit_entry,
                          CatalogHit& hit, CatalogAnswer& answer) const {
    const FileRecord& record = records_[r];
    // Every holder's peer is present: a leaving peer stays until its files
    // are unlinked.
    const PeerSlot& peer = slots_[record.slot];
    if (peer.listed_in != listing_) {
        peer.listed_in = listing_;
        peer.listed_at = static_cast<std::uint32_t>(answer.peers.size());
        answer.peers.push_back(peer.info);
    }
    CatalogHolder& holder = hit.holders.emplace_back();
    holder.peer_id = peer.id;
    holder.peer = peer.listed_at;
    holder.file_id = record.file_id;
    // Names of one content's entries differ (an entry is a distinct name,
    // size and root): only another entry's holders need a name of their own.
    if (named != hit_entry) holder.name = name_of(named);
}

void Catalog::add_hit(std::uint32_t e, CatalogAnswer& answer) const {
    const Entry& entry = entries_[e];
    CatalogHit& hit = answer.hits.emplace_back();
    hit.name = std::string(name_of(e));
    hit.size = entry.size;
    if (entry.root != none) hit.root = roots_[entry.root].root;
    auto list = [&](std::uint32_t r, std::uint32_t named) {
        list_holder(r, named, e, hit, answer);
    };
    // No more than a SEARCH_RESULT lists: copying the rest would be waste.
    if (!shares_content(e)) {
        auto holders = holders_of(entry);
        hit.holder_total = holders.size();
        hit.holders.reserve(std::min<std::size_t>(holders.size(), protocol::max_holders_per_result));
        for (std::uint32_t r : holders) {
            if (hit.holders.size() == protocol::max_holders_per_result) break;
            list(r, e);
        }
        return;
    }

    // Each name keeps its holders in order: merge them, taking only the
    // first max_holders_per_result, through a heap whose front is the
    // cursor at the smallest holder left.
    struct Cursor {
        const std::uint32_t* at;
        const std::uint32_t* end;
        std::uint32_t entry;
    };
    auto later = [this](const Cursor& a, const Cursor& b) { return record_less(*b.at, *a.at); };
    std::vector<Cursor> cursors;
    std::uint32_t member = e;
    do {
        auto holders = holders_of(entries_[member]);
        hit.holder_total += holders.size();
        cursors.push_back(Cursor{holders.data(), holders.data() + holders.size(), member});
        member = roots_[entries_[member].root].next;
    } while (member != e);
    std::make_heap(cursors.begin(), cursors.end(), later);
    hit.holders.reserve(std::min<std::size_t>(hit.holder_total, protocol::max_holders_per_result));
    while (!cursors.empty() && hit.holders.size() < protocol::max_holders_per_result) {
        std::pop_heap(cursors.begin(), cursors.end(), later);
        Cursor& next = cursors.back();
        list(*next.at, next.entry);
        if (++next.at == next.end)
            cursors.pop_back();
        else
            std::push_heap(cursors.begin(), cursors.end(), later);
    }
}

CatalogAnswer Catalog::search(const CatalogQuery& query) const {
    std::size_t limit = limits_.max_results;
    if (query.max_hits != 0) limit = std::min(limit, query.max_hits);

    // The first `limit` hits in hit order, found in one pass over names in
    // no particular order: a max-heap whose front is the last one kept.
    // Hits past the limit are only counted. Each hit is offered once, by
    // the name it goes by. A thousand offers make thousands of comparisons:
    // each is of the names' first bytes, read once an offer, and only a tie
    // reads the names (entry_less).
    struct Ranked {
        std::uint64_t prefix;
        std::uint32_t entry;
    };
    auto key_less = [this](const Ranked& a, const Ranked& b) {
        return a.prefix != b.prefix ? a.prefix < b.prefix : entry_less(a.entry, b.entry);
    };
    std::vector<Ranked> kept;
    kept.reserve(std::min(limit, content_count_));
    std::size_t total = 0;
    auto offer = [&](std::uint32_t e) {
        ++total;
        const Ranked ranked{name_prefix(name_of(e)), e};
        if (kept.size() < limit) {
            kept.push_back(ranked);
            std::push_heap(kept.begin(), kept.end(), key_less);
        } else if (!kept.empty() && key_less(ranked, kept.front())) {
            // The front gives way: the new one sifts down from there in one
            // pass, where pop_heap and push_heap would take two.
            std::size_t at = 0;
            for (std::size_t child = 1; child < kept.size(); child = 2 * at + 1) {
                if (child + 1 < kept.size() && key_less(kept[child], kept[child + 1])) ++child;
                if (!key_less(ranked, kept[child])) break;
                kept[at] = kept[child];
                at = child;
            }
            kept[at] = ranked;
        }
    };
    // A content with several names goes by the smallest that matched,
    // known only once every name has been seen: sorted in content order,
    // its matches are a run with that one first. Sorting, not hashing:
    // roots are what peers say, so they can be made to collide.
    std::vector<std::uint32_t> shared;
    std::size_t matched_names = 0;
    auto on_match = [&](std::uint32_t e) {
        if (shares_content(e))
            shared.push_back(e);
        else
            offer(e);
        return ++matched_names < limits_.max_counted_matches;
    };
    bool complete = true;

    if (query.root) {
        by_root_.for_each_with_hash(hash_root(*query.root), [&](std::uint32_t e) {
            if (*root_of(entries_[e]) == *query.root) on_match(e);
        });
    } else if (query.exact) {
        names_.for_each_with_hash(hash_name(query.text), [&](std::uint32_t e) {
            if (name_of(e) == query.text) on_match(e);
        });
    } else {
        auto words = split_words(ascii_lower(query.text));
        // No name holds NUL, so a word with one matches nothing.
        bool has_nul = std::any_of(words.begin(), words.end(), [](const std::string& w) {
            return w.find('\0') != std::string::npos;
        });
        if (!words.empty() && !has_nul) complete = for_each_word_match(words, on_match);
    }
    std::sort(shared.begin(), shared.end(),
              [this](std::uint32_t a, std::uint32_t b) { return content_less(a, b); });
    for (std::size_t i = 0; i < shared.size(); ++i)
        if (i == 0 || !same_content(shared[i - 1], shared[i])) offer(shared[i]);
    std::sort_heap(kept.begin(), kept.end(), key_less);

    CatalogAnswer answer;
    answer.hits.reserve(kept.size());
    // Room for every peer the hits can list, once: grown one push at a
    // time, a common word's thousand peers were ten moves of the list and
    // as many big allocations.
    std::size_t listable = 0;
    for (const Ranked& ranked : kept)
        listable += shares_content(ranked.entry)
                        ? protocol::max_holders_per_result
                        : std::min<std::size_t>(entries_[ranked.entry].holder_count, protocol::max_holders_per_result);
    answer.peers.reserve(std::min(listable, peers_.size()));
    if (++listing_ == 0) {
        for (const PeerSlot& slot : slots_)
            slot.listed_in = 0;
        listing_ = 1;
    }
    for (const Ranked& ranked : kept)
        add_hit(ranked.entry, answer);
    answer.total_matches = total;
    answer.total_is_lower_bound = !complete;
    return answer;
}

std::size_t Catalog::memory_bytes() const {
    std::size_t total = records_.memory_bytes() + free_records_.capacity() * sizeof(std::uint32_t) +
                        entries_.memory_bytes() +
                        (free_entries_.capacity() + dead_entries_.capacity()) * sizeof(std::uint32_t) +
                        seen_.memory_bytes() + (stamps_.capacity() + stamps_next_.capacity()) * 8 +
                        holder_lists_.capacity() * sizeof(holder_lists_[0]) +
                        roots_.memory_bytes() + names_.memory_bytes() +
                        by_root_.memory_bytes() + arena_.memory_bytes() + words_.memory_bytes();
    for (const auto& list : holder_lists_) total += list.capacity() * sizeof(std::uint32_t);
    return total + peer_table_bytes();
}

std::size_t Catalog::peer_table_bytes() const {
    std::size_t total =
        slots_.capacity() * sizeof(PeerSlot) +
        (free_slots_.capacity() + settling_peers_.capacity()) * sizeof(std::uint32_t);
    for (const auto& [id, peer] : peers_) total += peer.files.memory_bytes();
    return total;
}

std::string Catalog::memory_report() const {
    std::size_t holder_lists = holder_lists_.capacity() * sizeof(holder_lists_[0]);
    for (const auto& list : holder_lists_) holder_lists += list.capacity() * sizeof(std::uint32_t);
    std::size_t peer_tables = peer_table_bytes();
    return fmt::format(
        "records {}, peer tables {}, entries {}, names table {}, root table {}, roots {}, holder lists {}, "
        "name arena {}, words {}, free and dead lists {}, seen marks {}",
        records_.memory_bytes(), peer_tables, entries_.memory_bytes(), names_.memory_bytes(),
        by_root_.memory_bytes(), roots_.memory_bytes(), holder_lists,
        arena_.memory_bytes(), words_.memory_bytes(),
        (free_records_.capacity() + free_entries_.capacity() + dead_entries_.capacity()) * sizeof(std::uint32_t),
        seen_.memory_bytes() + (stamps_.capacity() + stamps_next_.capacity()) * 8);
}

} // namespace napster
