// SPDX-License-Identifier: MIT
#include "fs/partial_name.h"

#include "protocol/protocol.h"

#include <fmt/format.h>

namespace napster {

std::string partial_name(std::string_view final_name, unsigned long long unique) {
    // ".napster-" + 16 hex + "-" must leave room for a 255-byte name, so the
    // final name is cut for the temporary one only; the rename restores it.
    std::string prefix = fmt::format(".napster-{:016x}-", unique);
    std::string_view keep = final_name.substr(0, protocol::max_file_name - prefix.size() - 5);
    return prefix + std::string(keep) + ".part";
}

std::string resumable_partial_name(const content::Digest& root) {
    return ".napster-" + content::hex(root) + ".part";
}

bool is_partial_name(std::string_view name) {
    return name.size() >= 32 && name.substr(0, 9) == ".napster-" &&
           name.substr(name.size() - 5) == ".part";
}

} // namespace napster
