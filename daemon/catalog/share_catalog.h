// SPDX-License-Identifier: MIT
#pragma once

// napeerd's own list of the files it shares: what it registers at the index
// and the only files its upload server will serve. Pure data structure: no
// I/O. Loop thread only.
//
// Each file gets a file id that stays the same while the file stays at the
// same place, so the index can be told of one change at a time.

#include "content/hash_cache.h"
#include "fs/share_scan.h"
#include "protocol/index_messages.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace napster {

struct SharedFile {
    std::uint64_t file_id = 0;
    std::uint32_t root = 0; // index into roots()
    std::string rel_path;   // below the root, validated by relative_path_problem
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t ctime_ns = 0;
    // The hashes of the bytes the file had when stat said `key()`; null
    // until hashed, and again once the file changes.
    content::SharedContent content;
    // Which blocks this napeerd has itself seen match `content`: all of
    // them when it hashed the file or saved it from verified bytes, none
    // when the hashes came from the hash cache (a cache can lie), then
    // each one an upload read and found good. An upload whose blocks are
    // all confirmed goes by sendfile without reading them; any other reads
    // and checks each block before it is sent.
    bool all_confirmed = false;
    std::vector<bool> confirmed_blocks; // when not all_confirmed
    std::uint64_t unconfirmed_blocks = 0; // of confirmed_blocks, those still false

    bool blocks_confirmed(std::uint64_t offset, std::uint64_t length) const;

    std::string_view name() const;
    content::FileKey key() const { return {device, inode, size, mtime_ns, ctime_ns}; }
};

// What the index must be told after a change to the share list.
struct ShareDelta {
    std::vector<protocol::FileEntry> upserted; // added or changed
    std::vector<std::uint64_t> removed;
    std::vector<std::string> removed_paths; // beside `removed`, for the log

    bool empty() const { return upserted.empty() && removed.empty(); }
};

struct FileChange {
    enum class Kind { added, updated, unchanged } kind;
    std::uint64_t file_id;
};

class ShareCatalog {
public:
    explicit ShareCatalog(std::vector<std::string> roots) : roots_(std::move(roots)) {}

    // The share roots by slot: a file names its root by slot, so a root
    // added at a reload takes a new slot, and a removed one leaves its slot
    // empty (""), never reused: a walk or stat still running on the thread
    // pool may name it, and must find it gone rather than another root.
    // An empty slot costs an empty string.
    const std::vector<std::string>& roots() const { return roots_; }
    bool root_active(std::uint32_t root) const { return root < roots_.size() && !roots_[root].empty(); }
    std::size_t active_root_count() const;
    // The slot of a new root, which has no files yet.
    std::uint32_t add_root(std::string path);
    // Removes a root's files (what the index must be told) and empties its slot.
    ShareDelta remove_root(std::uint32_t root);

    // Adds a file or records its new stat; a changed file loses its
    // hashes (any of size, times, device or inode differing). A file of a
    // removed root is ignored (unchanged, file id 0).
    FileChange upsert(const ScannedFile& found);
    // The id the file had, if it was shared.
    std::optional<std::uint64_t> remove(std::uint32_t root, const std::string& rel_path);

    // Makes the part of the catalog below `prefix` in `root` ("" = the
    // whole root) equal to `found`, a complete listing of that subtree:
    // what is new or changed is upserted, what is gone is removed. Serves
    // periodic rescans, new directories (their walk) and removed ones
    // (an empty listing). Entries of `found` outside the subtree are ignored.
    ShareDelta replace_subtree(std::uint32_t root, std::string_view prefix,
                               const std::vector<ScannedFile>& found);

    // Where a file's hashes come from: whether its blocks count as
    // confirmed (SharedFile::all_confirmed).
    enum class ContentSource { hashed_here, hash_cache };
    // Gives the file its hashes, if it still is as `key` says (it may have
    // changed while being hashed); whether it did.
    bool set_content(std::uint64_t file_id, const content::FileKey& key, content::SharedContent content,
                     ContentSource source);
    // An upload read block `block` of the file, still as `key` says, and
    // found it matches the file's hashes.
    void confirm_block(std::uint64_t file_id, const content::FileKey& key, std::uint64_t block);
    // Takes the file's hashes away, if it still is as `key` says and has
    // them: its bytes were found not to match them although its stat is the
    // same, so it is to be hashed again. Whether it had them.
    bool drop_content(std::uint64_t file_id, const content::FileKey& key);

    const SharedFile* find(std::uint64_t file_id) const;
    const SharedFile* find(std::uint32_t root, const std::string& rel_path) const;

    protocol::FileEntry entry(const SharedFile& file) const;
    // Every file, ordered by root and path.
    std::vector<protocol::FileEntry> entries() const;
    // The ids of every file, in the same order: a snapshot 8 bytes a file,
    // for lists sent a batch at a time (see ShareListCursor).
    std::vector<std::uint64_t> file_ids() const;
    std::string full_path(const SharedFile& file) const;
    // The hashes of every hashed file, keyed by stat: what the hash cache
    // file keeps. Shares the hashes, copies no leaf.
    content::HashCache hash_cache() const;

    std::size_t size() const { return by_id_.size(); }
    std::uint64_t total_bytes() const { return total_bytes_; }
    // Files without hashes yet, and their bytes: hashing's work left.
    std::uint64_t unhashed_files() const { return unhashed_files_; }
    std::uint64_t unhashed_bytes() const { return unhashed_bytes_; }

private:
    void count_unhashed(const SharedFile& file, int sign);

    using Location = std::pair<std::uint32_t, std::string>;

    std::vector<std::string> roots_;
    std::unordered_map<std::uint64_t, SharedFile> by_id_;
    std::map<Location, std::uint64_t> by_location_;
    std::uint64_t next_id_ = 1;
    std::uint64_t total_bytes_ = 0;
    std::uint64_t unhashed_files_ = 0;
    std::uint64_t unhashed_bytes_ = 0;
};

// Walks a snapshot of the share's file ids a batch at a time, encoding each
// file as it is when its batch is taken: a list of a million files is sent
// without a million entries in memory at once. A file removed since the
// snapshot is skipped (its removal, sent after the list, is then a no-op);
// one added since is not in it and travels as its own change.
class ShareListCursor {
public:
    explicit ShareListCursor(std::vector<std::uint64_t> file_ids) : ids_(std::move(file_ids)) {}

    // The next batch, within the limits split_into_batches keeps; empty
    // when the snapshot is used up.
    std::vector<protocol::FileEntry> next_batch(const ShareCatalog& shares);
    bool done() const { return next_ == ids_.size(); }
    // Entries returned so far.
    std::uint64_t sent() const { return sent_; }

private:
    std::vector<std::uint64_t> ids_;
    std::size_t next_ = 0;
    std::uint64_t sent_ = 0;
};

// Splits a list of batch entries so that no FILES_ADD frame passes the
// frame limit or max_batch_files.
std::vector<std::vector<protocol::FileEntry>>
split_into_batches(std::vector<protocol::FileEntry> files);

} // namespace napster
