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
}

std::size_t WordIndex::memory_bytes() const {
    std::size_t total = words_.capacity() * sizeof(Word) + free_words_.capacity() * sizeof(WordId) +
                        table_.memory_bytes() + text_.capacity() + slots_.capacity() * sizeof(TextSlot);
    for (const Word& w : words_) total += w.postings.heap_bytes();
    return total;
}

} // namespace napster
