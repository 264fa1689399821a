// SPDX-License-Identifier: MIT
#include "content/hash_cache.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace napster;
using namespace napster::content;

namespace {

// Hashes that are not real ones: the cache stores them as given, and
// distinct bytes show an entry read back with another's.
Digest digest_of(std::uint64_t seed) {
    std::mt19937_64 random(seed);
    Digest d{};
    for (std::byte& b : d)
        b = std::byte{static_cast<std::uint8_t>(random())};
    return d;
}

FileKey key_of(std::uint64_t n, std::uint64_t size) {
    return FileKey{.device = 0x801 + n % 3,
                   .inode = 1000 + n,
                   .size = size,
                   .mtime_ns = 1'764'000'000'000'000'000 + static_cast<std::int64_t>(n),
                   .ctime_ns = -static_cast<std::int64_t>(n)}; // before 1970: still a time
}

SharedContent content_of(std::uint64_t n, std::uint64_t size) {
    auto c = std::make_shared<HashedContent>();
    c->size = size;
    c->root = digest_of(n);
    for (std::uint64_t i = 0; i < block_count(size); ++i)
        c->blocks.push_back(digest_of(n * 1000 + i + 1));
    return c;
}

HashCache small_cache() {
    HashCache cache;
    cache.insert(key_of(1, 0), content_of(1, 0));
    cache.insert(key_of(2, 5), content_of(2, 5));
    cache.insert(key_of(3, 2 * block_size + 1), content_of(3, 2 * block_size + 1));
    return cache;
}

void check_same(const HashCache& a, const HashCache& b) {
    REQUIRE(a.size() == b.size());
    for (const auto& [key, content] : a.entries()) {
        SharedContent other = b.lookup(key);
        REQUIRE(other != nullptr);
        CHECK(*other == *content);
    }
}

std::string refusal(ByteSpan bytes) {
    auto decoded = decode_cache(bytes);
    REQUIRE(!decoded.ok());
    CHECK(decoded.error().code == ErrorCode::malformed);
    return decoded.error().message;
}

// Re-seals a changed body with a correct checksum, to reach the checks
// behind it.
Bytes resealed(Bytes bytes) {
    bytes.resize(bytes.size() - digest_size);
    Digest sum = Sha256().of(bytes);
    bytes.insert(bytes.end(), sum.begin(), sum.end());
    return bytes;
}

} // namespace

TEST_CASE("lookup finds an entry only under its whole key") {
    HashCache cache;
    const FileKey key = key_of(7, 100);
    cache.insert(key, content_of(7, 100));
    REQUIRE(cache.lookup(key) != nullptr);
    CHECK(*cache.lookup(key) == *content_of(7, 100));

    FileKey other = key;
    SUBCASE("another device") {
        other.device += 1;
    }
    SUBCASE("another inode") {
        other.inode += 1;
    }
    SUBCASE("another size") {
        other.size += 1;
    }
    SUBCASE("another mtime") {
        other.mtime_ns += 1;
    }
    SUBCASE("another ctime") {
        other.ctime_ns += 1;
    }
    CHECK(cache.lookup(other) == nullptr);
}

TEST_CASE("insert replaces, erase and prune drop") {
    HashCache cache = small_cache();
    CHECK(cache.size() == 3);
    cache.insert(key_of(2, 5), content_of(9, 5));
    CHECK(cache.size() == 3);
    CHECK(*cache.lookup(key_of(2, 5)) == *content_of(9, 5));

    CHECK(cache.erase(key_of(2, 5)));
    CHECK_FALSE(cache.erase(key_of(2, 5)));
    CHECK(cache.lookup(key_of(2, 5)) == nullptr);
    CHECK(cache.size() == 2);

    cache = small_cache();
    const std::vector<FileKey> shared_now{key_of(3, 2 * block_size + 1), key_of(50, 1)};
    CHECK(cache.prune(shared_now) == 2);
    CHECK(cache.size() == 1);
    CHECK(cache.lookup(key_of(3, 2 * block_size + 1)) != nullptr);
    CHECK(cache.prune(shared_now) == 0);
    CHECK(cache.prune({}) == 1);
    CHECK(cache.size() == 0);
}

TEST_CASE("an empty cache round-trips") {
    Bytes bytes = encode_cache(HashCache{});
    CHECK(bytes.size() == 8 + 4 + 8 + 32);
    auto decoded = decode_cache(bytes);
    REQUIRE_MESSAGE(decoded.ok(), decoded.error().message);
    CHECK(decoded->size() == 0);
}

TEST_CASE("a big cache round-trips, and encodes to the same bytes again") {
    HashCache cache;
    std::size_t leaves = 0;
    for (std::uint64_t n = 0; n < 5000; ++n) {
        // Mostly small files, some of many blocks.
        std::uint64_t size = n % 100 == 0 ? n * block_size + n : n * 37;
        cache.insert(key_of(n, size), content_of(n, size));
        leaves += block_count(size);
    }
    Bytes bytes = encode_cache(cache);
    CHECK(bytes.size() == 20 + 5000 * (40 + 32) + leaves * 32 + 32);
    auto decoded = decode_cache(bytes);
    REQUIRE_MESSAGE(decoded.ok(), decoded.error().message);
    check_same(cache, *decoded);
    CHECK(encode_cache(*decoded) == bytes);
}

