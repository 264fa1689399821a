// SPDX-License-Identifier: MIT
#pragma once

// Names of the temporary files downloads are written to. Pure string code,
// no I/O: the share scan and the share watcher skip these names, the
// download writes under them.

#include <string>
#include <string_view>

namespace napster {

// Name of the temporary file a download of `final_name` is written to: a
// hidden name that no complete download can have, so a crash never leaves a
// half file under the final name and the share scan skips it.
std::string partial_name(std::string_view final_name, unsigned long long unique);
bool is_partial_name(std::string_view name);

} // namespace napster
