// SPDX-License-Identifier: MIT
#include "content/hash_tree.h"

#include "byte_pattern.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace napster;
using napster::test::pattern;
using namespace napster::content;

// The expected hex below was computed with Python's hashlib, not with this
// code:
//
//   import hashlib
//   B = 1 << 20
//   def leaf(b): return hashlib.sha256(b"\x00" + b).digest()
//   def node(l, r): return hashlib.sha256(b"\x01" + l + r).digest()
//   def root(data):
//       level = [leaf(data[i:i + B]) for i in range(0, len(data), B)] or [leaf(b"")]
//       while len(level) > 1:
//           pairs = [node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
//           level = pairs + level[len(pairs) * 2:]
//       return level[0].hex()
//   print(root(b"a" * (3 * B + 5)))
//   print(root(bytes(i % 251 for i in range(4 * B + 5))))

namespace {

constexpr std::size_t mib = block_size;

Bytes filled(std::size_t size, char c) {
    return Bytes(size, static_cast<std::byte>(c));
}

HashedContent hash_in_one_go(ByteSpan bytes) {
    TreeHasher hasher;
    hasher.update(bytes);
    return hasher.finish();
}

HashedContent hash_in_chunks(ByteSpan bytes, std::size_t chunk) {
    TreeHasher hasher;
    for (std::size_t at = 0; at < bytes.size(); at += chunk)
        hasher.update(bytes.subspan(at, std::min(chunk, bytes.size() - at)));
    return hasher.finish();
}

std::vector<std::string> hex_all(const std::vector<Digest>& digests) {
    std::vector<std::string> out;
    for (const Digest& d : digests)
        out.push_back(hex(d));
    return out;
}

const std::string leaf_empty = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
const std::string leaf_a = "022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c";
const std::string leaf_mib_a = "28a56ef53d93e29c26178d1e1c0702f9c20cab31901c6826561a34e5d7dc3939";

} // namespace

TEST_CASE("block_count and block_length at the edges") {
    CHECK(block_count(0) == 1);
    CHECK(block_count(1) == 1);
    CHECK(block_count(block_size - 1) == 1);
    CHECK(block_count(block_size) == 1);
    CHECK(block_count(block_size + 1) == 2);
    CHECK(block_count(2 * block_size) == 2);
    CHECK(block_count(~std::uint64_t{0}) == (std::uint64_t{1} << 44));

    CHECK(block_length(0, 0) == 0);
    CHECK(block_length(0, 1) == 0);
    CHECK(block_length(1, 0) == 1);
    CHECK(block_length(block_size, 0) == block_size);
    CHECK(block_length(block_size, 1) == 0);
    CHECK(block_length(block_size + 1, 0) == block_size);
    CHECK(block_length(block_size + 1, 1) == 1);
    CHECK(block_length(block_size + 1, 2) == 0);
    CHECK(block_length(~std::uint64_t{0}, (std::uint64_t{1} << 44) - 1) == block_size - 1);
}

TEST_CASE("the test vectors: one block") {
    SUBCASE("an empty file is one empty block") {
        HashedContent c = hash_in_one_go({});
        CHECK(hex(c.root) == leaf_empty);
        CHECK(c.size == 0);
        CHECK(hex_all(c.blocks) == std::vector<std::string>{leaf_empty});
        CHECK(hex(leaf_hash({})) == leaf_empty);
        CHECK(hex(tree_root({})) == leaf_empty);
    }
    SUBCASE("one byte") {
        HashedContent c = hash_in_one_go(as_bytes("a"));
        CHECK(hex(c.root) == leaf_a);
        CHECK(c.size == 1);
        CHECK(hex_all(c.blocks) == std::vector<std::string>{leaf_a});
    }
    SUBCASE("exactly one block: the root is the leaf") {
        HashedContent c = hash_in_one_go(filled(mib, 'a'));
        CHECK(hex(c.root) == leaf_mib_a);
        CHECK(c.size == mib);
        CHECK(hex_all(c.blocks) == std::vector<std::string>{leaf_mib_a});
    }
}

