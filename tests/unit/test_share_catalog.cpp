// SPDX-License-Identifier: MIT
#include "catalog/share_catalog.h"

#include "protocol/frame_codec.h"
#include "protocol/message_codec.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

using namespace napster;
using protocol::FileEntry;
using Kind = FileChange::Kind;

namespace {

ShareCatalog two_roots() {
    return ShareCatalog({"/srv/music", "/srv/books/"});
}

FileEntry small_entry(std::uint64_t id) {
    FileEntry f;
    f.file_id = id;
    f.size = id * 10;
    f.name = fmt::format("f{}.mp3", id);
    f.rel_path = "a/" + f.name;
    return f;
}

std::vector<FileEntry> small_entries(std::size_t count) {
    std::vector<FileEntry> files;
    for (std::size_t i = 0; i < count; ++i)
        files.push_back(small_entry(i + 1));
    return files;
}

// A valid relative path of exactly 4000 bytes: 19 directories of 199 bytes,
// then a 200-byte name that carries the id so every path differs.
FileEntry long_entry(std::uint64_t id) {
    FileEntry f;
    f.file_id = id;
    f.size = id;
    std::string path;
    for (int i = 0; i < 19; ++i)
        path += std::string(199, static_cast<char>('a' + i)) + "/";
    std::string name = fmt::format("{:08}", id);
    name += std::string(200 - name.size(), 'n');
    f.rel_path = path + name;
    f.name = name;
    return f;
}

std::vector<FileEntry> flatten(const std::vector<std::vector<FileEntry>>& batches) {
    std::vector<FileEntry> out;
    for (const auto& batch : batches)
        out.insert(out.end(), batch.begin(), batch.end());
    return out;
}

// Every batch must be a FILES_ADD that fits one frame and decodes again.
void check_batches_encode(const std::vector<std::vector<FileEntry>>& batches) {
    for (std::size_t i = 0; i < batches.size(); ++i) {
        INFO("batch ", i);
        REQUIRE_FALSE(batches[i].empty());
        CHECK(batches[i].size() <= protocol::max_batch_files);
        Bytes frame = protocol::encode_message(protocol::FilesAdd{batches[i]});
        CHECK(frame.size() <= protocol::max_frame_length + protocol::frame_header_size);
        protocol::FrameParse parsed = protocol::parse_frame(frame);
        REQUIRE(parsed.status == protocol::FrameStatus::complete);
        CHECK(parsed.consumed == frame.size());
        auto decoded = protocol::decode_message<protocol::FilesAdd>(parsed.frame.payload);
        REQUIRE_MESSAGE(decoded.ok(), decoded.error().message);
        CHECK(decoded->files == batches[i]);
    }
}

} // namespace

TEST_CASE("a new catalog is empty") {
    ShareCatalog catalog = two_roots();
    CHECK(catalog.size() == 0);
    CHECK(catalog.total_bytes() == 0);
    CHECK(catalog.entries().empty());
    CHECK(catalog.find(1) == nullptr);
    CHECK(catalog.find(0, "a.txt") == nullptr);
    REQUIRE(catalog.roots().size() == 2);
    CHECK(catalog.roots()[0] == "/srv/music");
    CHECK(catalog.roots()[1] == "/srv/books/");
}

TEST_CASE("upsert reports added, then unchanged, then updated") {
    ShareCatalog catalog = two_roots();

    FileChange added = catalog.upsert({0, "rock/song.mp3", 100, 5});
    CHECK(added.kind == Kind::added);
    CHECK(added.file_id != 0);
    CHECK(catalog.size() == 1);
    CHECK(catalog.total_bytes() == 100);

    FileChange same = catalog.upsert({0, "rock/song.mp3", 100, 5});
    CHECK(same.kind == Kind::unchanged);
    CHECK(same.file_id == added.file_id);
    CHECK(catalog.size() == 1);
    CHECK(catalog.total_bytes() == 100);

    SUBCASE("a new size is an update") {
        FileChange grown = catalog.upsert({0, "rock/song.mp3", 250, 5});
        CHECK(grown.kind == Kind::updated);
        CHECK(grown.file_id == added.file_id);
        CHECK(catalog.total_bytes() == 250);
        FileChange shrunk = catalog.upsert({0, "rock/song.mp3", 40, 5});
        CHECK(shrunk.kind == Kind::updated);
        CHECK(shrunk.file_id == added.file_id);
        CHECK(catalog.total_bytes() == 40);
        REQUIRE(catalog.find(added.file_id) != nullptr);
        CHECK(catalog.find(added.file_id)->size == 40);
    }
    SUBCASE("a new time alone is an update") {
        FileChange touched = catalog.upsert({0, "rock/song.mp3", 100, 6});
        CHECK(touched.kind == Kind::updated);
        CHECK(touched.file_id == added.file_id);
        CHECK(catalog.total_bytes() == 100);
        REQUIRE(catalog.find(added.file_id) != nullptr);
        CHECK(catalog.find(added.file_id)->mtime_ns == 6);
        CHECK(catalog.upsert({0, "rock/song.mp3", 100, 6}).kind == Kind::unchanged);
    }
    CHECK(catalog.size() == 1);
}

