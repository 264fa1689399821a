// SPDX-License-Identifier: MIT
#pragma once

// What counts as a safe name or relative path. Pure string checks, no I/O:
// every name that arrives from the index, another peer or the disk passes
// through here before it is used to build a path. The wire codecs refuse a
// message whose names fail them, so the rules live beside the limits in
// protocol.h that they enforce.

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

} // namespace napster
