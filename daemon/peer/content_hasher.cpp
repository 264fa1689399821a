// SPDX-License-Identifier: MIT
#include "peer/content_hasher.h"

#include "content/hash_tree.h"
#include "event/work.h"
#include "fs/shared_file.h"
#include "peer/peer_daemon.h"
#include "util/path_text.h"
#include "util/text.h"
#include "util/whole_file.h"

#include <unistd.h>

#include <fmt/format.h>

#include <memory>
#include <utility>

namespace napster {
namespace {

constexpr const char* cache_file_name = "hash-cache";
// A cache of 1 GiB holds the leaves of some 30 TB of shared files.
constexpr std::size_t max_cache_bytes = std::size_t{1} << 30;
// Saves wait this long after the last new hash, so that a burst of new
// files costs one write.
constexpr std::uint64_t save_delay_ms = 5'000;
// New roots wait this long for others to share their FILES_ADD.
constexpr std::uint64_t announce_delay_ms = 100;

// Files hashed in one thread-pool job at most: small ones share a job, a
// large one has its own.
constexpr std::size_t max_files_per_job = 64;
constexpr std::uint64_t max_bytes_per_job = 8 * 1024 * 1024;

} // namespace

// One file to hash on the thread pool, and what its hashing found. The
// inputs are copies: the job touches nothing of the loop's.
struct ContentHasher::HashJob {
    std::uint64_t file_id = 0;
    std::string rel_path;
    std::string path;
    std::string root;
    content::FileKey expected{}; // the stat the share list knows
    Result<content::HashedContent> content = make_error(ErrorCode::internal, "not run");
    content::FileKey key{};      // the file's stat when opened
    bool changed = false;        // not the file the share list knows, or rewritten while read