TEST_CASE("the test vectors: several blocks") {
    SUBCASE("one block and one byte") {
        HashedContent c = hash_in_one_go(filled(mib + 1, 'a'));
        CHECK(hex(c.root) == "1504ae88881333e7fc58bd9fdd79b50a57830135a6c65a98f0e4e56d907993c9");
        CHECK(c.size == mib + 1);
        CHECK(hex_all(c.blocks) == std::vector<std::string>{leaf_mib_a, leaf_a});
        CHECK(c.root == node_hash(c.blocks[0], c.blocks[1]));
    }
    SUBCASE("3 MiB + 5 bytes: four leaves, two levels") {
        HashedContent c = hash_in_one_go(filled(3 * mib + 5, 'a'));
        CHECK(hex(c.root) == "c23b347043c06711b08246ba04d83d5442ccbd009d758a1e2c257aeb388425ab");
        CHECK(hex_all(c.blocks) ==
              std::vector<std::string>{
                  leaf_mib_a, leaf_mib_a, leaf_mib_a,
                  "e34bada8bf9bbeac7098afb23b3b1ec27b7e153218eee84af59d4da2a8cb76aa"});
    }
    SUBCASE("2 MiB + 5 bytes: the odd third leaf is promoted") {
        HashedContent c = hash_in_one_go(pattern(2 * mib + 5));
        CHECK(hex(c.root) == "69017930f60e393d7e6f3e37f7634777e1d50d0eddba8f8777bb2d11f0e5a44e");
        CHECK(hex_all(c.blocks) ==
              std::vector<std::string>{
                  "f4e53704c07aef05b5b12a89d6c1e54292fa7d9d8c3ee431c40b6f6ef6d19280",
                  "23124c5e2cfe3dc827a1b85edc1a2da44b2797cfaccc2120830b0663a818c044",
                  "8f261effcf9e88180d65288d6dfeb4bf7ae19a1749ccf41d2fda2e5877713de6"});
        CHECK(c.root == node_hash(node_hash(c.blocks[0], c.blocks[1]), c.blocks[2]));
    }
    SUBCASE("4 MiB + 5 bytes: the fifth leaf is promoted twice") {
        HashedContent c = hash_in_one_go(pattern(4 * mib + 5));
        CHECK(hex(c.root) == "b6b9d1a58b2d9dc4d118b3347037b67ed5ba981c51684aad96da01b56091d758");
        CHECK(c.size == 4 * mib + 5);
        REQUIRE(c.blocks.size() == 5);
        CHECK(hex(c.blocks[4]) ==
              "80c33e07ae030ed1db9a08ac474659b0bb3a4c92abf785750c4030adbc37c9b3");
        const auto& b = c.blocks;
        CHECK(c.root == node_hash(node_hash(node_hash(b[0], b[1]), node_hash(b[2], b[3])), b[4]));
        CHECK(tree_root(c.blocks) == c.root);
    }
}

TEST_CASE("leaves and nodes cannot be taken for each other") {
    // The 0x00/0x01 prefixes: a 64-byte block made of two leaves does not
    // hash to the node over them.
    Digest l = leaf_hash(as_bytes("l"));
    Digest r = leaf_hash(as_bytes("r"));
    Bytes both(l.begin(), l.end());
    both.insert(both.end(), r.begin(), r.end());
    CHECK(leaf_hash(both) != node_hash(l, r));
    CHECK(node_hash(l, r) != node_hash(r, l));
}

