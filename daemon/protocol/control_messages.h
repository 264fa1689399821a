// SPDX-License-Identifier: MIT
#pragma once

// The control channel on napeerd's Unix socket. napctl sends one request
// after HELLO/WELCOME: SEARCH (answered with SEARCH_RESULT, as on the index
// channel), FETCH, STATUS or SHARES.

#include "protocol/index_messages.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace napster::protocol {

// By name (name set: hits of exactly that name) or by content (root set;
// name empty: saved under the name of the first holder, or the name given).
struct Fetch {
    static constexpr MessageType type = MessageType::fetch;
    std::string name;                   // exact file name; empty only with a root
    std::optional<std::uint32_t> peer;  // holder to use; none: napeerd picks
    // The caller's path of its output directory, absolute; empty: the
    // download dir. Names the directory in replies and logs only: napeerd
    // writes through the descriptor that comes with the frame.
    std::string output_dir;
    RootHash root;                      // set: only this content
    // The frame carries a descriptor of the output directory (SCM_RIGHTS
    // on the control socket): set exactly when output_dir is.
    bool output_fd = false;

    void write(ByteWriter& w) const;
    static Fetch read(ByteReader& r);

    friend bool operator==(const Fetch&, const Fetch&) = default;
};

// A holder a download pulls from now.
struct TransferPeer {
    std::uint32_t peer_id = 0;
    std::string peer_name;

    friend bool operator==(const TransferPeer&, const TransferPeer&) = default;
};

// What a transfer is doing. A download connects (to its holders, for the
// block hashes), transfers, waits (every holder busy), checks (a resumed
// partial file, or an unhashed file against the root its holder named),
// syncs (fsync and link at the end), then ends; an upload connects (opens
// the file), transfers, ends.
enum class TransferState : std::uint8_t {
    connecting = 0,
    transferring = 1,
    waiting = 2,
    checking = 3,
    syncing = 4,
    done = 5,
    failed = 6,
    cancelled = 7,
};
inline constexpr std::uint8_t max_transfer_state = 7;

const char* transfer_state_name(TransferState state);
inline bool transfer_ended(TransferState state) { return state >= TransferState::done; }

// Napeerd's transfer ids: small integers from 1, unique while it runs.
using TransferId = std::uint32_t;

// Sent while a FETCH (or WAIT) runs, at most a few times a second, and
// once at once when the download starts or is joined: napctl learns the
// transfer id from the first one.
struct FetchProgress {
    static constexpr MessageType type = MessageType::fetch_progress;
    std::uint64_t received = 0;
    std::uint64_t total = 0;
    std::vector<TransferPeer> sources; // 0..max_fetch_sources, connected now
    TransferId transfer_id = 0;        // 1 or more
    TransferState phase = TransferState::connecting; // never an ended state
    std::uint64_t elapsed_ms = 0;      // since the download started

    void write(ByteWriter& w) const;
    static FetchProgress read(ByteReader& r);

    friend bool operator==(const FetchProgress&, const FetchProgress&) = default;
};

struct FetchDone {
    static constexpr MessageType type = MessageType::fetch_done;
    std::string path; // where the file now is
    std::uint64_t size = 0;
    std::uint32_t peer_id = 0;
    std::string peer_name;
    RootHash root;         // the content's root, when known
    bool verified = false; // every block checked against root

    void write(ByteWriter& w) const;
    static FetchDone read(ByteReader& r);

    friend bool operator==(const FetchDone&, const FetchDone&) = default;
};

void write_transfer_peers(ByteWriter& w, const std::vector<TransferPeer>& peers, bool wide);
std::vector<TransferPeer> read_transfer_peers(ByteReader& r, bool wide, std::size_t limit);

struct StatusRequest {
    static constexpr MessageType type = MessageType::status;

    void write(ByteWriter&) const {}
    static StatusRequest read(ByteReader&) { return {}; }

    friend bool operator==(const StatusRequest&, const StatusRequest&) = default;
};

enum class IndexState : std::uint8_t { disconnected = 0, connecting = 1, connected = 2 };

const char* index_state_name(IndexState state);

