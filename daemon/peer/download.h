// SPDX-License-Identifier: MIT
#pragma once

// Downloads. One Download fetches one content from the first holder that
// delivers it, writing to a hidden partial file in the output directory
// and linking it to its final name only when it is complete, verified
// where it can be, and synced. A name from the index or a peer is never
// used as a path: it has passed file_name_problem() and becomes one
// component inside the output directory. An existing file is never
// replaced.
//
// Content with a root (napster-protocol(7), "Content identity"): the
// holder's block hashes are fetched first (GET_HASHES) and checked against
// the root; each block is checked as it arrives. A bad block drops that
// holder for this download, the log names it, and the next holder goes on
// from the first block not yet verified. The partial file is named for the
// root (.napster-ROOT.part) and its state (fs/resume_state.h) is kept in
// STATE_DIR/partials/ROOT.state, so an interrupted download (napeerd
// stopped or killed, every holder gone) resumes from its verified blocks,
// from any holder: at a later fetch of that content, or when napeerd is
// back at the index. A second fetch of content already downloading joins
// it. Partials untouched for download.keep_partial are removed.
//
// Content without a root yet (its holders have not hashed it): fetched
// whole from one holder; if that holder names a root in GET_OK the file is
// hashed and checked against it before it is linked, else the outcome says
// it was not verified. Such a download does not resume.
//
// Ownership: DownloadManager's registry owns every Download. A Download is
// a Session: it is finished when it has reported its outcome, and freed
// once no file operation of its (each holds it) is in flight. It owns its
// connector, its connection (through close()), its timers and its
// partial file's descriptor. Loop thread only.

#include "content/hash_tree.h"
#include "event/connection.h"
#include "event/connector.h"
#include "event/session.h"
#include "event/timer.h"
#include "fs/resume_state.h"
#include "protocol/control_messages.h"
#include "protocol/transfer_messages.h"
#include "util/fill_buffer.h"
#include "util/result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace napster {

class PeerDaemon;
class Download;

struct FetchPlan {
    std::string name;                      // to save as
    std::uint64_t size = 0;                // as the index listed it
    protocol::RootHash root;               // the content, when hashed
    std::vector<protocol::Holder> holders; // tried in order
    std::string output_dir;
};

class DownloadManager {
public:
    using ProgressCallback = std::function<void(std::uint64_t received, std::uint64_t total)>;
    using DoneCallback = std::function<void(Result<protocol::FetchDone>)>;

    explicit DownloadManager(PeerDaemon& daemon);
    ~DownloadManager();

    // At napeerd start, whether or not the index can be reached: removes
    // the partials untouched for download.keep_partial and those that can
    // never resume; again daily.
    void start();
    // Starts a download, or joins the one already fetching that root.
    void fetch(FetchPlan plan, ProgressCallback progress, DoneCallback done);
    // Once registered at the index: the same removal, then resumes the
    // other partials (each searched for by root).
    void resume_interrupted();
    void stop();

    std::uint32_t active() const { return active_; }
    std::uint64_t completed() const { return completed_; }

    // For downloads.
    PeerDaemon& daemon() { return daemon_; }
    std::uint64_t next_unique() { return ++unique_; }
    void download_ended(const Download& download, bool ok);
    std::string state_path(const content::Digest& root) const;

private:
    // One sweep of the partials at a time; one asked for meanwhile runs
    // after it (resuming if either asked to).
    void sweep_partials(bool resume);
    void sweep_done();
    void resume_one(ResumeState state);

    PeerDaemon& daemon_;
    SessionRegistry<Download> downloads_;
    std::map<content::Digest, Download*> by_root_;
    Timer cleanup_timer_;
    std::uint32_t active_ = 0;
    std::uint64_t completed_ = 0;
    std::uint64_t unique_;
    bool sweeping_ = false;
    std::optional<bool> sweep_next_; // asked for while sweeping: whether to resume
};

class Download final : public Session, public Connection::Handler {
public:
    Download(DownloadManager& manager, FetchPlan plan);
    ~Download() override;

    void add_listener(DownloadManager::ProgressCallback progress, DownloadManager::DoneCallback done);
    void start();
    void abort(const std::string& reason);
    const FetchPlan& plan() const { return plan_; }
    const std::string& part_path() const { return part_path_; }

