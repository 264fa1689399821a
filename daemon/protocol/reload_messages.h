// SPDX-License-Identifier: MIT
#pragma once

// RELOAD on the control channel: napeerd re-reads its config file, applies
// what can change while it runs and answers which keys changed, each
// applied or needing a restart. A file that does not parse changes nothing
// and is answered ERROR invalid_argument with the parser's message.

#include "protocol/frame_codec.h"
#include "protocol/protocol.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace napster::protocol {

struct ReloadRequest {
    static constexpr MessageType type = MessageType::reload;

    void write(ByteWriter&) const {}
    static ReloadRequest read(ByteReader&) { return {}; }
    friend bool operator==(const ReloadRequest&, const ReloadRequest&) = default;
};

// One changed key. share.dirs is listed once a directory added (before
// empty, after the path) or removed (before the path, after empty).
struct ReloadedKey {
    std::string key;    // "upload.max_concurrent": 1..64 bytes of a-z, 0-9, '_' and '.'
    bool live = false;  // applied now; otherwise it needs a restart
    std::string before; // the running value, as --check-config writes it; 0..4096 bytes
    std::string after;  // the value in the file

    friend bool operator==(const ReloadedKey&, const ReloadedKey&) = default;
};

struct ReloadResult {
    static constexpr MessageType type = MessageType::reload_result;
    std::string source;               // the file read, "" for built-in defaults
    std::vector<ReloadedKey> changes; // 0..max_reload_changes, in the file's order
    std::uint32_t left_out = 0;       // changes not listed, to keep the frame within max_frame_length

    void write(ByteWriter& w) const;
    static ReloadResult read(ByteReader& r);
    friend bool operator==(const ReloadResult&, const ReloadResult&) = default;
};

// Drops changes from the end, counting them in left_out, until the message
// has at most max_reload_changes of them and its frame fits
// max_frame_length. Values longer than max_dir_path are cut to it.
void fit_reload_result(ReloadResult& result);

// What napeerd's log and napctl reload say of one change:
// "upload.max_concurrent is now 16 (was 8)", "share.dirs: added /srv/music"
// (before empty) or "share.dirs: removed /srv/music" (after empty),
// "upload.port is 6021 in the file but needs a restart (still 6020)".
// Values are shown escaped (util/text.h printable).
std::string reload_text(std::string_view key, bool live, std::string_view before, std::string_view after);
inline std::string reload_text(const ReloadedKey& change) {
    return reload_text(change.key, change.live, change.before, change.after);
}

} // namespace napster::protocol