TEST_CASE("ids are stable per location and distinct across locations") {
    ShareCatalog catalog = two_roots();
    std::uint64_t a = catalog.upsert({0, "x/a.txt", 1, 0}).file_id;
    std::uint64_t b = catalog.upsert({0, "x/b.txt", 2, 0}).file_id;
    std::uint64_t a_other_root = catalog.upsert({1, "x/a.txt", 3, 0}).file_id;
    std::uint64_t a_upper = catalog.upsert({0, "x/A.txt", 4, 0}).file_id;
    std::uint64_t a_other_dir = catalog.upsert({0, "y/a.txt", 5, 0}).file_id;

    std::set<std::uint64_t> ids{a, b, a_other_root, a_upper, a_other_dir};
    CHECK(ids.size() == 5);
    CHECK(ids.count(0) == 0);

    // Updates and unrelated removals keep an id.
    CHECK(catalog.upsert({0, "x/a.txt", 10, 1}).file_id == a);
    REQUIRE(catalog.remove(0, "x/b.txt") == b);
    CHECK(catalog.upsert({0, "x/a.txt", 10, 1}).file_id == a);
    CHECK(catalog.upsert({1, "x/a.txt", 3, 0}).file_id == a_other_root);

    // A file that comes back after removal never takes a live file's id.
    std::uint64_t b_again = catalog.upsert({0, "x/b.txt", 2, 0}).file_id;
    CHECK(b_again != a);
    CHECK(b_again != a_other_root);
    CHECK(b_again != a_upper);
    CHECK(b_again != a_other_dir);
    CHECK(catalog.size() == 5);
}

TEST_CASE("remove returns the id and forgets the file") {
    ShareCatalog catalog = two_roots();
    std::uint64_t keep = catalog.upsert({0, "keep.txt", 7, 0}).file_id;
    std::uint64_t gone = catalog.upsert({1, "gone.txt", 30, 0}).file_id;
    CHECK(catalog.total_bytes() == 37);

    CHECK_FALSE(catalog.remove(0, "gone.txt").has_value()); // wrong root
    CHECK_FALSE(catalog.remove(1, "missing.txt").has_value());
    CHECK(catalog.size() == 2);
    CHECK(catalog.total_bytes() == 37);

    std::optional<std::uint64_t> removed = catalog.remove(1, "gone.txt");
    REQUIRE(removed.has_value());
    CHECK(*removed == gone);
    CHECK(catalog.size() == 1);
    CHECK(catalog.total_bytes() == 7);
    CHECK(catalog.find(gone) == nullptr);
    CHECK(catalog.find(1, "gone.txt") == nullptr);
    CHECK_FALSE(catalog.remove(1, "gone.txt").has_value());
    CHECK(catalog.total_bytes() == 7);

    CHECK(catalog.remove(0, "keep.txt") == keep);
    CHECK(catalog.size() == 0);
    CHECK(catalog.total_bytes() == 0);
    CHECK(catalog.entries().empty());
}

