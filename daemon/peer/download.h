// SPDX-License-Identifier: MIT
#pragma once

// Downloads. One Download fetches one content, writing to a hidden partial
// file in the output directory and linking it to its final name only when
// it is complete, verified where it can be, and synced. A name from the
// index or a peer is never used as a path: it has passed file_name_problem()
// and becomes one component inside the output directory. An existing file
// is never replaced.
//
// Content with a root (napster-protocol(7), "Content identity"): the block
// hashes are fetched first (GET_HASHES, from the first holder) and checked
// against the root. Then a RangePlan cuts the blocks not yet verified into
// ranges, pulled in parallel from up to download.max_sources holders, one
// DownloadSource (one connection at a time) each; each block is checked
// as it arrives and written only if it matches. A bad block, a failed or
// slow holder drops that holder for this download, the log names it, and
// its blocks go back to the plan for the others; in the endgame a holder
// that has delivered is given a copy of the longest range left, and the
// loser is closed. Holders that answer busy are asked again after a
// BusyBackoff wait once no other holder can go on. The partial file is
// named for the root (.napster-ROOT.part) and its state
// (fs/resume_state.h) is kept in STATE_DIR/partials/ROOT.state, so an
// interrupted download (napeerd stopped or killed, every holder gone)
// resumes from its verified blocks, from any holder: at a later fetch of
// that content, or when napeerd is back at the index. A second fetch of
// content already downloading joins it. Partials untouched for
// download.keep_partial are removed.
//
// Content without a root yet (its holders have not hashed it): fetched
// whole from one holder at a time; if that holder names a root in GET_OK
// the file is hashed and checked against it before it is linked, else the
// outcome says it was not verified. Such a download does not resume.
//
// Ownership: DownloadManager's registry owns every Download. A Download is
// a Session: it is finished when it has reported its outcome, and freed
// once no file operation of its (each holds it) is in flight; it reports
// its outcome only once every source's connection has closed. It owns its
// sources, its timers and its partial file's descriptor. Loop thread only.

#include "content/hash_tree.h"
#include "event/session.h"
#include "event/timer.h"
#include "fs/resume_state.h"
#include "peer/busy_backoff.h"
#include "peer/download_source.h"
#include "peer/range_plan.h"
#include "protocol/control_messages.h"
#include "protocol/transfer_messages.h"
#include "util/fill_buffer.h"
#include "util/owned_fd.h"
#include "util/result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <set>
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
    // The directory as its caller named it: for replies and logs.
    std::string output_dir;
    // The directory itself, opened by the caller with its own rights and
    // passed over the control socket; null: the download dir, which the
    // download opens. Every file operation goes through it, never through
    // output_dir. Shared with the thread-pool work that uses it, so it is
    // closed once, after the last of them.
    std::shared_ptr<const OwnedFd> output_dir_fd;
};

class DownloadManager {
public:
    using ProgressCallback = std::function<void(const protocol::FetchProgress& progress)>;
    using DoneCallback = std::function<void(Result<protocol::FetchDone>)>;

    explicit DownloadManager(PeerDaemon& daemon);
    ~DownloadManager();

    // At napeerd start, whether or not the index can be reached: removes
    // the partials untouched for download.keep_partial and those that can
    // never resume; again daily.
    void start();
    // Starts a download, or joins the one already fetching that root. The
    // first progress report, at once, carries its transfer id.
    void fetch(FetchPlan plan, ProgressCallback progress, DoneCallback done);
    // WAIT: follows a running download as fetch() does; false when no
    // download with that id runs.
    bool follow(protocol::TransferId id, ProgressCallback progress, DoneCallback done);
    // napctl cancel: false when no download with that id runs. The
    // verified blocks stay with the resume state; the download is not
    // resumed on its own again, only by the next fetch of its content (or
    // after a restart of napeerd).
    bool cancel(protocol::TransferId id, const std::string& reason);
    // Each running download tells the registry where it stands.
    void report_progress();
    // Once registered at the index: the same removal, then resumes the
    // other partials (each searched for by root).
    void resume_interrupted();
    void stop();

    std::uint32_t active() const { return active_; }
    // The holders every running download pulls from now, at most `limit`.
    std::vector<protocol::TransferPeer> sources_in_use(std::size_t limit) const;
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
    std::map<protocol::TransferId, Download*> by_id_;
    std::set<content::Digest> cancelled_roots_; // not resumed on their own
    Timer cleanup_timer_;
    std::uint32_t active_ = 0;
    std::uint64_t completed_ = 0;
    std::uint64_t unique_;
    bool sweeping_ = false;
    std::optional<bool> sweep_next_; // asked for while sweeping: whether to resume
};

class Download final : public Session {
public:
    Download(DownloadManager& manager, FetchPlan plan, protocol::TransferId transfer_id);
    ~Download() override;

    protocol::TransferId transfer_id() const { return transfer_id_; }
    // napctl cancel: the sources close, the verified blocks are saved with
    // the resume state, and the outcome is a `cancelled` error. False once
    // the outcome is decided or the file is being synced and linked: it
    // ends as it is.
    bool cancel(const std::string& reason);
    // What it does now (never an ended state).
    protocol::TransferState phase() const;
    // Reports to the registry (and, past the interval or with `force`, to
    // the listeners).
    void report_progress(bool force);
    void add_listener(DownloadManager::ProgressCallback progress, DownloadManager::DoneCallback done);
    void start();
    void abort(const std::string& reason);
    const FetchPlan& plan() const { return plan_; }
    const std::string& part_path() const { return part_path_; }
    PeerDaemon& daemon();
    // The holders it has a connection to now.
    std::vector<protocol::TransferPeer> sources_in_use() const;