    void on_frame(Connection& connection, const protocol::Frame& frame) override;
    void on_raw(Connection& connection, ByteSpan bytes) override;
    std::span<std::byte> raw_room(Connection& connection) override;
    void pace_reading(Connection& connection, std::uint64_t bytes);
    void on_closed(Connection& connection, const std::string& reason) override;

private:
    // between_holders: no holder is being tried (before the first, or
    // after one failed). checking: the blocks a resumed partial file claims
    // are read and checked on the thread pool.
    enum class Stage { between_holders, connecting, hello, hashes, checking, get, body };
    struct Listener {
        DownloadManager::ProgressCallback progress;
        DownloadManager::DoneCallback done;
    };

    void opened(int fd, std::optional<ResumeState> state);
    void try_next_holder();
    void connected(Result<Connection*> connection);
    void handle_welcome(const protocol::Frame& frame);
    void ask_hashes();
    void handle_hashes(const protocol::Frame& frame);
    void check_claimed_blocks();
    void send_get();
    void handle_get_ok(const protocol::Frame& frame);
    void write_pending();
    bool has_pending() const { return pending_ && !pending_->empty(); }
    void drop_pending() {
        if (pending_) pending_->clear();
    }
    void written(std::vector<std::pair<std::uint64_t, bool>> checked);
    void holder_failed(const std::string& reason);
    void next_step();
    void finish_file();
    void verify_whole_file();
    void complete(bool verified);
    void save_state();
    void finish_with(Result<protocol::FetchDone> result);
    void report_progress(bool force);
    void restart_stall_timer();
    void check_rate();
    std::string holder_text() const;
    const protocol::Holder& holder() const { return plan_.holders.at(holder_index_ - 1); }
    std::uint64_t first_missing_block() const;
    std::uint64_t verified_bytes() const;
    bool resumable() const { return plan_.root.has_value(); }

    DownloadManager& manager_;
    FetchPlan plan_;
    std::vector<Listener> listeners_;
    Connector connector_;
    Timer stall_timer_;
    Timer rate_timer_;
    Timer state_timer_; // saves the state when bytes stop coming
    Timer flush_timer_; // writes a batch that is not full once it has waited
    bool flush_due_ = false;
    Timer limit_timer_; // resumes reading once download.rate_limit allows
    Connection* connection_ = nullptr;
    Stage stage_ = Stage::between_holders;
    std::size_t holder_index_ = 0;
    std::vector<std::string> failures_;
    std::string final_path_;
    std::string part_path_;
    int fd_ = -1;
    // One file operation at a time (open, write, check, drop, sync and
    // link), so none closes the descriptor under another.
    bool file_busy_ = false;
    // The file could not be opened or written: the holder's bytes, even
    // all of them, do not make a download.
    bool file_failed_ = false;
    // With a root: the block hashes, once checked against it, and which
    // blocks of the partial file hold verified bytes.
    content::HashedContent content_;
    std::vector<bool> verified_;
    std::vector<bool> claimed_; // from the resume state, to check again
    bool state_dirty_ = false;
    std::uint64_t state_saved_ms_ = 0;
    // Without a root: the one a holder named in GET_OK, to check at the end.
    protocol::RootHash holder_root_;
    // The current GET: bytes from body_offset_ on.
    std::uint64_t body_offset_ = 0;
    std::uint64_t length_ = 0;
    std::uint64_t received_ = 0;
    std::uint64_t written_ = 0; // file offset written up to
    // Arrived, not yet written: the socket reads into pending_'s room, a
    // full buffer goes to the thread pool in one pwrite, and spare_ (the
    // one last written) takes its place: no copy, no zero-fill, no regrowth.
    std::shared_ptr<FillBuffer> pending_;
    std::shared_ptr<FillBuffer> spare_;
    std::shared_ptr<content::TreeHasher> block_hasher_; // the current GET's blocks
    std::string bad_data_;      // why the holder's bytes were refused
    std::uint64_t rate_window_ms_ = 0;
    std::uint64_t rate_window_bytes_ = 0;
    std::uint64_t last_progress_ms_ = 0;
    std::uint64_t started_ms_ = 0;
    bool reported_ = false;
    bool aborted_ = false;
};

} // namespace napster