TEST_CASE("find by id and by location return the same file") {
    ShareCatalog catalog = two_roots();
    std::uint64_t id = catalog.upsert({1, "novels/dune.epub", 1234, 987654321}).file_id;
    catalog.upsert({0, "novels/dune.epub", 1, 1});

    const SharedFile* by_id = catalog.find(id);
    const SharedFile* by_location = catalog.find(1, "novels/dune.epub");
    REQUIRE(by_id != nullptr);
    CHECK(by_id == by_location);
    CHECK(by_id->file_id == id);
    CHECK(by_id->root == 1);
    CHECK(by_id->rel_path == "novels/dune.epub");
    CHECK(by_id->size == 1234);
    CHECK(by_id->mtime_ns == 987654321);
    CHECK(by_id->name() == "dune.epub");

    CHECK(catalog.find(id + 100) == nullptr);
    CHECK(catalog.find(1, "novels") == nullptr);
    CHECK(catalog.find(1, "dune.epub") == nullptr);
    CHECK(catalog.find(2, "novels/dune.epub") == nullptr);
}

TEST_CASE("total_bytes follows adds, updates, unchanged upserts and removes") {
    ShareCatalog catalog = two_roots();
    std::uint64_t expected = 0;
    const std::uint64_t big = std::uint64_t{1} << 40;

    catalog.upsert({0, "a", big, 0});
    expected += big;
    CHECK(catalog.total_bytes() == expected);
    catalog.upsert({0, "b", 0, 0});
    CHECK(catalog.total_bytes() == expected);
    catalog.upsert({1, "a", 5, 0});
    expected += 5;
    CHECK(catalog.total_bytes() == expected);
    catalog.upsert({0, "a", big, 0}); // unchanged
    CHECK(catalog.total_bytes() == expected);
    catalog.upsert({0, "a", 3, 1}); // shrinks
    expected = expected - big + 3;
    CHECK(catalog.total_bytes() == expected);
    catalog.upsert({0, "b", 11, 1}); // grows from zero
    expected += 11;
    CHECK(catalog.total_bytes() == expected);
    catalog.remove(1, "a");
    expected -= 5;
    CHECK(catalog.total_bytes() == expected);
    catalog.remove(1, "a"); // already gone
    CHECK(catalog.total_bytes() == expected);
    CHECK(expected == 14);

    std::uint64_t sum = 0;
    for (const auto& e : catalog.entries())
        sum += e.size;
    CHECK(sum == catalog.total_bytes());
}

TEST_CASE("entries are ordered by root then path, with name the last component") {
    ShareCatalog catalog = two_roots();
    // Inserted out of order on purpose.
    std::uint64_t b1 = catalog.upsert({1, "b.txt", 1, 0}).file_id;
    std::uint64_t z0 = catalog.upsert({0, "z/deep/last.ogg", 2, 0}).file_id;
    std::uint64_t a1 = catalog.upsert({1, "a/x.txt", 3, 0}).file_id;
    std::uint64_t m0 = catalog.upsert({0, "m.flac", 4, 0}).file_id;
    std::uint64_t a0 = catalog.upsert({0, "a.flac", 5, 0}).file_id;

    std::vector<FileEntry> entries = catalog.entries();
    REQUIRE(entries.size() == 5);
    std::vector<std::uint64_t> ids;
    for (const auto& e : entries)
        ids.push_back(e.file_id);
    CHECK(ids == std::vector<std::uint64_t>{a0, m0, z0, a1, b1});

    CHECK(entries[0].rel_path == "a.flac");
    CHECK(entries[0].name == "a.flac");
    CHECK(entries[0].size == 5);
    CHECK(entries[2].rel_path == "z/deep/last.ogg");
    CHECK(entries[2].name == "last.ogg");
    CHECK(entries[2].size == 2);
    CHECK(entries[3].rel_path == "a/x.txt");
    CHECK(entries[3].name == "x.txt");
    for (const auto& e : entries)
        CHECK(!e.root);

    const SharedFile* deep = catalog.find(z0);
    REQUIRE(deep != nullptr);
    CHECK(catalog.entry(*deep) == entries[2]);
}

TEST_CASE("full_path joins the root and the relative path") {
    ShareCatalog catalog = two_roots();
    catalog.upsert({0, "rock/song.mp3", 1, 0});
    catalog.upsert({1, "novels/dune.epub", 1, 0});
    const SharedFile* song = catalog.find(0, "rock/song.mp3");
    const SharedFile* book = catalog.find(1, "novels/dune.epub");
    REQUIRE(song != nullptr);
    REQUIRE(book != nullptr);
    CHECK(catalog.full_path(*song) == "/srv/music/rock/song.mp3");
    // The root's trailing slash is not doubled.
    CHECK(catalog.full_path(*book) == "/srv/books/novels/dune.epub");
}

