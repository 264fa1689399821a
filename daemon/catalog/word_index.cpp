// SPDX-License-Identifier: MIT
#include "catalog/word_index.h"

#include <functional>

namespace napster {

std::uint32_t WordIndex::hash(std::string_view word) {
    std::size_t h = std::hash<std::string_view>{}(word);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
}

bool WordIndex::add_posting(std::string_view word, std::uint32_t entry) {
    std::uint32_t h = hash(word);
    auto found = table_.find(h, [&](WordId id) { return text(id) == word; });
    WordId id;
    if (found) {
        id = *found;
    } else {
        if (text_.size() + word.size() + 1 > 0xffffffffu) return false;
        if (!free_words_.empty()) {
            id = free_words_.back();
            free_words_.pop_back();
        } else {
            if (words_.size() == no_word) return false;
            id = static_cast<WordId>(words_.size());
            words_.emplace_back();
        }
        Word& w = words_[id];
        w.offset = static_cast<std::uint32_t>(text_.size());
        w.length = static_cast<std::uint8_t>(word.size());
        w.live = true;
        text_.append(word);
        text_.push_back('\0');
        slots_.push_back(TextSlot{w.offset, id});
        table_.insert(h, id);
    }
    words_[id].postings.push_back(entry);
    ++posting_count_;
    return true;
}

void WordIndex::drop_word(WordId word) {
    Word& w = words_[word];
    table_.erase(hash(text(word)), word);
    auto slot = std::lower_bound(slots_.begin(), slots_.end(), w.offset,
                                 [](const TextSlot& s, std::uint32_t offset) { return s.offset < offset; });
    slot->word = no_word;
    ++drops_and_repacks_;
    dropped_bytes_ += w.length + 1u;
    w.postings = PostingList{};
    w.live = false;
    free_words_.push_back(word);
}

void WordIndex::repack_if_sparse() {
    if (dropped_bytes_ * 2 <= text_.size()) return;
    std::string text;
    text.reserve(text_.size() - dropped_bytes_);
    std::vector<TextSlot> slots;
    slots.reserve(table_.size());
    for (const TextSlot& slot : slots_) {
        if (slot.word == no_word) continue;
        Word& w = words_[slot.word];
        auto offset = static_cast<std::uint32_t>(text.size());
        text.append(text_, w.offset, w.length);
        text.push_back('\0');
        w.offset = offset;
        slots.push_back(TextSlot{offset, slot.word});
    }
    text_ = std::move(text);
    slots_ = std::move(slots);
    dropped_bytes_ = 0;
    ++drops_and_repacks_;
}

const std::vector<WordIndex::WordId>& WordIndex::words_containing(std::string_view part) const {
    if (containing_.empty()) containing_.resize(containing_entries);
    ++containing_clock_;
    Containing* oldest = &containing_.front();
    for (Containing& c : containing_) {
        if (c.valid && c.part == part) {
            if (c.changes != drops_and_repacks_) {
                c.words.clear();
                c.text_end = 0;
                c.changes = drops_and_repacks_;
            }
            if (c.text_end < text_.size()) {
                for_each_word_containing(part, [&](WordId w) { c.words.push_back(w); }, c.text_end);
                c.text_end = text_.size();
            }
            c.used = containing_clock_;
            if (c.words.size() <= max_cached_words) return c.words;
            c.valid = false;
            containing_scratch_ = std::move(c.words);
            return containing_scratch_;
        }
        if (!c.valid || (oldest->valid && c.used < oldest->used)) oldest = &c;
    }
    containing_scratch_.clear();
    for_each_word_containing(part, [&](WordId w) { containing_scratch_.push_back(w); });
    if (containing_scratch_.size() > max_cached_words) return containing_scratch_;
    Containing& c = *oldest;
    c.part.assign(part);
    c.words.assign(containing_scratch_.begin(), containing_scratch_.end());
    c.text_end = text_.size();
    c.changes = drops_and_repacks_;
    c.used = containing_clock_;
    c.valid = true;
    return c.words;
}

std::size_t WordIndex::memory_bytes() const {
    std::size_t total = words_.capacity() * sizeof(Word) + free_words_.capacity() * sizeof(WordId) +
                        table_.memory_bytes() + text_.capacity() + slots_.capacity() * sizeof(TextSlot);
    for (const Word& w : words_) total += w.postings.heap_bytes();
    for (const Containing& c : containing_) total += sizeof(c) + c.part.capacity() + c.words.capacity() * sizeof(WordId);
    return total + containing_scratch_.capacity() * sizeof(WordId);
}

} // namespace napster
