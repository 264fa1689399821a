// SPDX-License-Identifier: MIT
#pragma once

// The catalog's search structure: every distinct word of every name, and
// for each word the names that hold it (its postings).
//
// A word is a maximal run of bytes that are not ASCII white space, with
// ASCII letters lowered: exactly how a query is split. So a query word,
// which holds no white space either, occurs in a name if and only if it
// occurs inside one of the name's words, and the names matching it are the
// union of the postings of every word that contains it. Finding those
// words is a memmem over the distinct words alone (packed, NUL-separated),
// which are far fewer than the names: a music catalog of ten million names
// has a vocabulary of thousands to a few million words. No name is ever
// scanned, and a name costs one posting (4 bytes) per distinct word.
//
// Postings are in the order names were added and are never edited in
// place: a name that goes is only marked dead by its owner (the catalog),
// which skips it while reading and later sweeps the dead ids out word by
// word, so removing a name costs nothing here and no removal ever waits on
// a long list. A word whose postings empty in a sweep is dropped. Pure, one
// thread.

#include "catalog/id_table.h"
#include "catalog/posting_list.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace napster {

class WordIndex {
public:
    using WordId = std::uint32_t;

    // Calls on_word once for each distinct word of `name`, folded; `buffer`
    // holds the folded name meanwhile.
    template <typename OnWord>
    static void for_each_word(std::string_view name, std::string& buffer, OnWord&& on_word);

    // Appends `entry` to the postings of `word` (folded, 1-255 bytes, no
    // white space, no NUL), which is created if new. False, changing
    // nothing, only when word ids run out.
    bool add_posting(std::string_view word, std::uint32_t entry);

    // Calls on_word for every live word that contains `part` (folded,
    // non-empty, no NUL), each once: those whose text starts at or past
    // `from` in the packed text (0: all).
    template <typename OnWord>
    void for_each_word_containing(std::string_view part, OnWord&& on_word, std::size_t from = 0) const;

    // The same words as a list, from a small cache of the query words
    // asked for last: a popular word is searched again and again, and the
    // scan of the vocabulary was a tenth of such a search. Valid until the
    // next call or change.
    const std::vector<WordId>& words_containing(std::string_view part) const;

    const PostingList& postings(WordId word) const { return words_[word].postings; }
    std::string_view text(WordId word) const {
        return {text_.data() + words_[word].offset, words_[word].length};
    }

    // Sweeping: word ids run 0..word_capacity(); sweep_word drops from one
    // word's postings every entry for which is_dead(entry) holds, drops the
    // word itself when none is left, and returns how many postings it
    // read. A word added meanwhile may take any id, below the sweep's
    // cursor too; it holds only entries added since, which need no sweep.
    std::size_t word_capacity() const { return words_.size(); }
    template <typename IsDead> std::size_t sweep_word(WordId word, IsDead&& is_dead);
    // After a sweep: repacks the words' text once dropped words fill half.
    void repack_if_sparse();

    // The word table's move after growing (IdTable::settle).
    bool settling() const { return table_.settling(); }
    std::size_t settle(std::size_t budget) { return table_.settle(budget); }

    std::size_t word_count() const { return table_.size(); }
    std::size_t posting_count() const { return posting_count_; }
    std::size_t memory_bytes() const;

private:
    static constexpr std::uint32_t no_word = 0xffffffff;
    struct Word {
        PostingList postings;
        std::uint32_t offset = 0; // of its text in text_
        std::uint8_t length = 0;
        bool live = false;
    };
    // Where each word's text starts in text_, ascending, to map a memmem hit
    // back to its word.
    struct TextSlot {
        std::uint32_t offset;
        WordId word; // no_word once dropped
    };

    static std::uint32_t hash(std::string_view word);
    void drop_word(WordId word);