TEST_CASE("split_into_batches of nothing gives no batches") {
    CHECK(split_into_batches({}).empty());
}

TEST_CASE("split_into_batches honours max_batch_files") {
    SUBCASE("one file") {
        auto batches = split_into_batches(small_entries(1));
        REQUIRE(batches.size() == 1);
        CHECK(batches[0] == small_entries(1));
    }
    SUBCASE("exactly max_batch_files is one batch") {
        std::vector<FileEntry> files = small_entries(protocol::max_batch_files);
        auto batches = split_into_batches(files);
        REQUIRE(batches.size() == 1);
        CHECK(batches[0].size() == protocol::max_batch_files);
        CHECK(flatten(batches) == files);
        check_batches_encode(batches);
    }
    SUBCASE("one more is two batches") {
        std::vector<FileEntry> files = small_entries(protocol::max_batch_files + 1);
        auto batches = split_into_batches(files);
        REQUIRE(batches.size() == 2);
        CHECK(batches[0].size() == protocol::max_batch_files);
        CHECK(batches[1].size() == 1);
        CHECK(batches[1][0].file_id == protocol::max_batch_files + 1);
        CHECK(flatten(batches) == files);
        check_batches_encode(batches);
    }
    SUBCASE("twice max_batch_files is two full batches") {
        std::vector<FileEntry> files = small_entries(2 * protocol::max_batch_files);
        auto batches = split_into_batches(files);
        REQUIRE(batches.size() == 2);
        CHECK(batches[0].size() == protocol::max_batch_files);
        CHECK(batches[1].size() == protocol::max_batch_files);
        CHECK(flatten(batches) == files);
    }
}

TEST_CASE("split_into_batches keeps every FILES_ADD frame within the frame limit") {
    REQUIRE(long_entry(1).rel_path.size() == 4000);
    // About 2.4 MB of paths: more than two frames' worth, far fewer files
    // than max_batch_files, so only the byte budget can split them.
    constexpr std::size_t count = 600;
    std::vector<FileEntry> files;
    for (std::size_t i = 0; i < count; ++i)
        files.push_back(long_entry(i + 1));
    // Roots add to the size as well.
    for (std::size_t i = 0; i < count; i += 3) {
        content::Digest root{};
        root.fill(std::byte{0x68});
        files[i].root = root;
    }

    auto batches = split_into_batches(files);
    CHECK(batches.size() >= 3);
    CHECK(batches.size() < count); // not one file a frame
    CHECK(flatten(batches) == files);
    check_batches_encode(batches);
}

TEST_CASE("split_into_batches keeps order and loses nothing across mixed sizes") {
    std::vector<FileEntry> files;
    for (std::uint64_t i = 1; i <= 5000; ++i)
        files.push_back(i % 50 == 0 ? long_entry(i) : small_entry(i));
    auto batches = split_into_batches(files);
    CHECK(batches.size() >= 2);
    std::vector<FileEntry> joined = flatten(batches);
    REQUIRE(joined.size() == files.size());
    CHECK(joined == files);
    check_batches_encode(batches);
}

