// SPDX-License-Identifier: MIT
#pragma once

// Paths as byte strings: split, joined and compared without touching the
// file system, so the wire codecs and napctl can use them as well as the
// daemons.

#include <string>
#include <string_view>

namespace napster {

// The last component of a relative path.
std::string_view base_name(std::string_view path);

// "a" + "b" -> "a/b", without doubling a trailing slash.
std::string join_path(std::string_view dir, std::string_view name);

// Strips trailing slashes but keeps "/" itself: "/srv/share/" and
// "/srv/share" are one directory.
std::string normalise_path(std::string_view path);

// Whether `path` equals `root` or lies below it, comparing whole components
// ("/srv/share2" is not below "/srv/share"). Both must be normalised.
bool path_is_within(std::string_view path, std::string_view root);

} // namespace napster
