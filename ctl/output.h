// SPDX-License-Identifier: MIT
#pragma once

// How napctl shows things: sizes, aligned tables for people, and JSON for
// scripts. Pure string building; the commands decide where it goes.

#include "content/sha256.h"
#include "ctl/failure.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace napster::ctl {

// "512 B", "1.2 KiB", "3.0 GiB": binary units, one decimal.
std::string human_size(std::uint64_t bytes);

// "3 d 4 h", "2 h 13 min", "5 min 3 s", "42 s".
std::string human_duration(std::uint64_t seconds);

// "127.0.0.1:6022" or "[::1]:6022".
std::string endpoint_text(std::string_view address, std::uint16_t port);

// Text shows a content root by its first 12 hex digits (48 bits): enough
// for a person to tell contents apart by eye. --json and --hash take all 64.
inline constexpr std::size_t root_prefix_digits = 12;

// "4f1c2a9e0b3d".
std::string root_prefix(const content::Digest& root);

// A table cell for a root that is not known until the file is hashed: its
// prefix, or "unhashed".
std::string root_cell(const std::optional<content::Digest>& root);

// Terminal columns of valid UTF-8 text, counting one per code point (what
// printable() produces; wide CJK characters are counted as one).
std::size_t display_width(std::string_view utf8);

// Cuts valid UTF-8 text to at most `width` columns, ending in "..." when cut.
std::string truncate_display(std::string_view utf8, std::size_t width);

// Columns separated by two spaces; cells must already be printable. The
// last column is not padded and empty cells at the end of a row are left
// out, so lines carry no trailing blanks.
class TextTable {
public:
    enum class Align { left, right };
    struct Column {
        std::string heading;
        Align align = Align::left;
    };

    enum class Heading { shown, hidden };

    explicit TextTable(std::vector<Column> columns);
    void add_row(std::vector<std::string> cells);
    // Every line starts with `indent`.
    std::string render(Heading heading = Heading::shown, std::string_view indent = {}) const;

private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;
};

// Builds one compact JSON document. Strings go in as raw bytes: a value that
// is not valid UTF-8 is written with U+FFFD in place of the bad bytes and
// gets a sibling key KEY_hex holding all its bytes in hex, so scripts can
// recover names exactly. Keys are ASCII chosen by napctl.
class JsonWriter {
public:
    void begin_object();
    void end_object();
    void begin_array();
    void end_array();

    // Inside an object: "key": followed by the next begin_*/value call.
    void key(std::string_view name);

    void string_field(std::string_view name, std::string_view bytes);
    void number_field(std::string_view name, std::uint64_t value);
    void bool_field(std::string_view name, bool value);
    void null_field(std::string_view name);
    // A string that may be unknown: null when `bytes` is empty. napctl's
    // rule: a value that is unknown or absent is null, never "".
    void optional_string_field(std::string_view name, std::string_view bytes);
    // An array of strings; when any element is not UTF-8, KEY_hex is an
    // array of the same length holding every element in hex.
    void string_array_field(std::string_view name, const std::vector<std::string>& values);

    // Array elements.
    void string_value(std::string_view bytes);
    void number_value(std::uint64_t value);

    // The document, with a final newline.
    std::string finish();

private:
    void before_value();

    std::string out_;
    // Per open container: whether anything was written into it yet.
    std::vector<bool> has_items_;
    bool after_key_ = false;
};

// The version of napctl's JSON documents (napctl(1), JSON OUTPUT). Fields
// may be added without a bump; one removed or changed in meaning bumps it.
inline constexpr std::uint64_t json_schema = 1;

// The document a command prints on success: {"schema":1,"command":COMMAND,
// "ok":true, then the fields of `fields` (one object, as the *_json
// functions build it)}. An empty `command` is null.
std::string success_document(std::string_view command, std::string_view fields);

// The document a failure prints: {"schema":1,"command":COMMAND,"ok":false,
// "error":{"code","message","detail"}, then the fields of `fields`}.
// detail is the hint (a usage line, the roots to choose from) or null.
std::string failure_document(std::string_view command, const Failure& failure, std::string_view fields = "{}");

// "name": the root in 64 lowercase hex digits, or null when there is none.
void root_field(JsonWriter& json, std::string_view name, const std::optional<content::Digest>& root);

} // namespace napster::ctl