TEST_CASE("replace_subtree makes a subtree equal to a fresh listing") {
    ShareCatalog catalog({"/srv/a", "/srv/b"});
    auto a1 = catalog.upsert({0, "dir/one.txt", 1, 1}).file_id;
    auto a2 = catalog.upsert({0, "dir/sub/two.txt", 2, 2}).file_id;
    auto outside = catalog.upsert({0, "dir2/three.txt", 3, 3}).file_id; // sorts between, not below
    auto top = catalog.upsert({0, "dir", 4, 4}).file_id;                // a file named like the dir
    auto other_root = catalog.upsert({1, "dir/one.txt", 5, 5}).file_id;

    std::vector<napster::ScannedFile> found = {
        {0, "dir/one.txt", 10, 10},     // changed
        {0, "dir/new.txt", 6, 6},       // new
        {0, "elsewhere.txt", 7, 7},     // outside the subtree: ignored
        {1, "dir/ignored.txt", 8, 8},   // other root: ignored
    };
    auto delta = catalog.replace_subtree(0, "dir", found);

    REQUIRE(delta.upserted.size() == 2);
    CHECK(delta.upserted[0].file_id == a1);
    CHECK(delta.upserted[0].size == 10);
    CHECK(delta.upserted[1].rel_path == "dir/new.txt");
    CHECK(delta.removed == std::vector<std::uint64_t>{a2});
    CHECK(delta.removed_paths == std::vector<std::string>{"dir/sub/two.txt"});
    CHECK(catalog.find(outside) != nullptr);
    CHECK(catalog.find(top) != nullptr);
    CHECK(catalog.find(other_root) != nullptr);
    CHECK(catalog.find(0, "elsewhere.txt") == nullptr);
    CHECK(catalog.size() == 5);
    CHECK(catalog.total_bytes() == 10 + 6 + 3 + 4 + 5);
}

TEST_CASE("replace_subtree with an empty listing removes a whole subtree") {
    ShareCatalog catalog({"/srv/a"});
    catalog.upsert({0, "gone/a", 1, 1});
    catalog.upsert({0, "gone/deep/b", 1, 1});
    auto kept = catalog.upsert({0, "kept", 1, 1}).file_id;
    auto delta = catalog.replace_subtree(0, "gone", {});
    CHECK(delta.upserted.empty());
    CHECK(delta.removed.size() == 2);
    CHECK(catalog.size() == 1);
    CHECK(catalog.find(kept) != nullptr);
}

TEST_CASE("replace_subtree of a whole root is a full rescan") {
    ShareCatalog catalog({"/srv/a"});
    auto same = catalog.upsert({0, "same", 1, 1}).file_id;
    catalog.upsert({0, "old", 1, 1});
    auto delta = catalog.replace_subtree(0, "", {{0, "same", 1, 1}, {0, "fresh", 2, 2}});
    CHECK(delta.upserted.size() == 1); // "same" is unchanged: not announced again
    CHECK(delta.upserted[0].rel_path == "fresh");
    CHECK(delta.removed.size() == 1);
    CHECK(catalog.find(same) != nullptr);
    CHECK(catalog.size() == 2);
    CHECK(catalog.replace_subtree(0, "", {{0, "same", 1, 1}, {0, "fresh", 2, 2}}).empty());
}

namespace {

content::SharedContent hashed(std::uint64_t size, std::byte tag) {
    auto c = std::make_shared<content::HashedContent>();
    c->size = size;
    c->root.fill(tag);
    c->blocks.assign(content::block_count(size), c->root);
    return c;
}

} // namespace

TEST_CASE("every stat field of the hash key makes an update that drops the hashes") {
    const ScannedFile base{0, "rock/song.mp3", 100, 5, 0x801, 42, 7};
    ScannedFile changed[] = {base, base, base, base, base};
    changed[0].size = 101;
    changed[1].mtime_ns = 6;
    changed[2].device = 0x802;
    changed[3].inode = 43;
    changed[4].ctime_ns = 8;
    for (const ScannedFile& other : changed) {
        ShareCatalog catalog = two_roots();
        auto id = catalog.upsert(base).file_id;
        REQUIRE(catalog.set_content(id, catalog.find(id)->key(), hashed(100, std::byte{1}), ShareCatalog::ContentSource::hashed_here));
        CHECK(catalog.upsert(base).kind == Kind::unchanged);
        CHECK(catalog.find(id)->content != nullptr);
        CHECK(catalog.upsert(other).kind == Kind::updated);
        CHECK(catalog.find(id)->content == nullptr);
        CHECK(!catalog.entry(*catalog.find(id)).root);
        CHECK(catalog.unhashed_files() == 1);
        CHECK(catalog.unhashed_bytes() == other.size);
    }
}

