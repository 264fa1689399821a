// SPDX-License-Identifier: MIT
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace napster {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
// Rejects overlong forms, surrogates and code points above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) return 1;
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < len; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    return len;
}

} // namespace

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = utf8_sequence_length(s, i);
        // C1 controls (U+0080..U+009F) are escaped too: terminals obey them.
        bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
        if (n == 0 || c1 || c < 0x20 || c == 0x7F || c == '\\') {
            std::size_t count = (n == 0) ? 1 : n;
            for (std::size_t k = 0; k < count; ++k)
                out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i + k]));
            i += count;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string json_quote(std::string_view s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD"; // U+FFFD
            ++i;
            continue;
        }
        if (n > 1) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7F)
                out += fmt::format("\\u{:04x}", c);
            else
                out += static_cast<char>(c);
        }
        ++i;
    }
    out += '"';
    return out;
}

std::string hex_encode(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0xF];
    }
    return out;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> words;
    std::size_t i = 0;
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    while (i < s.size()) {
        while (i < s.size() && space(s[i])) ++i;
        std::size_t start = i;
        while (i < s.size() && !space(s[i])) ++i;
        if (i > start) words.emplace_back(s.substr(start, i - start));
    }
    return words;
}

std::string count_of(unsigned long long n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", group_thousands(n), n == 1 ? one : many);
}

std::string group_thousands(unsigned long long n) {
    std::string digits = fmt::format("{}", n);
    std::string out;
    int count = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (count > 0 && count % 3 == 0) out += ',';
        out += *it;
        ++count;
    }
    return {out.rbegin(), out.rend()};
}

} // namespace napster

namespace napster {

namespace {

// Edits (insert, delete, replace, swap two neighbours) from a to b, ASCII
// case ignored; anything past `limit` is limit + 1. Words longer than any
// command or option are not compared.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
    constexpr std::size_t longest = 64;
    if (a.size() > longest || b.size() > longest) return limit + 1;
    if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            bool same = lower(a[i - 1]) == lower(b[j - 1]);
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same ? 0 : 1)});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return std::min(d[a.size()][b.size()], limit + 1);
}

} // namespace

std::optional<std::string_view> closest_choice(std::string_view word, std::span<const std::string_view> choices) {
    std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
    std::optional<std::string_view> best;
    std::size_t best_distance = limit + 1;
    bool tie = false;
    for (std::string_view choice : choices) {
        std::size_t d = edit_distance(word, choice, limit);
        if (d < best_distance) {
            best = choice;
            best_distance = d;
            tie = false;
        } else if (d == best_distance && d <= limit) {
            tie = true;
        }
    }
    if (!best || tie) return std::nullopt;
    return best;
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> choices) {
    auto choice = closest_choice(word, choices);
    if (!choice) return {};
    return fmt::format("; did you mean \"{}\"?", *choice);
}

namespace {

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// Negative, 0 or positive as a sorts before, with or after b naturally.
int natural_compare(std::string_view a, std::string_view b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (is_ascii_digit(a[i]) && is_ascii_digit(b[j])) {
            // Leading zeros carry no value; then the longer run is the
            // larger number, and runs of one length compare digit by digit.
            while (i < a.size() && a[i] == '0') ++i;
            while (j < b.size() && b[j] == '0') ++j;
            std::size_t a_end = i, b_end = j;
            while (a_end < a.size() && is_ascii_digit(a[a_end])) ++a_end;
            while (b_end < b.size() && is_ascii_digit(b[b_end])) ++b_end;
            if (a_end - i != b_end - j) return a_end - i < b_end - j ? -1 : 1;
            if (int c = a.substr(i, a_end - i).compare(b.substr(j, b_end - j)); c != 0) return c;
            i = a_end;
            j = b_end;
            continue;
        }
        auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[j]);
        if (x != y) return x < y ? -1 : 1;
        ++i;
        ++j;
    }
    if (i < a.size()) return 1;
    if (j < b.size()) return -1;
    return 0;
}

} // namespace

bool natural_less(std::string_view a, std::string_view b) {
    if (int c = natural_compare(a, b); c != 0) return c < 0;
    return a < b;
}

} // namespace napster