    // From its sources (download_source.h), on the loop.
    void source_ready(DownloadSource& source);
    void source_hashes(DownloadSource& source, const protocol::Hashes& hashes);
    Status source_get_ok(DownloadSource& source, const protocol::GetOk& ok);
    void source_body_started(DownloadSource& source);
    void source_bytes(DownloadSource& source, ByteSpan bytes);
    std::span<std::byte> source_room(DownloadSource& source);
    void source_closed(DownloadSource& source, DownloadSource::Stage was, const std::string& reason, bool busy);

private:
    struct Listener {
        DownloadManager::ProgressCallback progress;
        DownloadManager::DoneCallback done;
    };
    // One holder of plan_.holders, in the same order: its source, once
    // asked, and what the download keeps of its bytes.
    struct Slot {
        std::unique_ptr<DownloadSource> source;
        // Received, not yet written: the socket reads into its room, and a
        // write takes the whole buffer (no copy, no zero-fill, no regrowth).
        std::shared_ptr<FillBuffer> pending;
        std::uint64_t pending_offset = 0; // the file offset of its first byte
        bool body = false;               // a GET_OK has come: pending is file bytes
        bool dropped = false;            // failed or sent bad data: not asked again
        bool busy = false;               // answered busy: asked again after the backoff
        bool cancelled = false;          // closed by us: not a failure
        std::uint64_t verified_blocks = 0;
    };

    void opened(int fd, std::optional<ResumeState> state);
    void next_step();
    void launch_sources();
    void wait_for_busy_holders();
    void give_range(Slot& slot);
    void write_blocks(Slot& slot);
    bool write_due(const Slot& slot) const;
    std::shared_ptr<FillBuffer> take_pending();
    void give_back(std::shared_ptr<FillBuffer> buffer);
    void pace_reading(DownloadSource& source, std::uint64_t bytes);
    static std::size_t pending_size(const Slot& slot) { return slot.pending ? slot.pending->size() : 0; }
    static void clear_pending(Slot& slot) {
        if (slot.pending) slot.pending->clear();
    }
    void write_plain(Slot& slot);
    void blocks_written(Slot& slot, const std::vector<std::pair<std::uint64_t, bool>>& checked);
    void drop(Slot& slot, const std::string& reason);
    void cancel_source(Slot& slot, const std::string& reason);
    void check_claimed_blocks();
    void start_ranges();
    void finish_plain();
    void verify_whole_file();
    void complete(bool verified);
    void save_state();
    void finish_with(Result<protocol::FetchDone> result);
    void finish_now(Result<protocol::FetchDone> result);
    protocol::FetchProgress progress_now() const;
    bool ready_block(const Slot& slot) const;
    Slot& slot_of(const DownloadSource& source) { return slots_.at(source.id()); }
    std::size_t active_sources() const;
    const Slot* main_slot() const;
    std::string sources_text() const;
    std::uint64_t verified_bytes() const;
    bool resumable() const { return plan_.root.has_value(); }
    bool hashes_known() const { return content_.blocks.size() == content::block_count(plan_.size); }

    DownloadManager& manager_;
    FetchPlan plan_;
    protocol::TransferId transfer_id_;
    std::string cancel_reason_; // set: cancelled on request, not by shutdown
    bool checking_ = false;     // a check of the file's blocks runs
    bool syncing_ = false;      // the final fsync and link run
    std::vector<Listener> listeners_;
    std::vector<Slot> slots_; // plan_.holders.size() of them
    Timer state_timer_;       // saves the state when bytes stop coming
    Timer busy_timer_;        // every holder was busy: asks again
    Timer flush_timer_;       // writes batches that are not full once they have waited
    bool flush_due_ = false;
    Timer limit_timer_;       // resumes reading once download.rate_limit allows
    std::vector<std::shared_ptr<FillBuffer>> spare_buffers_;
    BusyBackoff busy_backoff_;
    std::vector<std::string> failures_;
    std::string final_path_;
    std::string part_path_;
    int fd_ = -1;
    // One file operation at a time (open, write, check, drop, sync and
    // link), so none closes the descriptor under another, and a block is
    // written and checked by one job: a copy of it from another source
    // is written only if it is not verified by then.
    bool file_busy_ = false;
    // With a root: the block hashes, once checked against it, which blocks
    // of the partial file hold verified bytes, and who fetches the others.
    content::HashedContent content_;
    std::vector<bool> verified_;
    std::vector<bool> claimed_; // from the resume state, to check again
    std::optional<RangePlan> ranges_;
    bool state_dirty_ = false;
    std::uint64_t state_saved_ms_ = 0;
    // Without a root: the one source, what its holder named in GET_OK (to
    // check at the end), and whether all its bytes came.
    std::optional<std::size_t> plain_source_;
    protocol::RootHash holder_root_;
    bool plain_received_ = false;
    std::uint64_t plain_written_ = 0; // bytes of the partial file to truncate on a new holder
    // The outcome, once decided, waiting for the sources and file
    // operations still under way.
    std::optional<Result<protocol::FetchDone>> outcome_;
    std::uint64_t last_progress_ms_ = 0;
    std::uint64_t started_ms_ = 0;
    bool reported_ = false;
    bool aborted_ = false;
};

} // namespace napster
