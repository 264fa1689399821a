// SPDX-License-Identifier: MIT
#include "ctl/output.h"

#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>

namespace napster::ctl {

std::string human_size(std::uint64_t bytes) {
    if (bytes < 1024) return fmt::format("{} B", bytes);
    static constexpr std::array<const char*, 6> units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    // Compare after rounding, so 1023.96 KiB reads "1.0 MiB", not "1024.0 KiB".
    while (unit + 1 < units.size() && value >= 1023.95) {
        value /= 1024.0;
        ++unit;
    }
    return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string human_duration(std::uint64_t seconds) {
    std::uint64_t days = seconds / 86400;
    std::uint64_t hours = seconds / 3600 % 24;
    std::uint64_t minutes = seconds / 60 % 60;
    std::uint64_t secs = seconds % 60;
    if (days > 0) return fmt::format("{} d {} h", days, hours);
    if (hours > 0) return fmt::format("{} h {} min", hours, minutes);
    if (minutes > 0) return fmt::format("{} min {} s", minutes, secs);
    return fmt::format("{} s", secs);
}

std::string endpoint_text(std::string_view address, std::uint16_t port) {
    if (address.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", printable(address), port);
    return fmt::format("{}:{}", printable(address), port);
}

std::string root_prefix(const content::Digest& root) { return content::hex(root).substr(0, root_prefix_digits); }

std::string root_cell(const std::optional<content::Digest>& root) { return root ? root_prefix(*root) : "unhashed"; }

std::size_t display_width(std::string_view utf8) {
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

std::string truncate_display(std::string_view utf8, std::size_t width) {
    if (display_width(utf8) <= width) return std::string(utf8);
    if (width < 3) return std::string(width, '.');
    std::size_t keep = width - 3;
    std::size_t columns = 0;
    std::size_t end = 0;
    for (; end < utf8.size(); ++end) {
        bool starts_character = (static_cast<unsigned char>(utf8[end]) & 0xC0) != 0x80;
        if (starts_character) {
            if (columns == keep) break;
            ++columns;
        }
    }
    return std::string(utf8.substr(0, end)) + "...";
}

TextTable::TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

void TextTable::add_row(std::vector<std::string> cells) {
    assert(cells.size() == columns_.size());
    rows_.push_back(std::move(cells));
}

std::string TextTable::render(Heading heading, std::string_view indent) const {
    std::vector<std::size_t> widths;
    for (const auto& column : columns_)
        widths.push_back(heading == Heading::shown ? display_width(column.heading) : 0);
    for (const auto& row : rows_)
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));

    std::string out;
    auto add_line = [&](const std::vector<std::string>& cells) {
        // Empty cells at the end of a row are left out with their
        // separators, so that the line ends where its text does.
        std::size_t used = cells.size();
        while (used > 0 && cells[used - 1].empty()) --used;
        std::string line(indent);
        for (std::size_t i = 0; i < used; ++i) {
            if (i > 0) line += "  ";
            std::size_t pad = widths[i] - display_width(cells[i]);
            bool last = i + 1 == used;
            if (columns_[i].align == Align::right) line.append(pad, ' ');
            line += cells[i];
            if (columns_[i].align == Align::left && !last) line.append(pad, ' ');
        }
        out += line;
        out += '\n';
    };
    if (heading == Heading::shown) {
        std::vector<std::string> headings;
        for (const auto& column : columns_) headings.push_back(column.heading);
        add_line(headings);
    }
    for (const auto& row : rows_) add_line(row);
    return out;
}

void JsonWriter::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!has_items_.empty()) {
        if (has_items_.back()) out_ += ',';
        has_items_.back() = true;
    }
}

void JsonWriter::begin_object() {
    before_value();
    out_ += '{';
    has_items_.push_back(false);
}

void JsonWriter::end_object() {
    assert(!has_items_.empty() && !after_key_);
    has_items_.pop_back();
    out_ += '}';
}

void JsonWriter::begin_array() {
    before_value();
    out_ += '[';
    has_items_.push_back(false);
}

void JsonWriter::end_array() {
    assert(!has_items_.empty() && !after_key_);
    has_items_.pop_back();
    out_ += ']';
}

void JsonWriter::key(std::string_view name) {
    assert(!after_key_);
    before_value();
    out_ += json_quote(name);
    out_ += ':';
    after_key_ = true;
}

void JsonWriter::string_field(std::string_view name, std::string_view bytes) {
    key(name);
    string_value(bytes);
    if (!is_valid_utf8(bytes)) {
        key(fmt::format("{}_hex", name));
        string_value(hex_encode(bytes));
    }
}

void JsonWriter::number_field(std::string_view name, std::uint64_t value) {
    key(name);
    number_value(value);
}

void JsonWriter::bool_field(std::string_view name, bool value) {
    key(name);
    before_value();
    out_ += value ? "true" : "false";
}

void JsonWriter::null_field(std::string_view name) {
    key(name);
    before_value();
    out_ += "null";
}

void JsonWriter::optional_string_field(std::string_view name, std::string_view bytes) {
    if (bytes.empty())
        null_field(name);
    else
        string_field(name, bytes);
}

void JsonWriter::string_array_field(std::string_view name, const std::vector<std::string>& values) {
    key(name);
    begin_array();
    for (const auto& value : values) string_value(value);
    end_array();
    bool all_utf8 = std::all_of(values.begin(), values.end(), [](const std::string& v) { return is_valid_utf8(v); });
    if (all_utf8) return;
    key(fmt::format("{}_hex", name));
    begin_array();
    for (const auto& value : values) string_value(hex_encode(value));
    end_array();
}

void JsonWriter::string_value(std::string_view bytes) {
    before_value();
    out_ += json_quote(bytes);
}

void JsonWriter::number_value(std::uint64_t value) {
    before_value();
    out_ += fmt::format("{}", value);
}

std::string JsonWriter::finish() {
    assert(has_items_.empty() && !after_key_);
    out_ += '\n';
    return std::move(out_);
}

namespace {

void envelope(JsonWriter& json, std::string_view command, bool ok) {
    json.begin_object();
    json.number_field("schema", json_schema);
    if (command.empty())
        json.null_field("command");
    else
        json.string_field("command", command);
    json.bool_field("ok", ok);
}

// The envelope's fields, then those of the object `fields` ("{...}", with
// or without its final newline).
std::string merged(JsonWriter& json, std::string_view fields) {
    json.end_object();
    std::string out = json.finish();
    while (!fields.empty() && fields.back() == '\n') fields.remove_suffix(1);
    assert(fields.size() >= 2 && fields.front() == '{' && fields.back() == '}');
    std::string_view inner = fields.substr(1, fields.size() - 2);
    if (inner.empty()) return out;
    out.resize(out.size() - 2); // "}\n"
    out += ',';
    out += inner;
    out += "}\n";
    return out;
}

} // namespace

std::string success_document(std::string_view command, std::string_view fields) {
    JsonWriter json;
    envelope(json, command, true);
    return merged(json, fields);
}

std::string failure_document(std::string_view command, const Failure& failure, std::string_view fields) {
    JsonWriter json;
    envelope(json, command, false);
    json.key("error");
    json.begin_object();
    json.string_field("code", failure_code(failure));
    json.string_field("message", failure.message);
    json.optional_string_field("detail", failure.hint);
    json.end_object();
    return merged(json, fields);
}

void root_field(JsonWriter& json, std::string_view name, const std::optional<content::Digest>& root) {
    if (root)
        json.string_field(name, content::hex(*root));
    else
        json.null_field(name);
}

} // namespace napster::ctl
