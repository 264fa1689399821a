// SPDX-License-Identifier: MIT
#include "ctl/shares_output.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

namespace napster::ctl {

std::string shares_text(std::span<const protocol::FileEntry> files) {
    if (files.empty()) return "no files shared\n";
    TextTable table({{"NAME"},
                     {"SIZE", TextTable::Align::right},
                     {"ROOT"},
                     {"PATH"},
                     {"ID", TextTable::Align::right}});
    std::uint64_t total_bytes = 0;
    for (const auto& file : files) {
        table.add_row({printable(file.name), human_size(file.size), root_cell(file.root), printable(file.rel_path),
                       fmt::format("{}", file.file_id)});
        total_bytes += file.size;
    }
    return table.render() + fmt::format("{} {}, {}\n", group_thousands(files.size()),
                                        files.size() == 1 ? "file" : "files", human_size(total_bytes));
}

std::string shares_json(std::span<const protocol::FileEntry> files) {
    JsonWriter json;
    json.begin_object();
    json.number_field("total", files.size());
    json.key("files");
    json.begin_array();
    for (const auto& file : files) {
        json.begin_object();
        json.string_field("name", file.name);
        json.number_field("size", file.size);
        json.string_field("rel_path", file.rel_path);
        json.number_field("file_id", file.file_id);
        root_field(json, "root", file.root);
        json.end_object();
    }
    json.end_array();
    json.end_object();
    return json.finish();
}

} // namespace napster::ctl
