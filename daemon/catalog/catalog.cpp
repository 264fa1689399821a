// SPDX-License-Identifier: MIT
#include "catalog/catalog.h"

#include "protocol/name_rules.h"
#include "protocol/protocol.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string_view>
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

void Catalog::add_peer(PeerInfo info) {
    std::uint32_t id = info.id;
    peers_[id].info = std::move(info);
}

std::size_t Catalog::remove_peer(std::uint32_t peer_id) {
    auto peer_it = peers_.find(peer_id);
    if (peer_it == peers_.end()) return 0;
    PeerState& peer = peer_it->second;
    for (const auto& [file_id, stored] : peer.files)
        unlink_holder(stored.group, HolderRef{peer_id, file_id});
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
        if (peer.files.count(file.file_id) != 0)
            ++outcome.replaced;
        else
            ++outcome.added;
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
        const GroupKey& old_key = stored->second.group->first;
        if (old_key.size == file.size && old_key.name == file.name) continue;
        // Link first: should it throw, the file still points at its old group.
        auto group = link_holder(file, ref);
        unlink_holder(stored->second.group, ref);
        stored->second.group = group;
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
        unlink_holder(stored->second.group, HolderRef{peer_id, file_id});
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

Catalog::GroupMap::iterator Catalog::link_holder(const CatalogFile& file, HolderRef ref) {
    auto [group, created] = groups_.try_emplace(GroupKey{file.name, file.size});
    if (created) index_name(group);
    group->second.holders.insert(ref);
    return group;
}

void Catalog::unlink_holder(GroupMap::iterator group, HolderRef ref) {
    group->second.holders.erase(ref);
    if (!group->second.holders.empty()) return;
    unindex_name(group->second);
    groups_.erase(group);
}

void Catalog::index_name(GroupMap::iterator group) {
    const std::string& name = group->first.name;
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
    slot.group = group;
    for (char c : name)
        chunk.text += fold_ascii(c);
    // Names never hold NUL (file_name_problem), so it cannot be part of a match.
    chunk.text += '\0';
    group->second.name_place = {open_name_chunk_, static_cast<std::uint32_t>(chunk.slots.size())};
    chunk.slots.push_back(slot);
    ++chunk.live_count;
}

void Catalog::unindex_name(const Group& group) {
    NamePlace place = group.name_place;
    NameChunk& chunk = name_chunks_[place.chunk];
    NameSlot& slot = chunk.slots[place.slot];
    slot.live = false;
    // The group is about to be erased: an iterator to it may not even be
    // copied, and the slot is copied whenever the vector grows.
    slot.group = GroupMap::iterator{};
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
        slot.group->second.name_place.slot = static_cast<std::uint32_t>(kept);
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
            if (all) on_match(GroupMap::const_iterator(slot.group));
        }
    }
}

CatalogHit Catalog::make_hit(const GroupKey& key, const Group& group) const {
    CatalogHit hit;
    hit.name = key.name;
    hit.size = key.size;
    hit.holder_total = group.holders.size();
    // No more than a SEARCH_RESULT lists: copying the rest would be waste.
    hit.holders.reserve(
        std::min<std::size_t>(group.holders.size(), protocol::max_holders_per_result));
    for (const auto& ref : group.holders) {
        if (hit.holders.size() == protocol::max_holders_per_result) break;
        // Every holder's peer is present: remove_peer unlinks its files first.
        const PeerInfo& info = peers_.at(ref.peer_id).info;
        hit.holders.push_back(
            CatalogHolder{ref.peer_id, info.name, info.address, info.upload_port, ref.file_id, key.name});
    }
    return hit;
}

CatalogAnswer Catalog::search(const CatalogQuery& query) const {
    std::size_t limit = limits_.max_results;
    if (query.max_hits != 0) limit = std::min(limit, query.max_hits);

    // The first `limit` matches in (name, size) order, found in one pass
    // over names stored in no particular order: a max-heap whose front is
    // the last one kept. Matches past the limit are only counted.
    auto key_less = [](GroupMap::const_iterator a, GroupMap::const_iterator b) {
        return a->first < b->first;
    };
    std::vector<GroupMap::const_iterator> kept;
    kept.reserve(std::min(limit, groups_.size()));
    std::size_t total = 0;
    auto offer = [&](GroupMap::const_iterator group) {
        ++total;
        if (kept.size() < limit) {
            kept.push_back(group);
            std::push_heap(kept.begin(), kept.end(), key_less);
        } else if (!kept.empty() && key_less(group, kept.front())) {
            std::pop_heap(kept.begin(), kept.end(), key_less);
            kept.back() = group;
            std::push_heap(kept.begin(), kept.end(), key_less);
        }
    };

    if (query.exact) {
        // (name, 0) sorts before every size of that name.
        for (auto it = groups_.lower_bound(GroupKey{query.text, 0});
             it != groups_.end() && it->first.name == query.text; ++it)
            offer(it);
    } else {
        auto words = split_words(ascii_lower(query.text));
        // No name holds NUL, so a word with one matches nothing; let through,
        // it could match across the NUL separators of the packed names.
        bool has_nul = std::any_of(words.begin(), words.end(), [](const std::string& w) {
            return w.find('\0') != std::string::npos;
        });
        if (!words.empty() && !has_nul) for_each_word_match(words, offer);
    }
    std::sort_heap(kept.begin(), kept.end(), key_less);

    CatalogAnswer answer;
    answer.hits.reserve(kept.size());
    for (auto group : kept)
        answer.hits.push_back(make_hit(group->first, group->second));
    answer.total_matches = total;
    return answer;
}

} // namespace napster