    void run() {
        auto opened = open_shared_file(path, root);
        if (!opened) {
            content = opened.error();
            return;
        }
        key = opened->key;
        if (key != expected) {
            changed = true;
        } else {
            content = content::hash_file(opened->fd, key.size);
            auto after = file_key_of_fd(opened->fd);
            changed = !after || *after != key;
        }
        ::close(opened->fd);
    }
};

ContentHasher::ContentHasher(PeerDaemon& daemon)
    : daemon_(daemon), save_timer_(daemon.loop()), announce_timer_(daemon.loop()) {}

content::HashCache ContentHasher::load_cache(const std::string& state_dir, std::string& warning) {
    if (state_dir.empty()) return {};
    std::string path = join_path(state_dir, cache_file_name);
    auto bytes = read_small_file(path, max_cache_bytes);
    if (!bytes) {
        if (bytes.error().code != ErrorCode::not_found)
            warning = fmt::format("ignoring the hash cache: {}; every file is hashed again",
                                  bytes.error().message);
        return {};
    }
    auto cache = content::decode_cache(*bytes);
    if (!cache) {
        warning = fmt::format("ignoring the hash cache {}: {}; every file is hashed again", printable(path),
                              cache.error().message);
        return {};
    }
    return std::move(*cache);
}

void ContentHasher::prepare(std::vector<protocol::FileEntry>& entries) {
    ShareCatalog& shares = daemon_.shares();
    for (auto& entry : entries) {
        const SharedFile* file = shares.find(entry.file_id);
        if (!file) continue;
        if (!file->content) {
            if (auto cached = cache_.lookup(file->key()))
                shares.set_content(file->file_id, file->key(), std::move(cached), ShareCatalog::ContentSource::hash_cache);
        }
        if (file->content)
            entry.root = file->content->root;
        else
            want(file->file_id);
    }
    pump();
}

void ContentHasher::prepare_all() {
    ShareCatalog& shares = daemon_.shares();
    std::size_t from_cache = 0;
    for (std::uint64_t id : shares.file_ids()) {
        const SharedFile* file = shares.find(id);
        if (auto cached = cache_.lookup(file->key()); cached && shares.set_content(id, file->key(), cached, ShareCatalog::ContentSource::hash_cache))
            ++from_cache;
        else if (!file->content)
            want(id);
    }
    // The share list holds every hash from here on.
    cache_ = content::HashCache();
    if (from_cache > 0) daemon_.log().info("{} hashed before (hash cache)", count_of(from_cache, "file", "files"));
    if (!queue_.empty())
        daemon_.log().info("hashing {} ({} bytes)", count_of(shares.unhashed_files(), "file", "files"),
                           group_thousands(shares.unhashed_bytes()));
    if (from_cache != 0 || !queue_.empty()) dirty_ = true; // what is gone leaves the cache file
    pump();
    if (dirty_ && queue_.empty() && running_ == 0) schedule_save();
}

void ContentHasher::rehash(std::uint64_t file_id, const content::FileKey& key) {
    ShareCatalog& shares = daemon_.shares();
    if (!shares.drop_content(file_id, key)) return;
    const SharedFile* file = shares.find(file_id);
    daemon_.log().warn("hashing {} again: its bytes do not match its hashes although its stat did not change",
                       printable(file->rel_path));
    // The cache file must not keep the hashes that were wrong.
    dirty_ = true;
    schedule_save();
    std::vector<protocol::FileEntry> entries{shares.entry(*file)};
    prepare(entries);
    daemon_.index().announce_added(entries);
}

void ContentHasher::want(std::uint64_t file_id) {
    if (queued_.insert(file_id).second) queue_.push_back(file_id);
}

void ContentHasher::pump() {
    ShareCatalog& shares = daemon_.shares();
    while (!stopping_ && running_ < daemon_.config().hash_jobs && !queue_.empty()) {
        // Small files go several to a job: a share of many small files
        // would otherwise cost a thread-pool round trip each.
        auto batch = std::make_shared<std::vector<HashJob>>();
        std::uint64_t bytes = 0;
        while (!queue_.empty() && batch->size() < max_files_per_job && bytes < max_bytes_per_job) {
            std::uint64_t id = queue_.front();
            queue_.pop_front();
            queued_.erase(id);
            const SharedFile* file = shares.find(id);
            if (!file || file->content) continue;
            batch->push_back(HashJob{id, file->rel_path, shares.full_path(*file), shares.roots().at(file->root),
                                     file->key()});
            bytes += file->size;
        }
        if (!batch->empty()) hash_batch(batch);
    }
}

void ContentHasher::hash_batch(std::shared_ptr<std::vector<HashJob>> batch) {
    ++running_;
    // share.hash_jobs bounds these; the log shows it (a test counts).
    daemon_.log().debug("hashing job started: {} ({} running, share.hash_jobs {})",
                        count_of(batch->size(), "file", "files"), running_, daemon_.config().hash_jobs);
    queue_work(
        daemon_.loop(), [batch] { for (auto& job : *batch) job.run(); },
        [this, batch] {
            --running_;
            daemon_.log().debug("hashing job ended: {} ({} running)", count_of(batch->size(), "file", "files"),
                                running_);
            if (stopping_) return;
            for (auto& job : *batch) {
                if (!job.changed && job.content)
                    hashed(job.file_id, job.key, std::make_shared<const content::HashedContent>(std::move(*job.content)));
                else if (!job.changed && job.content.error().code == ErrorCode::not_found)
                    // Gone or replaced since it was listed: the watcher (or a
                    // rescan) brings the change; nothing to warn about.
                    daemon_.log().debug("not hashing {}: {}", printable(job.rel_path), job.content.error().message);
                else if (!job.changed)
                    daemon_.log().warn("cannot hash {}: {}; it is shared unverified", printable(job.rel_path),
                                       job.content.error().message);
                // A changed file is hashed again when the share list hears
                // of its new stat (the watcher or a rescan brings it).
            }
            pump();
            if (queue_.empty() && running_ == 0) {
                // Nothing more to wait for: the roots go now, so that once
                // status shows nothing left to hash they are on their way.
                announce_roots();
                if (std::exchange(hashed_in_burst_, 0) > 1) daemon_.log().info("every shared file is hashed");
            }
        });
}

void ContentHasher::hashed(std::uint64_t file_id, const content::FileKey& key, content::SharedContent content) {
    ShareCatalog& shares = daemon_.shares();
    if (!shares.set_content(file_id, key, std::move(content), ShareCatalog::ContentSource::hashed_here)) return;
    const SharedFile* file = shares.find(file_id);
    daemon_.log().debug("hashed {}: {}", printable(file->rel_path), content::hex(file->content->root));
    // Roots go to the index in batches: a share of 300,000 new files must
    // not cost the index 300,000 frames.
    to_announce_.push_back(file_id);
    if (to_announce_.size() >= protocol::max_batch_files)
        announce_roots();
    else if (!announce_timer_.active())
        announce_timer_.start_once(announce_delay_ms, [this] { announce_roots(); });
    ++hashed_in_burst_;
    dirty_ = true;
    schedule_save();
}

void ContentHasher::announce_roots() {
    announce_timer_.stop();
    if (to_announce_.empty()) return;
    ShareCatalog& shares = daemon_.shares();
    std::vector<protocol::FileEntry> entries;
    entries.reserve(to_announce_.size());
    for (std::uint64_t id : std::exchange(to_announce_, {}))
        if (const SharedFile* file = shares.find(id); file && file->content) entries.push_back(shares.entry(*file));
    daemon_.index().announce_added(entries);
}

void ContentHasher::schedule_save() {
    if (stopping_ || saving_ || daemon_.config().state_dir.empty()) return;
    save_timer_.start_once(save_delay_ms, [this] { save(); });
}

void ContentHasher::save() {
    if (saving_ || !dirty_ || daemon_.config().state_dir.empty()) return;
    saving_ = true;
    dirty_ = false;
    auto snapshot = std::make_shared<content::HashCache>(daemon_.shares().hash_cache());
    auto status = std::make_shared<Status>(Ok{});
    queue_work(
        daemon_.loop(),
        [snapshot, status, path = join_path(daemon_.config().state_dir, cache_file_name)] {
            *status = write_file_atomically(path, content::encode_cache(*snapshot));
        },
        [this, snapshot, status] {
            saving_ = false;
            if (!*status) daemon_.log().warn("cannot save the hash cache: {}", status->error().message);
            // Hashes that came while saving go in the next save.
            if (!dirty_) return;
            if (stopping_)
                save();
            else
                schedule_save();
        });
}

void ContentHasher::stop() {
    if (stopping_) return;
    stopping_ = true;
    save_timer_.stop();
    announce_timer_.stop();
    to_announce_.clear();
    queue_.clear();
    queued_.clear();
    // The hashes of this run are kept: one last save, which the loop runs
    // to its end before napeerd exits.
    save();
}

} // namespace napster