    // A cached answer of words_containing holds while words are only
    // added: the words added since are scanned from text_end on. A word
    // dropped (its id may be taken again) or a repack clears every one.
    struct Containing {
        std::string part;
        std::vector<WordId> words;
        std::size_t text_end = 0;
        std::uint64_t changes = 0; // drops_and_repacks_ when made
        std::uint64_t used = 0;    // for eviction, least recently used
        bool valid = false;
    };
    static constexpr std::size_t containing_entries = 16;
    // Bounds the cache: 16 x 4096 ids. A part inside more words (a
    // letter) is scanned each time; its search is costly anyway.
    static constexpr std::size_t max_cached_words = 4096;
    mutable std::vector<Containing> containing_;
    mutable std::vector<WordId> containing_scratch_;
    mutable std::uint64_t containing_clock_ = 0;
    std::uint64_t drops_and_repacks_ = 0;

    std::vector<Word> words_;
    std::vector<WordId> free_words_;
    IdTable table_;                // word text -> id
    std::string text_;             // every word's text, each followed by NUL
    std::vector<TextSlot> slots_;
    std::size_t dropped_bytes_ = 0; // text_ bytes of dropped words
    std::size_t posting_count_ = 0;
};

inline bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

inline char fold_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

template <typename OnWord>
void WordIndex::for_each_word(std::string_view name, std::string& buffer, OnWord&& on_word) {
    buffer.resize(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) buffer[i] = fold_ascii(name[i]);
    std::string_view folded(buffer);
    // Names have few words (at most 128 in 255 bytes): the earlier ones are
    // compared directly to tell a repeat.
    std::string_view seen[128];
    std::size_t seen_count = 0;
    std::size_t i = 0;
    while (i < folded.size()) {
        while (i < folded.size() && is_ascii_space(folded[i])) ++i;
        std::size_t start = i;
        while (i < folded.size() && !is_ascii_space(folded[i])) ++i;
        if (i == start) break;
        std::string_view word = folded.substr(start, i - start);
        bool repeat = false;
        for (std::size_t k = 0; k < seen_count && !repeat; ++k) repeat = seen[k] == word;
        if (repeat) continue;
        if (seen_count < std::size(seen)) seen[seen_count++] = word;
        on_word(word);
    }
}

template <typename OnWord>
void WordIndex::for_each_word_containing(std::string_view part, OnWord&& on_word, std::size_t from) const {
    // memmem over windows of the text, not all of it at once: each call
    // then costs what it reads up to its hit (a sanitizer's memmem checks
    // the whole range it is given, which made a million hits quadratic).
    constexpr std::size_t window = 64 * 1024;
    std::size_t pos = from;
    // Hits come in text order. `from` is a word's start (or the end), so
    // no hit before the first slot at or past it.
    auto first = std::lower_bound(slots_.begin(), slots_.end(), from,
                                  [](const TextSlot& s, std::size_t offset) { return s.offset < offset; });
    while (pos + part.size() <= text_.size()) {
        std::size_t end = std::min(text_.size(), pos + window);
        const void* found = ::memmem(text_.data() + pos, end - pos, part.data(), part.size());
        if (found == nullptr) {
            if (end == text_.size()) return;
            // A hit may straddle the window's end: the next starts just
            // before it.
            pos = std::max(pos + 1, end - (part.size() - 1));
            continue;
        }
        auto at = static_cast<std::uint32_t>(static_cast<const char*>(found) - text_.data());
        // A hit holds no NUL, so it lies inside one word: the last starting
        // at or before it.
        auto after = std::upper_bound(first, slots_.end(), at,
                                      [](std::uint32_t offset, const TextSlot& s) { return offset < s.offset; });
        const TextSlot& slot = *std::prev(after);
        if (slot.word != no_word) on_word(slot.word);
        pos = after == slots_.end() ? text_.size() : after->offset;
        first = after;
    }
}

template <typename IsDead> std::size_t WordIndex::sweep_word(WordId word, IsDead&& is_dead) {
    Word& w = words_[word];
    if (!w.live) return 0;
    std::size_t read = w.postings.size();
    w.postings.erase_if(is_dead);
    posting_count_ -= read - w.postings.size();
    if (w.postings.empty()) drop_word(word);
    return read;
}

} // namespace napster
