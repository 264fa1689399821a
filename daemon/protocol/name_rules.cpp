// SPDX-License-Identifier: MIT
#include "protocol/name_rules.h"

#include "protocol/protocol.h"

#include <fmt/format.h>

namespace napster {

std::optional<std::string> file_name_problem(std::string_view name) {
    if (name.empty()) return "file name is empty";
    if (name.size() > protocol::max_file_name)
        return fmt::format("file name is {} bytes, at most {} allowed", name.size(),
                           protocol::max_file_name);
    if (name == "." || name == "..") return fmt::format("file name '{}' is not allowed", name);
    if (name.find('/') != std::string_view::npos) return "file name contains '/'";
    if (name.find('\0') != std::string_view::npos) return "file name contains a NUL byte";
    return std::nullopt;
}

std::optional<std::string> relative_path_problem(std::string_view path) {
    if (path.empty()) return "path is empty";
    if (path.size() > protocol::max_rel_path)
        return fmt::format("path is {} bytes, at most {} allowed", path.size(),
                           protocol::max_rel_path);
    if (path.front() == '/') return "path is absolute";
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (auto problem = file_name_problem(path.substr(start, end - start)))
            return fmt::format("path component {}: {}", start, *problem);
        start = end + 1;
    }
    return std::nullopt;
}

} // namespace napster
