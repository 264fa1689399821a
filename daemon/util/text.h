// SPDX-License-Identifier: MIT
#pragma once

// File names on Linux are bytes, not text. These helpers show them safely
// (logs, terminals, JSON) without ever changing the bytes that are stored or
// sent on the wire.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace napster {

bool is_valid_utf8(std::string_view s);

// For logs and terminals: valid UTF-8 printable text as is; control bytes,
// backslashes and bytes that are not valid UTF-8 as \xNN. Never emits a
// control character, so a hostile name cannot move the cursor or fake a line.
std::string printable(std::string_view s);

// A JSON string literal (with quotes). Invalid UTF-8 bytes become U+FFFD;
// callers that must keep the exact bytes also emit hex_encode() beside it.
std::string json_quote(std::string_view s);

std::string hex_encode(std::string_view bytes);

// ASCII-only case folding: other bytes (UTF-8 sequences included) are kept,
// so folding never breaks a multi-byte character.
std::string ascii_lower(std::string_view s);

// Splits on ASCII white space; empty words are dropped.
std::vector<std::string> split_words(std::string_view s);

// "12,408" style grouping for human output.
std::string group_thousands(unsigned long long n);

// "1 file", "12,408 files".
std::string count_of(unsigned long long n, std::string_view one, std::string_view many);

// Natural order for people: runs of ASCII digits compare by their value
// (song_2 before song_10), the rest byte by byte; names equal that way
// (song_02, song_2) fall back to plain byte order, so the order is total.
bool natural_less(std::string_view a, std::string_view b);

// For "did you mean": the choice nearest to `word` by edit distance (ASCII
// case ignored), if it is within a third of the word's length (at least
// one edit, at most three) and no other choice is as near; none otherwise.
std::optional<std::string_view> closest_choice(std::string_view word, std::span<const std::string_view> choices);
// "; did you mean \"status\"?" or "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> choices);

} // namespace napster