TEST_CASE("hashes attach only to the file as it was hashed, and count down the work left") {
    ShareCatalog catalog = two_roots();
    auto a = catalog.upsert({0, "a.mp3", 100, 5, 1, 10, 5}).file_id;
    catalog.upsert({1, "b.txt", 3 * content::block_size, 5, 1, 11, 5});
    CHECK(catalog.unhashed_files() == 2);
    CHECK(catalog.unhashed_bytes() == 100 + 3 * content::block_size);

    content::FileKey stale = catalog.find(a)->key();
    catalog.upsert({0, "a.mp3", 120, 6, 1, 10, 6}); // rewritten while being hashed
    CHECK_FALSE(catalog.set_content(a, stale, hashed(100, std::byte{1}), ShareCatalog::ContentSource::hashed_here));
    CHECK(catalog.find(a)->content == nullptr);
    CHECK_FALSE(catalog.set_content(a, catalog.find(a)->key(), hashed(100, std::byte{1}), ShareCatalog::ContentSource::hashed_here)); // wrong size
    CHECK_FALSE(catalog.set_content(999, stale, hashed(100, std::byte{1}), ShareCatalog::ContentSource::hashed_here));                 // no such file

    REQUIRE(catalog.set_content(a, catalog.find(a)->key(), hashed(120, std::byte{2}), ShareCatalog::ContentSource::hashed_here));
    CHECK(catalog.unhashed_files() == 1);
    CHECK(catalog.unhashed_bytes() == 3 * content::block_size);
    FileEntry entry = catalog.entry(*catalog.find(a));
    REQUIRE(entry.root);
    CHECK((*entry.root)[0] == std::byte{2});

    // Hashed again (the same content found anew): still counted once.
    REQUIRE(catalog.set_content(a, catalog.find(a)->key(), hashed(120, std::byte{2}), ShareCatalog::ContentSource::hashed_here));
    CHECK(catalog.unhashed_files() == 1);

    catalog.remove(1, "b.txt");
    CHECK(catalog.unhashed_files() == 0);
    CHECK(catalog.unhashed_bytes() == 0);
    catalog.remove(0, "a.mp3");
    CHECK(catalog.unhashed_files() == 0);
    CHECK(catalog.size() == 0);
}

TEST_CASE("hashes found not to fit a file are dropped once, and only from the file as it was served") {
    ShareCatalog catalog = two_roots();
    auto a = catalog.upsert({0, "a.mp3", 100, 5, 1, 10, 5}).file_id;
    content::FileKey served = catalog.find(a)->key();
    CHECK_FALSE(catalog.drop_content(a, served)); // nothing to drop yet
    CHECK(catalog.unhashed_files() == 1);
    REQUIRE(catalog.set_content(a, served, hashed(100, std::byte{1}), ShareCatalog::ContentSource::hashed_here));
    CHECK(catalog.unhashed_files() == 0);

    CHECK_FALSE(catalog.drop_content(999, served)); // no such file
    content::FileKey other = served;
    other.ctime_ns += 1;
    CHECK_FALSE(catalog.drop_content(a, other)); // not the stat that was served
    CHECK(catalog.find(a)->content != nullptr);

    CHECK(catalog.drop_content(a, served));
    CHECK(catalog.find(a)->content == nullptr);
    CHECK(!catalog.entry(*catalog.find(a)).root);
    CHECK(catalog.unhashed_files() == 1);
    CHECK(catalog.unhashed_bytes() == 100);
    CHECK_FALSE(catalog.drop_content(a, served)); // a second upload finding the same: no second drop
    CHECK(catalog.unhashed_files() == 1);

    // Hashed again: counted down once more.
    REQUIRE(catalog.set_content(a, served, hashed(100, std::byte{2}), ShareCatalog::ContentSource::hashed_here));
    CHECK(catalog.unhashed_files() == 0);
}