// The index link as STATUS_RESULT and WATCH_UPDATE carry it: index_state
// (u8), peer_id (u32), index_address (str8), reconnect_in_ms (u32),
// last_error (str16).
struct IndexLink {
    IndexState state;
    std::uint32_t peer_id;
    std::string_view address;
    std::uint32_t reconnect_in_ms;
    std::string_view last_error;
};
void write_index_link(ByteWriter& w, const IndexLink& link);
void read_index_link(ByteReader& r, IndexState& state, std::uint32_t& peer_id, std::string& address,
                     std::uint32_t& reconnect_in_ms, std::string& last_error);

// How napeerd follows its share dirs.
enum class WatchState : std::uint8_t {
    inotify = 0,  // every directory watched
    rescans = 1,  // inotify could not follow: full rescans every rescan_interval
    stale = 2,    // inotify could not follow and rescan_interval is 0
};

const char* watch_state_name(WatchState state);

struct StatusResult {
    static constexpr MessageType type = MessageType::status_result;
    std::string name;
    IndexState index_state = IndexState::disconnected;
    std::uint32_t peer_id = 0;           // valid when connected
    std::string index_address;           // "host:port" as configured
    std::uint32_t reconnect_in_ms = 0;   // when disconnected and retrying
    std::string last_error;              // last index connection error
    std::string upload_address;          // "address:port" actually bound
    std::vector<std::string> share_dirs;
    std::string download_dir;
    std::uint64_t file_count = 0;
    std::uint64_t total_bytes = 0;
    std::uint32_t uploads_active = 0;
    std::uint32_t downloads_active = 0;
    std::uint64_t uploads_done = 0;
    std::uint64_t downloads_done = 0;
    std::uint64_t uptime_seconds = 0;
    WatchState watch_state = WatchState::inotify;
    std::uint32_t watched_dirs = 0;
    std::uint32_t rescan_interval = 0; // seconds, as configured
    std::uint64_t hash_files_left = 0; // shared files not hashed yet
    std::uint64_t hash_bytes_left = 0; // and their bytes
    // The holders running downloads pull from now, one entry a download
    // and holder; 0..max_status_sources.
    std::vector<TransferPeer> download_sources;

    void write(ByteWriter& w) const;
    static StatusResult read(ByteReader& r);

    friend bool operator==(const StatusResult&, const StatusResult&) = default;
};

struct SharesRequest {
    static constexpr MessageType type = MessageType::shares;

    void write(ByteWriter&) const {}
    static SharesRequest read(ByteReader&) { return {}; }

    friend bool operator==(const SharesRequest&, const SharesRequest&) = default;
};

// The share list goes in batches so that no frame passes the limit.
struct SharesBatch {
    static constexpr MessageType type = MessageType::shares_batch;
    std::vector<FileEntry> files; // 1..max_batch_files

    void write(ByteWriter& w) const;
    static SharesBatch read(ByteReader& r);

    friend bool operator==(const SharesBatch&, const SharesBatch&) = default;
};

struct SharesEnd {
    static constexpr MessageType type = MessageType::shares_end;
    std::uint64_t total = 0; // files sent in all batches

    void write(ByteWriter& w) const;
    static SharesEnd read(ByteReader& r);

    friend bool operator==(const SharesEnd&, const SharesEnd&) = default;
};

// A full walk of every share root, as when inotify cannot follow.
struct RescanRequest {
    static constexpr MessageType type = MessageType::rescan;

    void write(ByteWriter&) const {}
    static RescanRequest read(ByteReader&) { return {}; }
    friend bool operator==(const RescanRequest&, const RescanRequest&) = default;
};

struct RescanDone {
    static constexpr MessageType type = MessageType::rescan_done;
    std::uint64_t file_count = 0; // files shared after the rescan
    std::uint32_t upserted = 0;   // found new or changed
    std::uint32_t removed = 0;    // found gone

    void write(ByteWriter& w) const;
    static RescanDone read(ByteReader& r);
    friend bool operator==(const RescanDone&, const RescanDone&) = default;
};

} // namespace napster::protocol
