// SPDX-License-Identifier: MIT
#include "protocol/control_messages.h"

#include "protocol/name_rules.h"

namespace napster::protocol {

void Fetch::write(ByteWriter& w) const {
    w.str8(name);
    w.u8(peer ? 1 : 0);
    w.u32(peer.value_or(0));
    w.str16(output_dir);
    write_root(w, root);
    w.u8(output_fd ? 1 : 0);
}

Fetch Fetch::read(ByteReader& r) {
    Fetch m;
    m.name = r.str8("file name", max_file_name);
    if (r.ok() && !m.name.empty())
        if (auto problem = file_name_problem(m.name)) r.fail(*problem);
    std::uint8_t has_peer = r.u8("peer flag");
    if (r.ok() && has_peer > 1) r.fail("peer flag is not 0 or 1");
    std::uint32_t peer = r.u32("peer id");
    // Without the flag the peer id is reserved: it must be zero, so that a
    // message has one encoding only.
    if (r.ok() && !has_peer && peer != 0) r.fail("peer id is set but the peer flag is 0");
    if (has_peer) m.peer = peer;
    m.output_dir = r.str16("output dir", max_dir_path);
    if (r.ok() && !m.output_dir.empty() && m.output_dir.front() != '/')
        r.fail("output dir is not an absolute path");
    if (r.ok() && m.output_dir.find('\0') != std::string::npos) r.fail("output dir contains NUL");
    m.root = read_root(r, "root");
    if (r.ok() && m.name.empty() && !m.root) r.fail("file name is empty and no root is given");
    std::uint8_t output_fd = r.u8("output fd flag");
    if (r.ok() && output_fd > 1) r.fail("output fd flag is not 0 or 1");
    m.output_fd = output_fd == 1;
    // napeerd never opens a directory by a caller's path (it would write
    // with its own rights, not the caller's): a path needs its descriptor.
    if (r.ok() && m.output_fd != !m.output_dir.empty())
        r.fail(m.output_fd ? "output fd flag is set but no output dir is named"
                           : "output dir is named but the output fd flag is 0");
    return m;
}

// A count (u8 or u16, as the message says), then per holder its peer_id
// (u32) and peer_name (str8).
void write_transfer_peers(ByteWriter& w, const std::vector<TransferPeer>& peers, bool wide) {
    if (wide)
        w.u16(static_cast<std::uint16_t>(peers.size()));
    else
        w.u8(static_cast<std::uint8_t>(peers.size()));
    for (const auto& peer : peers) {
        w.u32(peer.peer_id);
        w.str8(peer.peer_name);
    }
}

std::vector<TransferPeer> read_transfer_peers(ByteReader& r, bool wide, std::size_t limit) {
    std::size_t count = wide ? r.u16("source count") : r.u8("source count");
    std::vector<TransferPeer> peers;
    if (r.ok() && count > limit) r.fail(fmt::format("{} sources exceed {}", count, limit));
    for (std::size_t i = 0; i < count && r.ok(); ++i) {
        TransferPeer peer;
        peer.peer_id = r.u32("source peer id");
        peer.peer_name = r.str8("source peer name", max_peer_name);
        peers.push_back(std::move(peer));
    }
    return peers;
}

const char* transfer_state_name(TransferState state) {
    switch (state) {
    case TransferState::connecting: return "connecting";
    case TransferState::transferring: return "transferring";
    case TransferState::waiting: return "waiting";
    case TransferState::checking: return "checking";
    case TransferState::syncing: return "syncing";
    case TransferState::done: return "done";
    case TransferState::failed: return "failed";
    case TransferState::cancelled: return "cancelled";
    }
    return "unknown";
}

void FetchProgress::write(ByteWriter& w) const {
    w.u64(received);
    w.u64(total);
    write_transfer_peers(w, sources, false);
    w.u32(transfer_id);
    w.u8(static_cast<std::uint8_t>(phase));
    w.u64(elapsed_ms);
}

FetchProgress FetchProgress::read(ByteReader& r) {
    FetchProgress m;
    m.received = r.u64("received");
    m.total = r.u64("total");
    m.sources = read_transfer_peers(r, false, max_fetch_sources);
    m.transfer_id = r.u32("transfer id");
    if (r.ok() && m.transfer_id == 0) r.fail("transfer id is 0");
    std::uint8_t phase = r.u8("phase");
    if (r.ok() && phase >= static_cast<std::uint8_t>(TransferState::done))
        r.fail(fmt::format("phase {} is not 0 to 4", phase));
    m.phase = static_cast<TransferState>(phase);
    m.elapsed_ms = r.u64("elapsed");
    return m;
}

void FetchDone::write(ByteWriter& w) const {
    w.str16(path);
    w.u64(size);
    w.u32(peer_id);
    w.str8(peer_name);
    write_root(w, root);
    w.u8(verified ? 1 : 0);
}

FetchDone FetchDone::read(ByteReader& r) {
    FetchDone m;
    m.path = r.str16("path", max_dir_path + 1 + max_file_name);
    m.size = r.u64("size");
    m.peer_id = r.u32("peer id");
    m.peer_name = r.str8("peer name", max_peer_name);
    m.root = read_root(r, "root");
    std::uint8_t verified = r.u8("verified");
    if (r.ok() && verified > 1) r.fail("verified is not 0 or 1");
    if (r.ok() && verified && !m.root) r.fail("verified without a root");
    m.verified = verified == 1;
    return m;
}

const char* index_state_name(IndexState state) {
    switch (state) {
    case IndexState::disconnected: return "disconnected";
    case IndexState::connecting: return "connecting";
    case IndexState::connected: return "connected";
    }
    return "unknown";
}

const char* watch_state_name(WatchState state) {
    switch (state) {
    case WatchState::inotify: return "inotify";
    case WatchState::rescans: return "rescans";
    case WatchState::stale: return "stale";
    }
    return "unknown";
}

void write_index_link(ByteWriter& w, const IndexLink& link) {
    w.u8(static_cast<std::uint8_t>(link.state));
    w.u32(link.peer_id);
    // A host name may be 253 bytes: cut to what the field holds.
    w.str8(link.address.substr(0, max_index_target));
    w.u32(link.reconnect_in_ms);
    // The reader refuses more than max_error_text bytes; cut as ERROR does.
    w.str16(link.last_error.substr(0, max_error_text));
}

void read_index_link(ByteReader& r, IndexState& state, std::uint32_t& peer_id, std::string& address,
                     std::uint32_t& reconnect_in_ms, std::string& last_error) {
    std::uint8_t value = r.u8("index state");
    if (r.ok() && value > 2) r.fail(fmt::format("index state {} is not 0, 1 or 2", value));
    state = static_cast<IndexState>(value);
    peer_id = r.u32("peer id");
    address = r.str8("index address", max_index_target);
    reconnect_in_ms = r.u32("reconnect delay");
    last_error = r.str16("last error", max_error_text);
}

void StatusResult::write(ByteWriter& w) const {
    w.str8(name);
    write_index_link(w, {index_state, peer_id, index_address, reconnect_in_ms, last_error});
    w.str8(upload_address);
    w.u32(static_cast<std::uint32_t>(share_dirs.size()));
    for (const auto& dir : share_dirs) w.str16(dir);
    w.str16(download_dir);
    w.u64(file_count);
    w.u64(total_bytes);
    w.u32(uploads_active);
    w.u32(downloads_active);
    w.u64(uploads_done);
    w.u64(downloads_done);
    w.u64(uptime_seconds);
    w.u8(static_cast<std::uint8_t>(watch_state));
    w.u32(watched_dirs);
    w.u32(rescan_interval);
    w.u64(hash_files_left);
    w.u64(hash_bytes_left);
    write_transfer_peers(w, download_sources, true);
}

StatusResult StatusResult::read(ByteReader& r) {
    StatusResult m;
    m.name = r.str8("peer name", max_peer_name);
    read_index_link(r, m.index_state, m.peer_id, m.index_address, m.reconnect_in_ms, m.last_error);
    m.upload_address = r.str8("upload address", max_address_text + 8);
    std::uint32_t dirs = r.u32("share dir count");
    if (r.ok() && dirs > max_share_dirs) r.fail(fmt::format("{} share dirs exceed {}", dirs, max_share_dirs));
    for (std::uint32_t i = 0; i < dirs && r.ok(); ++i) m.share_dirs.push_back(r.str16("share dir", max_dir_path));
    m.download_dir = r.str16("download dir", max_dir_path);
    m.file_count = r.u64("file count");
    m.total_bytes = r.u64("total bytes");
    m.uploads_active = r.u32("uploads active");
    m.downloads_active = r.u32("downloads active");
    m.uploads_done = r.u64("uploads done");
    m.downloads_done = r.u64("downloads done");
    m.uptime_seconds = r.u64("uptime");
    std::uint8_t watch = r.u8("watch state");
    if (r.ok() && watch > 2) r.fail(fmt::format("watch state {} is not 0, 1 or 2", watch));
    m.watch_state = static_cast<WatchState>(watch);
    m.watched_dirs = r.u32("watched dirs");
    m.rescan_interval = r.u32("rescan interval");
    m.hash_files_left = r.u64("files to hash");
    m.hash_bytes_left = r.u64("bytes to hash");
    m.download_sources = read_transfer_peers(r, true, max_status_sources);
    return m;
}

void SharesBatch::write(ByteWriter& w) const {
    w.u32(static_cast<std::uint32_t>(files.size()));
    for (const auto& f : files) write_file_entry(w, f);
}

SharesBatch SharesBatch::read(ByteReader& r) {
    // Same layout as FILES_ADD; reuse its checks.
    FilesAdd add = FilesAdd::read(r);
    return SharesBatch{std::move(add.files)};
}

void RescanDone::write(ByteWriter& w) const {
    w.u64(file_count);
    w.u32(upserted);
    w.u32(removed);
}

RescanDone RescanDone::read(ByteReader& r) {
    RescanDone m;
    m.file_count = r.u64("file count");
    m.upserted = r.u32("upserted");
    m.removed = r.u32("removed");
    return m;
}

void SharesEnd::write(ByteWriter& w) const { w.u64(total); }

SharesEnd SharesEnd::read(ByteReader& r) { return SharesEnd{r.u64("total")}; }

} // namespace napster::protocol
