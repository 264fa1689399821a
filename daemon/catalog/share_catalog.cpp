// SPDX-License-Identifier: MIT
#include "catalog/share_catalog.h"

#include "util/path_text.h"

#include <set>

namespace napster {

std::string_view SharedFile::name() const {
    return base_name(rel_path);
}

void ShareCatalog::count_unhashed(const SharedFile& file, int sign) {
    if (file.content) return;
    unhashed_files_ += static_cast<std::uint64_t>(sign);
    unhashed_bytes_ += static_cast<std::uint64_t>(sign) * file.size;
}

std::size_t ShareCatalog::active_root_count() const {
    std::size_t count = 0;
    for (const auto& root : roots_) count += root.empty() ? 0 : 1;
    return count;
}

std::uint32_t ShareCatalog::add_root(std::string path) {
    roots_.push_back(std::move(path));
    return static_cast<std::uint32_t>(roots_.size() - 1);
}

ShareDelta ShareCatalog::remove_root(std::uint32_t root) {
    if (!root_active(root)) return {};
    ShareDelta delta = replace_subtree(root, "", {});
    roots_[root].clear();
    return delta;
}

FileChange ShareCatalog::upsert(const ScannedFile& found) {
    if (!root_active(found.root)) return {FileChange::Kind::unchanged, 0};
    auto [it, inserted] = by_location_.try_emplace(Location{found.root, found.rel_path}, next_id_);
    SharedFile& file = inserted ? by_id_[next_id_] : by_id_.at(it->second);
    FileChange change{FileChange::Kind::updated, file.file_id};
    if (inserted) {
        file.file_id = next_id_++;
        file.root = found.root;
        file.rel_path = found.rel_path;
        change = {FileChange::Kind::added, file.file_id};
    } else if (file.key() == content::FileKey{found.device, found.inode, found.size, found.mtime_ns,
                                              found.ctime_ns}) {
        return {FileChange::Kind::unchanged, file.file_id};
    } else {
        count_unhashed(file, -1);
        total_bytes_ -= file.size;
    }
    file.size = found.size;
    file.mtime_ns = found.mtime_ns;
    file.device = found.device;
    file.inode = found.inode;
    file.ctime_ns = found.ctime_ns;
    file.content.reset();
    total_bytes_ += file.size;
    count_unhashed(file, +1);
    return change;
}

bool SharedFile::blocks_confirmed(std::uint64_t offset, std::uint64_t length) const {
    if (!content) return false;
    if (all_confirmed) return true;
    if (length == 0) return true;
    std::uint64_t first = offset / content::block_size;
    std::uint64_t last = (offset + length - 1) / content::block_size;
    for (std::uint64_t b = first; b <= last; ++b)
        if (b >= confirmed_blocks.size() || !confirmed_blocks[b]) return false;
    return true;
}

bool ShareCatalog::set_content(std::uint64_t file_id, const content::FileKey& key, content::SharedContent content,
                               ContentSource source) {
    auto it = by_id_.find(file_id);
    if (it == by_id_.end() || it->second.key() != key || !content || content->size != key.size) return false;
    SharedFile& file = it->second;
    count_unhashed(file, -1);
    file.all_confirmed = source == ContentSource::hashed_here;
    file.confirmed_blocks.clear();
    file.unconfirmed_blocks = 0;
    if (!file.all_confirmed) {
        file.confirmed_blocks.assign(content->blocks.size(), false);
        file.unconfirmed_blocks = content->blocks.size();
    }
    file.content = std::move(content);
    return true;
}

void ShareCatalog::confirm_block(std::uint64_t file_id, const content::FileKey& key, std::uint64_t block) {
    auto it = by_id_.find(file_id);
    if (it == by_id_.end() || it->second.key() != key || it->second.all_confirmed) return;
    SharedFile& file = it->second;
    if (block >= file.confirmed_blocks.size() || file.confirmed_blocks[block]) return;
    file.confirmed_blocks[block] = true;
    // Counted, not searched: an upload confirms every block of a big file.
    if (--file.unconfirmed_blocks == 0) {
        file.all_confirmed = true;
        std::vector<bool>().swap(file.confirmed_blocks);
    }
}

bool ShareCatalog::drop_content(std::uint64_t file_id, const content::FileKey& key) {
    auto it = by_id_.find(file_id);
    if (it == by_id_.end() || it->second.key() != key || !it->second.content) return false;
    it->second.content.reset();
    count_unhashed(it->second, +1);
    return true;
}

std::optional<std::uint64_t> ShareCatalog::remove(std::uint32_t root, const std::string& rel_path) {
    auto it = by_location_.find(Location{root, rel_path});
    if (it == by_location_.end()) return std::nullopt;
    std::uint64_t id = it->second;
    const SharedFile& file = by_id_.at(id);
    total_bytes_ -= file.size;
    count_unhashed(file, -1);
    by_id_.erase(id);
    by_location_.erase(it);
    return id;
}

namespace {

bool below(std::string_view path, std::string_view prefix) {
    if (prefix.empty()) return true;
    return path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
           path[prefix.size()] == '/';
}

} // namespace

ShareDelta ShareCatalog::replace_subtree(std::uint32_t root, std::string_view prefix,
                                         const std::vector<ScannedFile>& found) {
    ShareDelta delta;
    std::set<std::string_view> present;
    for (const auto& f : found) {
        if (f.root != root || !below(f.rel_path, prefix)) continue;
        present.insert(f.rel_path);
        FileChange change = upsert(f);
        if (change.kind != FileChange::Kind::unchanged)
            delta.upserted.push_back(entry(*find(change.file_id)));
    }
    // Paths below a prefix are contiguous in the (root, path) order: every
    // one starts with "prefix/", and nothing else sorts between them.
    std::string start = prefix.empty() ? std::string() : std::string(prefix) + "/";
    std::vector<std::string> gone;
    for (auto it = by_location_.lower_bound(Location{root, start});
         it != by_location_.end() && it->first.first == root && below(it->first.second, prefix);
         ++it)
        if (!present.count(it->first.second)) gone.push_back(it->first.second);
    for (const auto& path : gone)
        if (auto id = remove(root, path)) {
            delta.removed.push_back(*id);
            delta.removed_paths.push_back(path);
        }
    return delta;
}

const SharedFile* ShareCatalog::find(std::uint64_t file_id) const {
    auto it = by_id_.find(file_id);
    return it == by_id_.end() ? nullptr : &it->second;
}

const SharedFile* ShareCatalog::find(std::uint32_t root, const std::string& rel_path) const {
    auto it = by_location_.find(Location{root, rel_path});
    return it == by_location_.end() ? nullptr : find(it->second);
}

protocol::FileEntry ShareCatalog::entry(const SharedFile& file) const {
    protocol::RootHash root;
    if (file.content) root = file.content->root;
    return protocol::FileEntry{file.file_id, file.size, std::string(file.name()), file.rel_path, root};
}

std::vector<protocol::FileEntry> ShareCatalog::entries() const {
    std::vector<protocol::FileEntry> out;
    out.reserve(by_location_.size());
    for (const auto& [location, id] : by_location_)
        out.push_back(entry(by_id_.at(id)));
    return out;
}

std::string ShareCatalog::full_path(const SharedFile& file) const {
    return join_path(roots_.at(file.root), file.rel_path);
}

content::HashCache ShareCatalog::hash_cache() const {
    content::HashCache cache;
    for (const auto& [id, file] : by_id_)
        if (file.content) cache.insert(file.key(), file.content);
    return cache;
}

std::vector<std::uint64_t> ShareCatalog::file_ids() const {
    std::vector<std::uint64_t> ids;
    ids.reserve(by_location_.size());
    for (const auto& [location, id] : by_location_)
        ids.push_back(id);
    return ids;
}

namespace {

// Half the frame limit leaves room for the header and any rounding.
constexpr std::size_t batch_byte_budget = protocol::max_frame_length / 2;

std::size_t batch_bytes(const protocol::FileEntry& f) {
    return 8 + 8 + 1 + f.name.size() + 2 + f.rel_path.size() + protocol::root_size(f.root);
}

} // namespace

std::vector<protocol::FileEntry> ShareListCursor::next_batch(const ShareCatalog& shares) {
    std::vector<protocol::FileEntry> batch;
    std::size_t bytes = 0;
    while (next_ < ids_.size() && batch.size() < protocol::max_batch_files) {
        const SharedFile* file = shares.find(ids_[next_]);
        if (!file) {
            ++next_;
            continue;
        }
        protocol::FileEntry entry = shares.entry(*file);
        std::size_t size = batch_bytes(entry);
        if (!batch.empty() && bytes + size > batch_byte_budget) break;
        bytes += size;
        batch.push_back(std::move(entry));
        ++next_;
    }
    sent_ += batch.size();
    return batch;
}

std::vector<std::vector<protocol::FileEntry>>
split_into_batches(std::vector<protocol::FileEntry> files) {
    std::vector<std::vector<protocol::FileEntry>> batches;
    std::vector<protocol::FileEntry> current;
    std::size_t bytes = 0;
    for (auto& f : files) {
        std::size_t size = batch_bytes(f);
        if (!current.empty() &&
            (current.size() == protocol::max_batch_files || bytes + size > batch_byte_budget)) {
            batches.push_back(std::move(current));
            current.clear();
            bytes = 0;
        }
        bytes += size;
        current.push_back(std::move(f));
    }
    if (!current.empty()) batches.push_back(std::move(current));
    return batches;
}

} // namespace napster
