// SPDX-License-Identifier: MIT
#include "catalog/catalog.h"

#include "protocol/name_rules.h"
#include "protocol/protocol.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string_view>
#include <tuple>
#include <unordered_set>

namespace napster {
namespace {

// Large enough that a scan is mostly one memmem per chunk, small enough that
// compacting one after removals is cheap. A name (255 bytes) always fits.
constexpr std::size_t name_chunk_bytes = 64 * 1024;
static_assert(protocol::max_file_name + 1 <= name_chunk_bytes);

char fold_ascii(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool Catalog::ContentOrder::operator()(const NameEntry* a, const NameEntry* b) const {
    return std::tie(*a->first.root, a->first.size, a->first.name) <
           std::tie(*b->first.root, b->first.size, b->first.name);
}

bool Catalog::ContentOrder::operator()(const NameEntry* a, const content::Digest& root) const {
    return *a->first.root < root;
}

bool Catalog::ContentOrder::operator()(const content::Digest& root, const NameEntry* b) const {
    return root < *b->first.root;
}

void Catalog::add_peer(PeerInfo info) {
    std::uint32_t id = info.id;
    peers_[id].info = std::move(info);
}

std::size_t Catalog::remove_peer(std::uint32_t peer_id) {
    auto peer_it = peers_.find(peer_id);
    if (peer_it == peers_.end()) return 0;
    PeerState& peer = peer_it->second;
    for (const auto& [file_id, stored] : peer.files)
        unlink_holder(stored.name, HolderRef{peer_id, file_id});
    std::size_t removed = peer.files.size();
    file_count_ -= removed;
    peers_.erase(peer_it);
    return removed;
}

Result<AddOutcome> Catalog::add_files(std::uint32_t peer_id, std::span<const CatalogFile> files) {
    auto peer_it = peers_.find(peer_id);
    if (peer_it == peers_.end())
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
        auto stored = peer.files.find(file.file_id);
        if (stored == peer.files.end()) {
            ++outcome.added;
            continue;
        }
        const NameKey& old_key = stored->second.name->first;
        if (old_key.name == file.name && old_key.size == file.size && old_key.root == file.root)
            ++outcome.unchanged;
        else if (!old_key.root && file.root && old_key.name == file.name && old_key.size == file.size)
            ++outcome.hashed;
        else
            ++outcome.replaced;
    }
    std::size_t would_hold = peer.files.size() + outcome.added;
    if (would_hold > limits_.max_files_per_peer)
        return make_error(ErrorCode::limit_exceeded,
            fmt::format("peer {} would hold {} files, limits.max_files_per_peer is {}", peer_id,
                        would_hold, limits_.max_files_per_peer));

    peer.files.reserve(would_hold);
    for (const auto& file : files) {
        HolderRef ref{peer_id, file.file_id};
        auto stored = peer.files.find(file.file_id);
        if (stored == peer.files.end()) {
            peer.files.emplace(file.file_id, StoredFile{link_holder(file, ref)});
            ++file_count_;
            continue;
        }
        const NameKey& old_key = stored->second.name->first;
        if (old_key.size == file.size && old_key.root == file.root && old_key.name == file.name)
            continue;
        // Link first: should it throw, the file still points at its old name.
        auto name = link_holder(file, ref);
        unlink_holder(stored->second.name, ref);
        stored->second.name = name;
    }
    return outcome;
}

std::size_t Catalog::remove_files(std::uint32_t peer_id, std::span<const std::uint64_t> file_ids) {
    auto peer_it = peers_.find(peer_id);
    if (peer_it == peers_.end()) return 0;
    PeerState& peer = peer_it->second;
    std::size_t removed = 0;
    for (auto file_id : file_ids) {
        auto stored = peer.files.find(file_id);
        if (stored == peer.files.end()) continue;
        unlink_holder(stored->second.name, HolderRef{peer_id, file_id});
        peer.files.erase(stored);
        ++removed;
    }
    file_count_ -= removed;
    return removed;
}

std::size_t Catalog::peer_file_count(std::uint32_t peer_id) const {
    auto peer_it = peers_.find(peer_id);
    return peer_it == peers_.end() ? 0 : peer_it->second.files.size();
}

Catalog::NameMap::iterator Catalog::link_holder(const CatalogFile& file, HolderRef ref) {
    auto [name, created] = names_.try_emplace(NameKey{file.name, file.size, file.root});
    if (created) {
        index_name(*name);
        if (file.root)
            join_content(*name);
        else
            ++content_count_;
    }
    name->second.holders.insert(ref);
    return name;
}

void Catalog::unlink_holder(NameMap::iterator name, HolderRef ref) {
    name->second.holders.erase(ref);
    if (!name->second.holders.empty()) return;
    if (name->first.root)
        leave_content(*name);
    else
        --content_count_;
    unindex_name(name->second);
    names_.erase(name);
}

Catalog::NameSlot& Catalog::slot_of(const NameUse& name) {
    return name_chunks_[name.name_place.chunk].slots[name.name_place.slot];
}

const Catalog::NameSlot& Catalog::slot_of(const NameUse& name) const {
    return name_chunks_[name.name_place.chunk].slots[name.name_place.slot];
}

// A content's names are one run of contents_, so whether a name shares its
// content is a look at its neighbours.
void Catalog::join_content(NameEntry& name) {
    auto at = contents_.insert(&name).first;
    bool shares = false;
    auto mark = [&](ContentIndex::iterator other) {
        if (!(*other)->first.same_content(name.first)) return;
        slot_of((*other)->second).shares_content = true;
        shares = true;
    };
    if (at != contents_.begin()) mark(std::prev(at));
    if (std::next(at) != contents_.end()) mark(std::next(at));
    slot_of(name.second).shares_content = shares;
    if (!shares) ++content_count_;
}

void Catalog::leave_content(NameEntry& name) {
    auto after = contents_.erase(contents_.find(&name));
    if (!slot_of(name.second).shares_content) {
        --content_count_;
        return;
    }
    // The content's other names now lie on either side of where this one
    // was; one left alone is the content's only name again.
    auto settle = [&](ContentIndex::iterator other) {
        const NameKey& key = (*other)->first;
        if (!key.same_content(name.first)) return;
        bool alone =
            (other == contents_.begin() || !(*std::prev(other))->first.same_content(key)) &&
            (std::next(other) == contents_.end() || !(*std::next(other))->first.same_content(key));
        if (alone) slot_of((*other)->second).shares_content = false;
    };
    if (after != contents_.end()) settle(after);
    if (after != contents_.begin()) settle(std::prev(after));
}

std::pair<Catalog::ContentIndex::const_iterator, Catalog::ContentIndex::const_iterator>
Catalog::content_names(const NameEntry& name) const {
    ContentIndex::const_iterator first = contents_.find(&name);
    ContentIndex::const_iterator last = std::next(first);
    while (first != contents_.begin() && (*std::prev(first))->first.same_content(name.first))
        --first;
    while (last != contents_.end() && (*last)->first.same_content(name.first))
        ++last;
    return {first, last};
}

void Catalog::index_name(NameEntry& entry) {
    const std::string& name = entry.first.name;
    if (name_chunks_.empty()) {
        name_chunks_.emplace_back().text.reserve(name_chunk_bytes);
        open_name_chunk_ = 0;
    }
    if (name_chunks_[open_name_chunk_].text.size() + name.size() + 1 > name_chunk_bytes) {
        if (!empty_name_chunks_.empty()) {
            open_name_chunk_ = empty_name_chunks_.back();
            empty_name_chunks_.pop_back();
        } else {
            open_name_chunk_ = static_cast<std::uint32_t>(name_chunks_.size());
            name_chunks_.emplace_back();
        }
        name_chunks_[open_name_chunk_].text.reserve(name_chunk_bytes);
    }
    NameChunk& chunk = name_chunks_[open_name_chunk_];
    NameSlot slot;
    slot.offset = static_cast<std::uint32_t>(chunk.text.size());
    slot.length = static_cast<std::uint16_t>(name.size());
    slot.live = true;
    slot.name = &entry;
    for (char c : name)
        chunk.text += fold_ascii(c);
    // Names never hold NUL (file_name_problem), so it cannot be part of a match.
    chunk.text += '\0';
    entry.second.name_place = {open_name_chunk_, static_cast<std::uint32_t>(chunk.slots.size())};
    chunk.slots.push_back(slot);
    ++chunk.live_count;
}

void Catalog::unindex_name(const NameUse& name) {
    NamePlace place = name.name_place;
    NameChunk& chunk = name_chunks_[place.chunk];
    NameSlot& slot = chunk.slots[place.slot];
    slot.live = false;
    // The name is about to be erased: a pointer to it may not even be
    // copied, and the slot is copied whenever the vector grows.
    slot.name = nullptr;
    --chunk.live_count;
    chunk.dead_bytes += slot.length + 1u;
    if (chunk.live_count == 0) {
        // Keeps its capacity: the next full open chunk is replaced by this one.
        chunk.text.clear();
        chunk.slots.clear();
        chunk.dead_bytes = 0;
        if (place.chunk != open_name_chunk_) empty_name_chunks_.push_back(place.chunk);
    } else if (chunk.dead_bytes * 2 > chunk.text.size()) {
        compact_chunk(chunk);
        // Only the open chunk takes new names; another one need not keep room.
        if (place.chunk != open_name_chunk_ && chunk.text.capacity() > 2 * chunk.text.size()) {
            chunk.text.shrink_to_fit();
            chunk.slots.shrink_to_fit();
        }
    }
}

void Catalog::compact_chunk(NameChunk& chunk) {
    // Live names only move towards the front, so copying in place is safe.
    std::size_t write = 0;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < chunk.slots.size(); ++i) {
        NameSlot slot = chunk.slots[i];
        if (!slot.live) continue;
        auto from = chunk.text.begin() + slot.offset;
        std::copy(from, from + slot.length + 1,
                  chunk.text.begin() + static_cast<std::ptrdiff_t>(write));
        slot.offset = static_cast<std::uint32_t>(write);
        write += slot.length + 1u;
        slot.name->second.name_place.slot = static_cast<std::uint32_t>(kept);
        chunk.slots[kept++] = slot;
    }
    chunk.text.resize(write);
    chunk.slots.erase(chunk.slots.begin() + static_cast<std::ptrdiff_t>(kept), chunk.slots.end());
    chunk.dead_bytes = 0;
}

template <typename OnMatch>
void Catalog::for_each_word_match(const std::vector<std::string>& words, OnMatch&& on_match) const {
    // The longest word is the likeliest to be rare: memmem finds it, and only
    // the names it lands in are checked for the others.
    const std::string& anchor =
        *std::max_element(words.begin(), words.end(),
                          [](const auto& a, const auto& b) { return a.size() < b.size(); });
    for (const auto& chunk : name_chunks_) {
        if (chunk.live_count == 0) continue;
        const char* base = chunk.text.data();
        std::size_t pos = 0;
        std::size_t first_slot = 0;
        while (pos < chunk.text.size()) {
            const void* found =
                ::memmem(base + pos, chunk.text.size() - pos, anchor.data(), anchor.size());
            if (found == nullptr) break;
            auto at = static_cast<std::size_t>(static_cast<const char*>(found) - base);
            // The match holds no NUL, so it lies inside one name: the last
            // slot starting at or before it. When most names match it is
            // the very next one, so look there before searching.
            std::size_t index = first_slot;
            if (index + 1 < chunk.slots.size() && chunk.slots[index + 1].offset <= at) {
                auto after = std::upper_bound(
                    chunk.slots.begin() + static_cast<std::ptrdiff_t>(index + 1), chunk.slots.end(),
                    at, [](std::size_t offset, const NameSlot& s) { return offset < s.offset; });
                index = static_cast<std::size_t>(after - chunk.slots.begin()) - 1;
            }
            const NameSlot& slot = chunk.slots[index];
            pos = slot.offset + slot.length + 1u;
            first_slot = index + 1;
            if (!slot.live) continue;
            std::string_view name(base + slot.offset, slot.length);
            bool all = std::all_of(words.begin(), words.end(), [&](const std::string& word) {
                return &word == &anchor || name.find(word) != std::string_view::npos;
            });
            if (all) on_match(slot);
        }
    }
}

CatalogHit Catalog::make_hit(const NameEntry& name) const {
    CatalogHit hit;
    hit.name = name.first.name;
    hit.size = name.first.size;
    hit.root = name.first.root;
    auto list = [&](const HolderRef& ref, const std::string& holder_name) {
        // Every holder's peer is present: remove_peer unlinks its files first.
        const PeerInfo& info = peers_.at(ref.peer_id).info;
        hit.holders.push_back(CatalogHolder{ref.peer_id, info.name, info.address, info.upload_port,
                                            ref.file_id, holder_name});
    };
    // No more than a SEARCH_RESULT lists: copying the rest would be waste.
    if (!slot_of(name.second).shares_content) {
        const auto& holders = name.second.holders;
        hit.holder_total = holders.size();
        hit.holders.reserve(
            std::min<std::size_t>(holders.size(), protocol::max_holders_per_result));
        for (const auto& ref : holders) {
            if (hit.holders.size() == protocol::max_holders_per_result) break;
            list(ref, name.first.name);
        }
        return hit;
    }

    // Each name keeps its holders in order: merge them, taking only the
    // first max_holders_per_result, through a heap whose front is the
    // cursor at the smallest holder left.
    struct Cursor {
        std::set<HolderRef>::const_iterator at, end;
        const std::string* name;
    };
    auto later = [](const Cursor& a, const Cursor& b) { return *b.at < *a.at; };
    std::vector<Cursor> cursors;
    auto [first, last] = content_names(name);
    for (auto it = first; it != last; ++it) {
        const auto& holders = (*it)->second.holders;
        hit.holder_total += holders.size();
        cursors.push_back(Cursor{holders.begin(), holders.end(), &(*it)->first.name});
    }
    std::make_heap(cursors.begin(), cursors.end(), later);
    hit.holders.reserve(std::min<std::size_t>(hit.holder_total, protocol::max_holders_per_result));
    while (!cursors.empty() && hit.holders.size() < protocol::max_holders_per_result) {
        std::pop_heap(cursors.begin(), cursors.end(), later);
        Cursor& next = cursors.back();
        list(*next.at, *next.name);
        if (++next.at == next.end)
            cursors.pop_back();
        else
            std::push_heap(cursors.begin(), cursors.end(), later);
    }
    return hit;
}

CatalogAnswer Catalog::search(const CatalogQuery& query) const {
    std::size_t limit = limits_.max_results;
    if (query.max_hits != 0) limit = std::min(limit, query.max_hits);

    // The first `limit` hits in hit order, found in one pass over names
    // stored in no particular order: a max-heap whose front is the last one
    // kept. Hits past the limit are only counted. Each hit is offered once,
    // by the name it goes by, whose key is the hit's order.
    auto key_less = [](const NameEntry* a, const NameEntry* b) { return a->first < b->first; };
    std::vector<const NameEntry*> kept;
    kept.reserve(std::min(limit, content_count_));
    std::size_t total = 0;
    auto offer = [&](const NameEntry* name) {
        ++total;
        if (kept.size() < limit) {
            kept.push_back(name);
            std::push_heap(kept.begin(), kept.end(), key_less);
        } else if (!kept.empty() && key_less(name, kept.front())) {
            std::pop_heap(kept.begin(), kept.end(), key_less);
            kept.back() = name;
            std::push_heap(kept.begin(), kept.end(), key_less);
        }
    };

    if (query.root) {
        // Normally one content: a root fixes the size, unless a peer lied
        // about one. The first name of each is its smallest.
        auto [first, last] = contents_.equal_range(*query.root);
        for (auto it = first; it != last; ++it)
            if (it == first || !(*std::prev(it))->first.same_content((*it)->first)) offer(*it);
    } else if (query.exact) {
        // (name, 0, none) sorts before every other key with that name, and
        // each key with it is another content.
        for (auto it = names_.lower_bound(NameKey{query.text, 0, std::nullopt});
             it != names_.end() && it->first.name == query.text; ++it)
            offer(&*it);
    } else {
        auto words = split_words(ascii_lower(query.text));
        // No name holds NUL, so a word with one matches nothing; let through,
        // it could match across the NUL separators of the packed names.
        bool has_nul = std::any_of(words.begin(), words.end(), [](const std::string& w) {
            return w.find('\0') != std::string::npos;
        });
        // A content with several names goes by the smallest that matched,
        // known only once every name has been seen: sorted as contents_
        // is, its matches are a run with that one first. Sorting, not
        // hashing: roots are what peers say, so they can be made to collide.
        std::vector<const NameEntry*> shared;
        auto on_match = [&](const NameSlot& slot) {
            if (slot.shares_content)
                shared.push_back(slot.name);
            else
                offer(slot.name);
        };
        if (!words.empty() && !has_nul) for_each_word_match(words, on_match);
        std::sort(shared.begin(), shared.end(), ContentOrder{});
        for (std::size_t i = 0; i < shared.size(); ++i)
            if (i == 0 || !shared[i - 1]->first.same_content(shared[i]->first)) offer(shared[i]);
    }
    std::sort_heap(kept.begin(), kept.end(), key_less);

    CatalogAnswer answer;
    answer.hits.reserve(kept.size());
    for (const NameEntry* name : kept)
        answer.hits.push_back(make_hit(*name));
    answer.total_matches = total;
    return answer;
}

} // namespace napster
