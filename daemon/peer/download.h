// SPDX-License-Identifier: MIT
#pragma once

// Downloads: one Download fetches one file from the first holder that
// delivers it, writing to a hidden temporary name in the output directory
// and linking it to its final name only when every byte has arrived and
// been synced. A name from the index or a peer is never used as a path:
// it has passed file_name_problem() and becomes one component inside the
// output directory. An existing file is never replaced.
//
// Ownership: DownloadManager owns every Download; a Download owns its
// connection (through close()), its timer and its temporary file, and is
// destroyed only when none of its thread-pool jobs is in flight. Loop
// thread only.

#include "event/connection.h"
#include "event/timer.h"
#include "protocol/control_messages.h"
#include "protocol/transfer_messages.h"
#include "util/result.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace napster {

class PeerDaemon;

struct FetchPlan {
    std::string name;
    std::uint64_t size = 0;                 // as the index listed it, for progress
    std::vector<protocol::Holder> holders;  // tried in order
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

    std::uint32_t active() const { return static_cast<std::uint32_t>(downloads_.size()); }
    std::uint64_t completed() const { return completed_; }

    // For downloads.
    PeerDaemon& daemon() { return daemon_; }
    std::uint64_t next_unique() { return ++unique_; }
    void finished(class Download* download, bool ok);

private:
    PeerDaemon& daemon_;
    std::unordered_map<Download*, std::unique_ptr<Download>> downloads_;
    std::uint64_t completed_ = 0;
    std::uint64_t unique_;
};

class Download final : public Connection::Handler {
public:
    Download(DownloadManager& manager, FetchPlan plan, DownloadManager::ProgressCallback progress,
             DownloadManager::DoneCallback done);

    void start();
    void abort(const std::string& reason);

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_raw(Connection& connection, ByteSpan bytes) override;
    void on_closed(Connection& connection, const std::string& reason) override;

private:
    enum class Stage { idle, connecting, hello, get, body };

    void try_next_holder();
    void holder_failed(const std::string& reason);
    void begin_body(const protocol::GetOk& ok);
    void write_pending();
    void maybe_complete();
    void finish(Result<protocol::FetchDone> result);
    void report_progress(bool force);
    void settle();
    std::string holder_text() const;

    DownloadManager& manager_;
    FetchPlan plan_;
    DownloadManager::ProgressCallback progress_;
    DownloadManager::DoneCallback done_;
    Timer stall_timer_;
    Connection* connection_ = nullptr;
    Stage stage_ = Stage::idle;
    std::size_t holder_index_ = 0;
    std::vector<std::string> failures_;
    std::string final_path_;
    std::string temp_path_;
    int fd_ = -1;
    std::uint64_t length_ = 0;
    std::uint64_t received_ = 0;
    std::uint64_t written_ = 0;
    Bytes pending_;
    bool writing_ = false;
    int jobs_ = 0;
    std::uint64_t last_progress_ms_ = 0;
    std::uint64_t started_ms_ = 0;
    bool finished_ = false;
    bool aborted_ = false;
};

} // namespace napster
