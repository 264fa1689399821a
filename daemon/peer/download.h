// SPDX-License-Identifier: MIT
#pragma once

// Downloads: one Download fetches one file from the first holder that
// delivers it, writing to a hidden temporary name in the output directory
// and linking it to its final name only when every byte has arrived and
// been synced. A name from the index or a peer is never used as a path:
// it has passed file_name_problem() and becomes one component inside the
// output directory. An existing file is never replaced.
//
// Ownership: DownloadManager's registry owns every Download. A Download is
// a Session: it is finished when it has reported its outcome, and freed
// once no file operation of its (each holds it) is in flight. It owns its
// connector, its connection (through close()), its timer and its temporary
// file. Loop thread only.

#include "event/connection.h"
#include "event/connector.h"
#include "event/session.h"
#include "event/timer.h"
#include "protocol/control_messages.h"
#include "protocol/transfer_messages.h"
#include "util/result.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace napster {

class PeerDaemon;
class Download;

struct FetchPlan {
    std::string name;
    std::uint64_t size = 0;                // as the index listed it, for progress
    std::vector<protocol::Holder> holders; // tried in order
    std::string output_dir;
};

class DownloadManager {
public:
    using ProgressCallback = std::function<void(std::uint64_t received, std::uint64_t total)>;
    using DoneCallback = std::function<void(Result<protocol::FetchDone>)>;

    explicit DownloadManager(PeerDaemon& daemon);
    ~DownloadManager();

    void fetch(FetchPlan plan, ProgressCallback progress, DoneCallback done);
    void stop();

    std::uint32_t active() const { return active_; }
    std::uint64_t completed() const { return completed_; }

    // For downloads.
    PeerDaemon& daemon() { return daemon_; }
    std::uint64_t next_unique() { return ++unique_; }
    void download_ended(bool ok);

private:
    PeerDaemon& daemon_;
    SessionRegistry<Download> downloads_;
    std::uint32_t active_ = 0;
    std::uint64_t completed_ = 0;
    std::uint64_t unique_;
};

class Download final : public Session, public Connection::Handler {
public:
    Download(DownloadManager& manager, FetchPlan plan, DownloadManager::ProgressCallback progress,
             DownloadManager::DoneCallback done);
    ~Download() override;

    void start();
    void abort(const std::string& reason);

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_raw(Connection& connection, ByteSpan bytes) override;
    void on_closed(Connection& connection, const std::string& reason) override;

private:
    // between_holders: no holder is being tried (before the first, or
    // after one failed while its partial file is dropped).
    enum class Stage { between_holders, connecting, hello, get, body };

    void try_next_holder();
    void connected(Result<Connection*> connection);
    void holder_failed(const std::string& reason);
    void begin_body(const protocol::GetOk& ok);
    void write_pending();
    void next_step();
    void complete();
    void finish_with(Result<protocol::FetchDone> result);
    void report_progress(bool force);
    void restart_stall_timer();
    std::string holder_text() const;

    DownloadManager& manager_;
    FetchPlan plan_;
    DownloadManager::ProgressCallback progress_;
    DownloadManager::DoneCallback done_;
    Connector connector_;
    Timer stall_timer_;
    Connection* connection_ = nullptr;
    Stage stage_ = Stage::between_holders;
    std::size_t holder_index_ = 0;
    std::vector<std::string> failures_;
    std::string final_path_;
    std::string temp_path_;
    int fd_ = -1;
    // One file operation at a time (open, write, drop, sync and link), so
    // none closes the descriptor under another.
    bool file_busy_ = false;
    // The file could not be opened or written: the holder's bytes, even
    // all of them, do not make a download.
    bool file_failed_ = false;
    std::uint64_t length_ = 0;
    std::uint64_t received_ = 0;
    std::uint64_t written_ = 0;
    Bytes pending_;
    std::uint64_t last_progress_ms_ = 0;
    std::uint64_t started_ms_ = 0;
    bool reported_ = false;
    bool aborted_ = false;
};

} // namespace napster
