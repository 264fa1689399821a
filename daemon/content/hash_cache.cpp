// SPDX-License-Identifier: MIT
#include "content/hash_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace napster::content {
namespace {

constexpr std::string_view magic = "NAPHASHC";
constexpr std::size_t header_size = 8 + 4 + 8;         // magic, version, count
constexpr std::size_t min_entry_size = 5 * 8 + 2 * 32; // key, root, one leaf

Error damaged(std::string why) {
    return make_error(ErrorCode::malformed, fmt::format("hash cache is damaged: {}", why));
}

} // namespace

std::size_t FileKeyHash::operator()(const FileKey& key) const {
    // Boost's hash_combine over the five fields.
    std::size_t h = 0;
    for (std::uint64_t v :
         {key.device, key.inode, key.size, static_cast<std::uint64_t>(key.mtime_ns),
          static_cast<std::uint64_t>(key.ctime_ns)})
        h ^= std::hash<std::uint64_t>{}(v) + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    return h;
}

SharedContent HashCache::lookup(const FileKey& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : it->second;
}

void HashCache::insert(const FileKey& key, SharedContent content) {
    assert(content && content->size == key.size);
    entries_.insert_or_assign(key, std::move(content));
}

bool HashCache::erase(const FileKey& key) {
    return entries_.erase(key) > 0;
}

std::size_t HashCache::prune(std::span<const FileKey> keep) {
    std::unordered_set<FileKey, FileKeyHash> kept(keep.begin(), keep.end());
    return std::erase_if(entries_,
                         [&kept](const auto& entry) { return !kept.contains(entry.first); });
}

Bytes encode_cache(const HashCache& cache) {
    std::vector<const std::pair<const FileKey, SharedContent>*> sorted;
    sorted.reserve(cache.size());
    std::size_t leaves = 0;
    for (const auto& entry : cache.entries()) {
        sorted.push_back(&entry);
        leaves += entry.second->blocks.size();
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });

    Bytes out;
    out.reserve(header_size + sorted.size() * (5 * 8 + digest_size) + leaves * digest_size +
                digest_size);
    ByteWriter w(out);
    w.raw(magic);
    w.u32(hash_cache_version);
    w.u64(sorted.size());
    for (const auto* entry : sorted) {
        const FileKey& key = entry->first;
        const HashedContent& content = *entry->second;
        assert(content.blocks.size() == block_count(key.size));
        w.u64(key.device);
        w.u64(key.inode);
        w.u64(key.size);
        w.u64(static_cast<std::uint64_t>(key.mtime_ns));
        w.u64(static_cast<std::uint64_t>(key.ctime_ns));
        w.raw(content.root);
        for (const Digest& leaf : content.blocks)
            w.raw(leaf);
    }
    w.raw(Sha256().of(out));
    return out;
}

Result<HashCache> decode_cache(ByteSpan bytes) {
    // Magic and version first, each on its own, so that another file or a
    // newer napeerd's cache is named as such rather than called damaged.
    if (bytes.size() < magic.size() || std::memcmp(bytes.data(), magic.data(), magic.size()) != 0)
        return make_error(
            ErrorCode::malformed,
            fmt::format("not a napster hash cache: it does not start with \"{}\"", magic));
    ByteReader in(bytes.subspan(magic.size()));
    std::uint32_t version = in.u32("format version");
    if (!in.ok()) return damaged(in.error());
    if (version != hash_cache_version)
        return make_error(
            ErrorCode::malformed,
            fmt::format("hash cache has format version {}; this napster reads version {}", version,
                        hash_cache_version));
    if (bytes.size() < header_size + digest_size)
        return damaged(fmt::format("{} bytes, shorter than a header and a checksum ({})",
                                   bytes.size(), header_size + digest_size));
    ByteSpan body = bytes.first(bytes.size() - digest_size);
    ByteSpan checksum = bytes.last(digest_size);
    Digest actual = Sha256().of(body);
    if (!std::equal(actual.begin(), actual.end(), checksum.begin()))
        return damaged("its checksum does not match (a torn write or a changed file)");

    // The checksum held, so what follows can fail only on a file written
    // wrong; it is checked all the same, as any input is.
    in = ByteReader(body.subspan(magic.size() + 4));
    std::uint64_t count = in.u64("entry count");
    if (count > in.remaining() / min_entry_size)
        return damaged(fmt::format("{} entries cannot fit in {} bytes", count, in.remaining()));
    HashCache cache;
    for (std::uint64_t i = 0; i < count && in.ok(); ++i) {
        FileKey key;
        key.device = in.u64("device");
        key.inode = in.u64("inode");
        key.size = in.u64("size");
        key.mtime_ns = static_cast<std::int64_t>(in.u64("mtime"));
        key.ctime_ns = static_cast<std::int64_t>(in.u64("ctime"));
        HashedContent content;
        content.size = key.size;
        content.root = read_digest(in, "root");
        std::uint64_t leaves = block_count(key.size);
        if (leaves > in.remaining() / digest_size) {
            in.fail(
                fmt::format("entry {} ({} bytes) needs {} leaves, more than the {} bytes left hold",
                            i + 1, key.size, leaves, in.remaining()));
            break;
        }
        content.blocks.resize(static_cast<std::size_t>(leaves));
        for (Digest& leaf : content.blocks)
            leaf = read_digest(in, "leaf");
        if (cache.lookup(key) != nullptr) {
            in.fail(fmt::format("entry {} repeats the key of an earlier one", i + 1));
            break;
        }
        cache.insert(key, std::make_shared<const HashedContent>(std::move(content)));
    }
    in.expect_end("the entry list");
    if (!in.ok()) return damaged(in.error());
    return cache;
}

} // namespace napster::content
