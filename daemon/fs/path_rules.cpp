// SPDX-License-Identifier: MIT
#include "fs/path_rules.h"

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

std::string_view base_name(std::string_view path) {
    std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string join_path(std::string_view dir, std::string_view name) {
    if (dir.empty()) return std::string(name);
    std::string out(dir);
    if (out.back() != '/') out += '/';
    out += name;
    return out;
}

bool path_is_within(std::string_view path, std::string_view root) {
    while (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
    if (root == "/") return !path.empty() && path.front() == '/';
    if (path.substr(0, root.size()) != root) return false;
    return path.size() == root.size() || path[root.size()] == '/';
}

std::string partial_name(std::string_view final_name, unsigned long long unique) {
    // ".napster-" + 16 hex + "-" must leave room for a 255-byte name, so the
    // final name is cut for the temporary one only; the rename restores it.
    std::string prefix = fmt::format(".napster-{:016x}-", unique);
    std::string_view keep = final_name.substr(0, protocol::max_file_name - prefix.size() - 5);
    return prefix + std::string(keep) + ".part";
}

bool is_partial_name(std::string_view name) {
    return name.size() >= 32 && name.substr(0, 9) == ".napster-" &&
           name.substr(name.size() - 5) == ".part";
}

} // namespace napster