TEST_CASE("blocks count as confirmed when hashed here; from the hash cache, one by one as uploads check them") {
    ShareCatalog catalog = two_roots();
    constexpr std::uint64_t bs = content::block_size;
    auto a = catalog.upsert({0, "a.bin", 3 * bs + 10, 5, 1, 10, 5}).file_id;
    content::FileKey key = catalog.find(a)->key();
    CHECK_FALSE(catalog.find(a)->blocks_confirmed(0, 1)); // no hashes: nothing to confirm against

    REQUIRE(catalog.set_content(a, key, hashed(3 * bs + 10, std::byte{1}), ShareCatalog::ContentSource::hash_cache));
    const SharedFile& file = *catalog.find(a);
    CHECK_FALSE(file.all_confirmed);
    CHECK_FALSE(file.blocks_confirmed(0, 1));
    CHECK(file.blocks_confirmed(5, 0)); // an empty range needs no block

    content::FileKey other = key;
    other.mtime_ns += 1;
    catalog.confirm_block(a, other, 1); // not the file as it is: ignored
    catalog.confirm_block(a, key, 99);  // no such block: ignored
    CHECK_FALSE(file.blocks_confirmed(bs, 1));
    catalog.confirm_block(a, key, 1);
    catalog.confirm_block(a, key, 2);
    CHECK(file.blocks_confirmed(bs, 2 * bs));      // blocks 1 and 2 exactly
    CHECK_FALSE(file.blocks_confirmed(bs - 1, 2)); // reaches into block 0
    CHECK_FALSE(file.blocks_confirmed(2 * bs, bs + 1)); // reaches into block 3
    catalog.confirm_block(a, key, 0);
    CHECK_FALSE(file.all_confirmed);
    catalog.confirm_block(a, key, 3); // the last, short block: now every one
    CHECK(file.all_confirmed);
    CHECK(file.confirmed_blocks.empty());
    CHECK(file.blocks_confirmed(0, 3 * bs + 10));

    // New hashes start over, by their source.
    REQUIRE(catalog.set_content(a, key, hashed(3 * bs + 10, std::byte{2}), ShareCatalog::ContentSource::hash_cache));
    CHECK_FALSE(catalog.find(a)->blocks_confirmed(0, 1));
    REQUIRE(catalog.set_content(a, key, hashed(3 * bs + 10, std::byte{2}), ShareCatalog::ContentSource::hashed_here));
    CHECK(catalog.find(a)->blocks_confirmed(0, 3 * bs + 10));
    // A changed file loses its hashes, so nothing of it is confirmed.
    catalog.upsert({0, "a.bin", 3 * bs + 10, 6, 1, 10, 6});
    CHECK_FALSE(catalog.find(a)->blocks_confirmed(0, 1));
}

TEST_CASE("roots added and removed at a reload keep their slots; a removed slot is never reused") {
    ShareCatalog catalog = two_roots();
    catalog.upsert({0, "a.mp3", 10, 1});
    catalog.upsert({1, "b.txt", 20, 1});
    catalog.upsert({1, "sub/c.txt", 30, 1});
    CHECK(catalog.active_root_count() == 2);

    std::uint32_t added = catalog.add_root("/srv/films");
    CHECK(added == 2);
    CHECK(catalog.root_active(2));
    CHECK(catalog.upsert({2, "f.mkv", 40, 1}).kind == Kind::added);
    CHECK(catalog.active_root_count() == 3);

    ShareDelta gone = catalog.remove_root(1);
    CHECK(gone.removed.size() == 2);
    CHECK(std::set<std::string>(gone.removed_paths.begin(), gone.removed_paths.end()) ==
          std::set<std::string>{"b.txt", "sub/c.txt"});
    CHECK(gone.upserted.empty());
    CHECK_FALSE(catalog.root_active(1));
    CHECK(catalog.roots()[1].empty());
    CHECK(catalog.size() == 2);
    CHECK(catalog.total_bytes() == 50);
    CHECK(catalog.active_root_count() == 2);
    // A walk of the removed root that returns late changes nothing.
    FileChange late = catalog.upsert({1, "b.txt", 20, 1});
    CHECK(late.kind == Kind::unchanged);
    CHECK(late.file_id == 0);
    CHECK(catalog.find(1, "b.txt") == nullptr);
    CHECK(catalog.replace_subtree(1, "", {{1, "b.txt", 20, 1}}).empty());
    // Removing it again, or a slot that never was, is nothing.
    CHECK(catalog.remove_root(1).empty());
    CHECK(catalog.remove_root(9).empty());
    CHECK_FALSE(catalog.root_active(9));
    // The next root takes a new slot.
    CHECK(catalog.add_root("/srv/books/") == 3);
    CHECK(catalog.upsert({3, "b.txt", 20, 1}).kind == Kind::added);
    CHECK(catalog.full_path(*catalog.find(3, "b.txt")) == "/srv/books/b.txt");
}