TEST_CASE("any split of the stream gives the same result") {
    const Bytes data = pattern(2 * mib + 5);
    const HashedContent whole = hash_in_one_go(data);
    REQUIRE(hex(whole.root) == "69017930f60e393d7e6f3e37f7634777e1d50d0eddba8f8777bb2d11f0e5a44e");

    for (std::size_t chunk :
         {std::size_t{1}, std::size_t{7}, std::size_t{4096}, mib - 1, mib, mib + 1, 2 * mib + 5}) {
        CAPTURE(chunk);
        CHECK(hash_in_chunks(data, chunk) == whole);
    }

    // Random splits, empty chunks among them; seeded, so every run is the
    // same (mt19937's output is fixed by the standard).
    std::mt19937_64 random(20261201);
    for (int run = 0; run < 20; ++run) {
        CAPTURE(run);
        TreeHasher hasher;
        std::size_t at = 0;
        while (at < data.size()) {
            std::size_t chunk =
                static_cast<std::size_t>(random() % (run % 2 == 0 ? 5000 : 3 * mib));
            chunk = std::min(chunk, data.size() - at);
            hasher.update(ByteSpan(data).subspan(at, chunk));
            at += chunk;
        }
        CHECK(hasher.size() == data.size());
        CHECK(hasher.finish() == whole);
    }
}

TEST_CASE("finish leaves the hasher ready for the next file") {
    TreeHasher hasher;
    hasher.update(filled(mib + 1, 'a'));
    CHECK(hex(hasher.finish().root) ==
          "1504ae88881333e7fc58bd9fdd79b50a57830135a6c65a98f0e4e56d907993c9");
    CHECK(hasher.size() == 0);
    HashedContent empty = hasher.finish();
    CHECK(hex(empty.root) == leaf_empty);
    CHECK(empty.blocks.size() == 1);
    hasher.update(as_bytes("a"));
    CHECK(hex(hasher.finish().root) == leaf_a);
}

TEST_CASE("verify_block accepts each right block and refuses any other") {
    const Bytes data = pattern(2 * mib + 5);
    const HashedContent c = hash_in_one_go(data);
    auto block = [&](std::size_t i) {
        return ByteSpan(data).subspan(i * mib, block_length(c.size, i));
    };
    for (std::size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        CHECK(verify_block(c, i, block(i)));
        Bytes flipped(block(i).begin(), block(i).end());
        for (std::size_t at : {std::size_t{0}, flipped.size() / 2, flipped.size() - 1}) {
            CAPTURE(at);
            flipped[at] ^= std::byte{0x01};
            CHECK_FALSE(verify_block(c, i, flipped));
            flipped[at] ^= std::byte{0x01};
        }
        CHECK_FALSE(verify_block(c, i, block(i).first(block(i).size() - 1))); // short
    }
    CHECK_FALSE(verify_block(c, 0, block(1))); // another block's bytes
    CHECK_FALSE(verify_block(c, 2, ByteSpan(data).subspan(2 * mib, 4)));
    CHECK_FALSE(
        verify_block(c, 2, ByteSpan(data).subspan(2 * mib - 1, 5))); // right length, wrong bytes
    CHECK_FALSE(verify_block(c, 3, {}));                             // no such block
    CHECK_FALSE(verify_block(c, 100, {}));

    const HashedContent empty = hash_in_one_go({});
    CHECK(verify_block(empty, 0, {}));
    CHECK_FALSE(verify_block(empty, 0, as_bytes("a")));
    CHECK_FALSE(verify_block(empty, 1, {}));
}

TEST_CASE("blocks_match_root checks a block list against its root") {
    HashedContent c = hash_in_one_go(pattern(4 * mib + 5));
    CHECK(blocks_match_root(c));
    HashedContent swapped = c;
    std::swap(swapped.blocks[0], swapped.blocks[1]);
    CHECK_FALSE(blocks_match_root(swapped));
    HashedContent missing = c;
    missing.blocks.pop_back();
    CHECK_FALSE(blocks_match_root(missing));
    HashedContent longer = c;
    longer.size += mib; // one more block expected than listed
    CHECK_FALSE(blocks_match_root(longer));
    HashedContent other_root = c;
    other_root.root[31] ^= std::byte{0x80};
    CHECK_FALSE(blocks_match_root(other_root));
    CHECK(blocks_match_root(hash_in_one_go({})));
}
