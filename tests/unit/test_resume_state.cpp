// SPDX-License-Identifier: MIT
#include "fs/resume_state.h"

#include "content/hash_tree.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>

using namespace napster;

namespace {

ResumeState sample(std::uint64_t size) {
    ResumeState state;
    state.root.fill(std::byte{0xAB});
    state.size = size;
    state.name = "film.mkv";
    state.output_dir = "/srv/napster/downloads";
    state.verified.assign(content::block_count(size), false);
    return state;
}

std::string refusal(const Bytes& bytes) {
    auto decoded = decode_resume_state(bytes);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::malformed);
    return decoded.error().message;
}

// Replaces the checksum so that a body edited on purpose passes it.
Bytes resealed(Bytes bytes) {
    bytes.resize(bytes.size() - 32);
    content::Digest sum = content::Sha256().of(bytes);
    bytes.insert(bytes.end(), sum.begin(), sum.end());
    return bytes;
}

} // namespace

TEST_CASE("a state round-trips, at block-count boundaries") {
    for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{content::block_size},
                               8 * std::uint64_t{content::block_size}, 9 * std::uint64_t{content::block_size} + 1}) {
        ResumeState state = sample(size);
        for (std::size_t i = 0; i < state.verified.size(); i += 2) state.verified[i] = true;
        auto decoded = decode_resume_state(encode_resume_state(state));
        REQUIRE_MESSAGE(decoded.ok(), decoded.error().message);
        CHECK(*decoded == state);
        CHECK(decoded->verified_count() == (state.verified.size() + 1) / 2);
    }
}

TEST_CASE("the layout is the one the header documents") {
    ResumeState state = sample(9 * content::block_size); // 9 blocks: 2 bitmap bytes
    state.verified[0] = state.verified[8] = true;
    Bytes bytes = encode_resume_state(state);
    const std::size_t name_at = 8 + 4 + 32 + 8;
    const std::size_t bitmap_at = name_at + 2 + 8 + 2 + state.output_dir.size();
    REQUIRE(bytes.size() == bitmap_at + 2 + 32);
    CHECK(std::memcmp(bytes.data(), "NAPRESUM\0\0\0\1", 12) == 0);
    CHECK(bytes[12] == std::byte{0xAB});
    CHECK(bytes[name_at - 3] == std::byte{0x90}); // 9 MiB = 0x00000000_00900000
    CHECK(bytes[name_at + 1] == std::byte{8});
    CHECK(bytes[bitmap_at] == std::byte{0x80});
    CHECK(bytes[bitmap_at + 1] == std::byte{0x80});
}

TEST_CASE("a torn, foreign or inconsistent state is refused") {
    const Bytes good = encode_resume_state(sample(3 * content::block_size));
    for (std::size_t cut = 0; cut < good.size(); ++cut)
        CHECK_FALSE(decode_resume_state(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut))).ok());

    Bytes flipped = good;
    flipped[20] ^= std::byte{1};
    CHECK(refusal(flipped) == "download state is damaged: its checksum does not match (a torn write or a changed file)");
    CHECK(refusal(Bytes(40, std::byte{'x'})).starts_with("not a napster download state"));

    Bytes newer = good;
    newer[11] = std::byte{2};
    CHECK(refusal(newer) == "download state has format version 2; this napster reads version 1");

    Bytes past_last = good; // 3 blocks: bits 3..7 of the one bitmap byte are padding
    past_last[past_last.size() - 33] = std::byte{0x10};
    CHECK(refusal(resealed(past_last)) == "download state is damaged: a block past the last one is marked verified");

    ResumeState bad_name = sample(5);
    bad_name.name = "../etc/passwd";
    CHECK(refusal(encode_resume_state(bad_name)).starts_with("download state is damaged: "));
    ResumeState relative = sample(5);
    relative.output_dir = "downloads";
    CHECK(refusal(encode_resume_state(relative)) == "download state is damaged: the output dir is not an absolute path");

    Bytes longer = good; // one bitmap byte too many
    longer.insert(longer.end() - 32, std::byte{0});
    CHECK(refusal(resealed(longer)).find("bytes of block bitmap") != std::string::npos);
}
