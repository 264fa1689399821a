// SPDX-License-Identifier: MIT
#pragma once

// Names of the temporary files downloads are written to. Pure string code,
// no I/O: the share scan and the share watcher skip these names, the
// download writes under them.

#include "content/sha256.h"

#include <string>
#include <string_view>

namespace napster {

// Name of the temporary file a download of `final_name` is written to: a
// hidden name that no complete download can have, so a crash never leaves a
// half file under the final name and the share scan skips it.
std::string partial_name(std::string_view final_name, unsigned long long unique);
// The partial file of a download of content known by its root: named for
// the root alone, so any later fetch of that content finds it to resume.
std::string resumable_partial_name(const content::Digest& root);

bool is_partial_name(std::string_view name);

} // namespace napster
