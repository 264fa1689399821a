// SPDX-License-Identifier: MIT
#pragma once

// What napctl's JSON tests share: a reference UTF-8 decoder written from
// RFC 3629 (independently of util/text.cpp) and a small strict JSON parser
// (RFC 8259, UTF-8 only), so that documents are checked by a parser rather
// than by eye.

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace napster::json_test {

// ---------------------------------------------------------------- reference UTF-8

// Length of the valid UTF-8 sequence at s[i], or 0. Written from RFC 3629's
// table, independently of util/text.cpp.
inline std::size_t reference_sequence_length(std::string_view s, std::size_t i) {
    auto at = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
    unsigned c = at(i);
    if (c <= 0x7F) return 1;
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || i + len > s.size()) return 0;
    std::uint32_t cp = c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
        if ((at(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (at(i + k) & 0x3F);
    }
    static constexpr std::uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[len]) return 0;       // overlong
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;   // surrogate
    if (cp > 0x10FFFF) return 0;
    return len;
}

inline bool reference_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = reference_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// What the JSON string should decode to: each byte outside a valid sequence
// becomes U+FFFD.
inline std::string reference_replaced(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t n = reference_sequence_length(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

inline std::string reference_hex(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        out += "0123456789abcdef"[c / 16];
        out += "0123456789abcdef"[c % 16];
    }
    return out;
}

// ---------------------------------------------------------------- strict JSON parser

struct Json {
    // Declared here, defined below: a std::pair<std::string, Json> member
    // needs Json complete, which clang (rightly) refuses inside Json itself.
    struct Member;

    enum class Type { null, boolean, number, string, array, object };
    Type type = Type::null;
    bool boolean = false;
    std::string text; // a number's literal, or a string's decoded UTF-8
    std::vector<Json> items;
    std::vector<Member> members; // in document order

    const Json* find(std::string_view key) const;
    const Json& at(std::string_view key) const;
    std::vector<std::string> keys() const;
};

struct Json::Member {
    std::string name;
    Json value;
};

inline const Json* Json::find(std::string_view key) const {
    for (const auto& member : members)
        if (member.name == key) return &member.value;
    return nullptr;
}

inline const Json& Json::at(std::string_view key) const {
    const Json* value = find(key);
    REQUIRE_MESSAGE(value != nullptr, "missing key ", std::string(key));
    return *value;
}

inline std::vector<std::string> Json::keys() const {
    std::vector<std::string> out;
    for (const auto& member : members) out.push_back(member.name);
    return out;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Rejects anything RFC 8259 does not allow: raw control characters or
// invalid UTF-8 in strings, bad escapes, lone surrogates, leading zeros,
// duplicate keys, trailing data. It also rejects white space outside
// strings, because napctl's documents are compact.
class JsonParser {
public:
    explicit JsonParser(std::string_view text) : s_(text) {}

    std::optional<Json> document() {
        Json value;
        if (!parse_value(value, 0) || pos_ != s_.size()) return std::nullopt;
        return value;
    }
    std::size_t position() const { return pos_; }

private:
    bool eat(char c) {
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    bool parse_value(Json& out, int depth) {
        if (depth > 64 || pos_ >= s_.size()) return false;
        char c = s_[pos_];
        if (c == '{') return parse_object(out, depth);
        if (c == '[') return parse_array(out, depth);
        if (c == '"') {
            out.type = Json::Type::string;
            return parse_string(out.text);
        }
        if (literal("true")) {
            out.type = Json::Type::boolean;
            out.boolean = true;
            return true;
        }
        if (literal("false")) {
            out.type = Json::Type::boolean;
            return true;
        }
        if (literal("null")) return true;
        return parse_number(out);
    }

    bool parse_object(Json& out, int depth) {
        out.type = Json::Type::object;
        ++pos_;
        if (eat('}')) return true;
        for (;;) {
            std::string key;
            if (pos_ >= s_.size() || s_[pos_] != '"' || !parse_string(key)) return false;
            if (out.find(key)) return false; // duplicate key
            if (!eat(':')) return false;
            Json value;
            if (!parse_value(value, depth + 1)) return false;
            out.members.push_back({std::move(key), std::move(value)});
            if (eat('}')) return true;
            if (!eat(',')) return false;
        }
    }

    bool parse_array(Json& out, int depth) {
        out.type = Json::Type::array;
        ++pos_;
        if (eat(']')) return true;
        for (;;) {
            Json value;
            if (!parse_value(value, depth + 1)) return false;
            out.items.push_back(std::move(value));
            if (eat(']')) return true;
            if (!eat(',')) return false;
        }
    }

    bool hex4(std::uint32_t& value) {
        if (pos_ + 4 > s_.size()) return false;
        value = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s_[pos_++];
            value <<= 4;
            if (c >= '0' && c <= '9') value |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f') value |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') value |= static_cast<std::uint32_t>(c - 'A' + 10);
            else return false;
        }
        return true;
    }

    bool parse_string(std::string& out) {
        ++pos_; // the opening quote
        for (;;) {
            if (pos_ >= s_.size()) return false;
            auto c = static_cast<unsigned char>(s_[pos_]);
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c < 0x20) return false;
            if (c != '\\') {
                std::size_t n = reference_sequence_length(s_, pos_);
                if (n == 0) return false;
                out.append(s_.substr(pos_, n));
                pos_ += n;
                continue;
            }
            ++pos_;
            if (pos_ >= s_.size()) return false;
            char e = s_[pos_++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                std::uint32_t cp = 0;
                if (!hex4(cp)) return false;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return false; // lone low surrogate
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    std::uint32_t low = 0;
                    if (!literal("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                append_utf8(out, cp);
                break;
            }
            default: return false;
            }
        }
    }

    bool parse_number(Json& out) {
        std::size_t start = pos_;
        auto digit = [&] { return pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9'; };
        eat('-');
        if (eat('0')) {
            if (digit()) return false; // leading zero
        } else {
            if (!digit()) return false;
            while (digit()) ++pos_;
        }
        if (eat('.')) {
            if (!digit()) return false;
            while (digit()) ++pos_;
        }
        if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            ++pos_;
            if (!eat('+')) eat('-');
            if (!digit()) return false;
            while (digit()) ++pos_;
        }
        out.type = Json::Type::number;
        out.text = std::string(s_.substr(start, pos_ - start));
        return true;
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

// The writer's output must be one JSON document and then exactly one newline.
inline Json parse_document(const std::string& written) {
    REQUIRE_FALSE(written.empty());
    REQUIRE(written.back() == '\n');
    std::string_view body(written.data(), written.size() - 1);
    REQUIRE(body.find('\n') == std::string_view::npos);
    JsonParser parser(body);
    auto document = parser.document();
    INFO("document: ", written, " stopped at byte ", parser.position());
    REQUIRE(document.has_value());
    return std::move(*document);
}

inline bool is_json(std::string_view text) { return JsonParser(text).document().has_value(); }

} // namespace napster::json_test
