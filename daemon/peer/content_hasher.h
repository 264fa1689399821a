// SPDX-License-Identifier: MIT
#pragma once

// Gives every shared file its content hashes: from the hash cache when the
// file's stat matches an entry (a restart re-hashes nothing unchanged),
// else by reading it on the thread pool, at most share.hash_jobs files at
// once so that uploads and downloads keep threads of their own. A file is
// announced by name first and again once its hash is known, with the other
// files hashed within 100 ms (one FILES_ADD, not one a file), and at once
// when nothing is left to hash.
//
// The cache lives in STATE_DIR/hash-cache (content/hash_cache.h). It is
// read once at start, consulted for the files the first walk finds, then
// dropped: from then on the share list holds every hash, and each save
// writes what the share list holds (a file no longer shared leaves the
// cache with it). Saves are crash-safe (util/whole_file.h), a few seconds
// after the last change and once more at stop.
//
// Ownership: owns its timers; the share list owns the hashes. Lives as long
// as the PeerDaemon. Loop thread only.

#include "catalog/share_catalog.h"
#include "content/hash_cache.h"
#include "event/timer.h"
#include "protocol/index_messages.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace napster {

class PeerDaemon;

class ContentHasher {
public:
    explicit ContentHasher(PeerDaemon& daemon);

    // Blocking, for the start-up walk's thread-pool job: reads the cache
    // file under `state_dir`; a missing one is an empty cache, a damaged
    // one too, with `warning` saying so (the caller logs it).
    static content::HashCache load_cache(const std::string& state_dir, std::string& warning);
    void adopt_cache(content::HashCache cache) { cache_ = std::move(cache); }

    // For files just added or changed: each either gets its hashes from the
    // cache at once (its entry then carries the root) or is queued to be
    // hashed. The first walk's files pass here before registration, the
    // others before their announcement.
    void prepare(std::vector<protocol::FileEntry>& entries);
    // Every file of the share list, after the first walk; then the start-up
    // cache is dropped.
    void prepare_all();

    // A file given its hashes by other means (a verified download): the
    // cache file is to include it.
    void note_known() {
        dirty_ = true;
        schedule_save();
    }
    // A file whose bytes were found not to match its hashes while it was
    // served, although its stat is still `key` (a hash cache that lies, a
    // write the times do not show): it loses its hashes, the index hears it
    // is unhashed, and it is hashed again. Nothing if it has changed since,
    // or has no hashes any more (another upload found it first).
    void rehash(std::uint64_t file_id, const content::FileKey& key);
    void stop();
    // A reload changed share.hash_jobs: a raised count starts its jobs now.
    void hash_jobs_changed() { pump(); }

    std::size_t running() const { return running_; }

private:
    struct HashJob;

    void want(std::uint64_t file_id);
    void pump();
    void hash_batch(std::shared_ptr<std::vector<HashJob>> batch);
    void hashed(std::uint64_t file_id, const content::FileKey& key, content::SharedContent content);
    void announce_roots();
    void schedule_save();
    void save();

    PeerDaemon& daemon_;
    content::HashCache cache_; // the start-up cache, until prepare_all
    std::deque<std::uint64_t> queue_;
    std::unordered_set<std::uint64_t> queued_;
    std::size_t running_ = 0;
    std::size_t hashed_in_burst_ = 0; // since the queue was last empty
    Timer save_timer_;
    Timer announce_timer_;
    std::vector<std::uint64_t> to_announce_; // hashed since the last FILES_ADD of roots
    bool dirty_ = false;
    bool saving_ = false;
    bool stopping_ = false;
};

} // namespace napster
