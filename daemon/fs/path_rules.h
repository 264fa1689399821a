// SPDX-License-Identifier: MIT
#pragma once

// What counts as a safe name or relative path. Pure string checks, no I/O:
// every name that arrives from the index, another peer or the disk passes
// through here before it is used to build a path.

#include <optional>
#include <string>
#include <string_view>

namespace napster {

// Why `name` is not a single safe path component, or nullopt if it is:
// 1..255 bytes, no '/', no NUL, not "." or "..". Any other byte is allowed,
// UTF-8 or not, because Linux allows it.
std::optional<std::string> file_name_problem(std::string_view name);
inline bool is_safe_file_name(std::string_view name) { return !file_name_problem(name); }

// Why `path` is not a safe relative path below a root: not empty, at most
// 4096 bytes, not absolute, and every component a safe file name.
std::optional<std::string> relative_path_problem(std::string_view path);

// The last component of a relative path.
std::string_view base_name(std::string_view path);

// "a" + "b" -> "a/b", without doubling a trailing slash.
std::string join_path(std::string_view dir, std::string_view name);

// Whether `path` equals `root` or lies below it, comparing whole components
// ("/srv/share2" is not below "/srv/share"). Both must be normalised.
bool path_is_within(std::string_view path, std::string_view root);

// Name of the temporary file a download of `final_name` is written to: a
// hidden name that no complete download can have, so a crash never leaves a
// half file under the final name and the share scan skips it.
std::string partial_name(std::string_view final_name, unsigned long long unique);
bool is_partial_name(std::string_view name);

} // namespace napster
