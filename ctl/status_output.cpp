// SPDX-License-Identifier: MIT
#include "ctl/status_output.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>

namespace napster::ctl {

std::string index_link_text(protocol::IndexState state, std::uint32_t peer_id, std::string_view address,
                            std::uint32_t reconnect_in_ms) {
    using protocol::IndexState;
    std::string where = printable(address);
    switch (state) {
    case IndexState::connected: return fmt::format("connected as peer {} ({})", peer_id, where);
    case IndexState::connecting: return fmt::format("connecting to {}", where);
    case IndexState::disconnected:
        if (reconnect_in_ms > 0)
            return fmt::format("disconnected from {}, reconnecting in {} s", where, (reconnect_in_ms + 999) / 1000);
        return fmt::format("disconnected from {}", where);
    }
    return "unknown";
}

namespace {

using protocol::IndexState;

std::string index_text(const protocol::StatusResult& status) {
    return index_link_text(status.index_state, status.peer_id, status.index_address, status.reconnect_in_ms);
}

std::string watch_text(const protocol::StatusResult& status) {
    switch (status.watch_state) {
    case protocol::WatchState::inotify:
        return fmt::format("inotify, {} dirs", group_thousands(status.watched_dirs));
    case protocol::WatchState::rescans:
        return fmt::format("rescans every {} s (inotify cannot follow; see napeerd's log)", status.rescan_interval);
    case protocol::WatchState::stale:
        return "none: inotify cannot follow and share.rescan_interval is 0 (use napctl rescan)";
    }
    return "unknown";
}

} // namespace

std::string hashing_text(const protocol::StatusResult& status) {
    if (status.hash_files_left == 0) return "done";
    return fmt::format("{} {}, {} left", group_thousands(status.hash_files_left),
                       status.hash_files_left == 1 ? "file" : "files", human_size(status.hash_bytes_left));
}

std::string download_sources_text(const std::vector<protocol::TransferPeer>& sources) {
    std::vector<std::uint32_t> seen;
    std::string list;
    for (const auto& source : sources) {
        if (std::find(seen.begin(), seen.end(), source.peer_id) != seen.end()) continue;
        seen.push_back(source.peer_id);
        list += fmt::format("{}peer {} ({})", list.empty() ? "" : ", ", source.peer_id, printable(source.peer_name));
    }
    return fmt::format("from {}: {}", count_of(seen.size(), "holder", "holders"), list);
}

std::string status_text(const protocol::StatusResult& status) {
    std::string out;
    // A label of "" continues the previous field on its own line.
    auto line = [&](std::string_view label, std::string_view value) {
        out += fmt::format("{:<16}{}\n", label.empty() ? "" : fmt::format("{}:", label), value);
    };
    line("name", printable(status.name));
    line("index", index_text(status));
    if (status.index_state != IndexState::connected && !status.last_error.empty())
        line("last error", printable(status.last_error));
    line("upload address", printable(status.upload_address));
    if (status.share_dirs.empty()) line("share dirs", "(none)");
    for (std::size_t i = 0; i < status.share_dirs.size(); ++i)
        line(i == 0 ? "share dirs" : "", printable(status.share_dirs[i]));
    line("download dir", printable(status.download_dir));
    line("files shared", fmt::format("{} ({})", group_thousands(status.file_count), human_size(status.total_bytes)));
    line("hashing", hashing_text(status));
    line("uploads", fmt::format("{} running, {} done", status.uploads_active, group_thousands(status.uploads_done)));
    line("downloads",
         fmt::format("{} running, {} done", status.downloads_active, group_thousands(status.downloads_done)));
    if (!status.download_sources.empty()) line("", download_sources_text(status.download_sources));
    line("share watch", watch_text(status));
    line("uptime", human_duration(status.uptime_seconds));
    return out;
}

std::string status_json(const protocol::StatusResult& status) {
    JsonWriter json;
    json.begin_object();
    json.string_field("name", status.name);
    json.string_field("index_state", protocol::index_state_name(status.index_state));
    if (status.index_state == IndexState::connected)
        json.number_field("peer_id", status.peer_id);
    else
        json.null_field("peer_id");
    json.optional_string_field("index_address", status.index_address);
    json.number_field("reconnect_in_ms", status.reconnect_in_ms);
    json.optional_string_field("last_error", status.last_error);
    json.optional_string_field("upload_address", status.upload_address);
    json.string_array_field("share_dirs", status.share_dirs);
    json.optional_string_field("download_dir", status.download_dir);
    json.number_field("file_count", status.file_count);
    json.number_field("total_bytes", status.total_bytes);
    json.number_field("hash_files_left", status.hash_files_left);
    json.number_field("hash_bytes_left", status.hash_bytes_left);
    json.number_field("uploads_active", status.uploads_active);
    json.number_field("uploads_done", status.uploads_done);
    json.number_field("downloads_active", status.downloads_active);
    json.number_field("downloads_done", status.downloads_done);
    json.key("download_sources");
    json.begin_array();
    for (const auto& source : status.download_sources) {
        json.begin_object();
        json.number_field("peer_id", source.peer_id);
        json.optional_string_field("peer_name", source.peer_name);
        json.end_object();
    }
    json.end_array();
    json.number_field("uptime_seconds", status.uptime_seconds);
    json.string_field("watch_state", protocol::watch_state_name(status.watch_state));
    json.number_field("watched_dirs", status.watched_dirs);
    json.number_field("rescan_interval", status.rescan_interval);
    json.end_object();
    return json.finish();
}

} // namespace napster::ctl