TEST_CASE("the format is the one the header documents") {
    HashCache cache;
    cache.insert(FileKey{.device = 1, .inode = 2, .size = 3, .mtime_ns = 4, .ctime_ns = -1},
                 content_of(1, 3));
    Bytes bytes = encode_cache(cache);
    REQUIRE(bytes.size() == 20 + 40 + 32 + 32 + 32);
    CHECK(std::memcmp(bytes.data(), "NAPHASHC", 8) == 0);
    const Bytes header{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}, // version 1
                       std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0},
                       std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}}; // 1 entry
    CHECK(Bytes(bytes.begin() + 8, bytes.begin() + 20) == header);
    CHECK(bytes[20 + 7] == std::byte{1});                                              // device
    CHECK(bytes[20 + 15] == std::byte{2});                                             // inode
    CHECK(bytes[20 + 23] == std::byte{3});                                             // size
    CHECK(bytes[20 + 31] == std::byte{4});                                             // mtime
    CHECK(Bytes(bytes.begin() + 52, bytes.begin() + 60) == Bytes(8, std::byte{0xFF})); // ctime -1
    Digest root = content_of(1, 3)->root;
    CHECK(std::memcmp(bytes.data() + 60, root.data(), 32) == 0);
    Digest sum = Sha256().of(ByteSpan(bytes).first(bytes.size() - 32));
    CHECK(std::memcmp(bytes.data() + bytes.size() - 32, sum.data(), 32) == 0);
}

TEST_CASE("a cache truncated anywhere is refused") {
    const Bytes bytes = encode_cache(small_cache());
    for (std::size_t length = 0; length < bytes.size(); ++length) {
        CAPTURE(length);
        // A buffer of exactly this length, so AddressSanitizer sees a read
        // past its end.
        Bytes cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
        std::string message = refusal(cut);
        if (length < 8)
            CHECK(message == "not a napster hash cache: it does not start with \"NAPHASHC\"");
        else
            CHECK(message.starts_with("hash cache is damaged: "));
    }
}

TEST_CASE("one flipped byte anywhere is refused") {
    const Bytes bytes = encode_cache(small_cache());
    for (std::size_t at = 0; at < bytes.size(); ++at) {
        for (std::uint8_t bit : {0x01, 0x80}) {
            CAPTURE(at);
            Bytes changed = bytes;
            changed[at] ^= std::byte{bit};
            std::string message = refusal(changed);
            if (at < 8)
                CHECK(message.starts_with("not a napster hash cache"));
            else if (at < 12)
                CHECK(message.starts_with("hash cache has format version "));
            else
                CHECK(message == "hash cache is damaged: its checksum does not match "
                                 "(a torn write or a changed file)");
        }
    }
}

TEST_CASE("another file or another version is named as such") {
    Bytes bytes = encode_cache(small_cache());
    CHECK(refusal(as_bytes("[share]\ndirs = []\n")) ==
          "not a napster hash cache: it does not start with \"NAPHASHC\"");
    Bytes newer = bytes;
    newer[11] = std::byte{2};
    CHECK(refusal(resealed(newer)) ==
          "hash cache has format version 2; this napster reads version 1");
    Bytes zero = bytes;
    zero[11] = std::byte{0};
    CHECK(refusal(zero) == "hash cache has format version 0; this napster reads version 1");
}

TEST_CASE("a body that is wrong under a good checksum is refused") {
    // Devices 1, 2, 3 so that the sorted entries are in this order: 0 bytes
    // (104 bytes encoded), 5 bytes (104), 2 MiB + 1 bytes (168).
    HashCache cache;
    const std::uint64_t sizes[] = {0, 5, 2 * block_size + 1};
    for (std::uint64_t n = 0; n < 3; ++n) {
        FileKey key = key_of(n, sizes[n]);
        key.device = n + 1;
        cache.insert(key, content_of(n, sizes[n]));
    }
    const Bytes bytes = encode_cache(cache);
    REQUIRE(bytes.size() == 20 + 104 + 104 + 168 + 32);
    constexpr std::size_t count_at = 12;
    constexpr std::size_t first_entry = 20;
    constexpr std::size_t second_entry = first_entry + 104;

    SUBCASE("a count larger than the entries") {
        Bytes b = bytes;
        b[count_at + 7] = std::byte{4};
        CHECK(refusal(resealed(b)) == "hash cache is damaged: 4 entries cannot fit in 376 bytes");
    }
    SUBCASE("a count that could not fit in the file") {
        Bytes b = bytes;
        b[count_at] = std::byte{0x7F};
        CHECK(refusal(resealed(b)) ==
              "hash cache is damaged: 9151314442816847875 entries cannot fit in 376 bytes");
    }
    SUBCASE("a count smaller than the entries") {
        Bytes b = bytes;
        b[count_at + 7] = std::byte{2};
        CHECK(refusal(resealed(b)) ==
              "hash cache is damaged: the entry list has 168 unexpected trailing bytes");
    }
    SUBCASE("a last entry one leaf short") {
        Bytes b = bytes;
        b[second_entry + 104 + 16 + 5] = std::byte{0x30}; // 2 MiB + 1 becomes 3 MiB + 1
        CHECK(refusal(resealed(b)) == "hash cache is damaged: entry 3 (3145729 bytes) needs 4 "
                                      "leaves, more than the 96 bytes left hold");
    }
    SUBCASE("a size that needs more leaves than are there") {
        Bytes b = bytes;
        b[first_entry + 16] = std::byte{0x10}; // the first entry's size becomes 2^60
        CHECK(refusal(resealed(b)) == "hash cache is damaged: entry 1 (1152921504606846976 bytes) "
                                      "needs 1099511627776 leaves, "
                                      "more than the 304 bytes left hold");
    }
    SUBCASE("the same key twice") {
        Bytes b = bytes;
        // The second entry takes the first's key: both are one leaf long, so
        // the entries still parse.
        std::copy(b.begin() + first_entry, b.begin() + first_entry + 40, b.begin() + second_entry);
        CHECK(refusal(resealed(b)) ==
              "hash cache is damaged: entry 2 repeats the key of an earlier one");
    }
}
