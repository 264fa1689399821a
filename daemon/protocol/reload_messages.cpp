// SPDX-License-Identifier: MIT
#include "protocol/reload_messages.h"

#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>

namespace napster::protocol {
namespace {

bool key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }

// The bytes one change takes in the payload.
std::size_t encoded_size(const ReloadedKey& change) {
    return 1 + change.key.size() + 1 + 2 + change.before.size() + 2 + change.after.size();
}

} // namespace

void ReloadResult::write(ByteWriter& w) const {
    w.str16(source);
    w.u16(static_cast<std::uint16_t>(changes.size()));
    for (const auto& change : changes) {
        w.str8(change.key);
        w.u8(change.live ? 1 : 0);
        w.str16(change.before);
        w.str16(change.after);
    }
    w.u32(left_out);
}

ReloadResult ReloadResult::read(ByteReader& r) {
    ReloadResult m;
    m.source = r.str16("config source", max_dir_path);
    std::size_t count = r.u16("change count");
    if (r.ok() && count > max_reload_changes) r.fail(fmt::format("{} changes exceed {}", count, max_reload_changes));
    for (std::size_t i = 0; i < count && r.ok(); ++i) {
        ReloadedKey change;
        change.key = r.str8("key", max_config_key);
        if (r.ok() && (change.key.empty() || !std::all_of(change.key.begin(), change.key.end(), key_char)))
            r.fail("key is empty or has a byte other than a-z, 0-9, '_' and '.'");
        std::uint8_t live = r.u8("live flag");
        if (r.ok() && live > 1) r.fail("live flag is not 0 or 1");
        change.live = live == 1;
        change.before = r.str16("value before", max_dir_path);
        change.after = r.str16("value after", max_dir_path);
        m.changes.push_back(std::move(change));
    }
    m.left_out = r.u32("left out");
    return m;
}

void fit_reload_result(ReloadResult& result) {
    if (result.source.size() > max_dir_path) result.source.resize(max_dir_path);
    for (auto& change : result.changes) {
        if (change.before.size() > max_dir_path) change.before.resize(max_dir_path);
        if (change.after.size() > max_dir_path) change.after.resize(max_dir_path);
    }
    // The frame's length counts the type (2 bytes) and the payload.
    std::size_t size = 2 + 2 + result.source.size() + 2 + 4;
    std::size_t kept = 0;
    for (const auto& change : result.changes) {
        if (kept == max_reload_changes || size + encoded_size(change) > max_frame_length) break;
        size += encoded_size(change);
        ++kept;
    }
    std::size_t dropped = result.changes.size() - kept;
    result.changes.resize(kept);
    result.left_out += static_cast<std::uint32_t>(dropped);
}

std::string reload_text(std::string_view key, bool live, std::string_view before, std::string_view after) {
    if (key == "share.dirs" && live && (before.empty() || after.empty()))
        return before.empty() ? fmt::format("share.dirs: added {}", printable(after))
                              : fmt::format("share.dirs: removed {}", printable(before));
    if (!live)
        return fmt::format("{} is {} in the file but needs a restart (still {})", printable(key), printable(after),
                           printable(before));
    return fmt::format("{} is now {} (was {})", printable(key), printable(after), printable(before));
}

} // namespace napster::protocol
