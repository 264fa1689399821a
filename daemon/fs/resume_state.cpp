// SPDX-License-Identifier: MIT
#include "fs/resume_state.h"

#include "content/hash_tree.h"
#include "protocol/name_rules.h"
#include "protocol/protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace napster {
namespace {

constexpr std::string_view magic = "NAPRESUM";

Error damaged(std::string why) {
    return make_error(ErrorCode::malformed, fmt::format("download state is damaged: {}", why));
}

} // namespace

std::uint64_t ResumeState::verified_count() const {
    return static_cast<std::uint64_t>(std::count(verified.begin(), verified.end(), true));
}

Bytes encode_resume_state(const ResumeState& state) {
    Bytes out;
    ByteWriter w(out);
    w.raw(magic);
    w.u32(resume_state_version);
    content::write_digest(w, state.root);
    w.u64(state.size);
    w.str16(state.name);
    w.str16(state.output_dir);
    std::uint64_t blocks = content::block_count(state.size);
    Bytes bitmap((blocks + 7) / 8, std::byte{0});
    for (std::uint64_t i = 0; i < blocks && i < state.verified.size(); ++i)
        if (state.verified[i]) bitmap[i / 8] |= std::byte{static_cast<std::uint8_t>(0x80u >> (i % 8))};
    w.raw(bitmap);
    w.raw(content::Sha256().of(out));
    return out;
}

Result<ResumeState> decode_resume_state(ByteSpan bytes) {
    if (bytes.size() < magic.size() || std::memcmp(bytes.data(), magic.data(), magic.size()) != 0)
        return make_error(ErrorCode::malformed,
                          fmt::format("not a napster download state: it does not start with \"{}\"", magic));
    if (bytes.size() < magic.size() + 4 + content::digest_size)
        return damaged(fmt::format("{} bytes are too few", bytes.size()));
    ByteReader version_reader(bytes.subspan(magic.size(), 4));
    std::uint32_t version = version_reader.u32("format version");
    if (version != resume_state_version)
        return make_error(ErrorCode::malformed,
                          fmt::format("download state has format version {}; this napster reads version {}",
                                      version, resume_state_version));
    ByteSpan body = bytes.first(bytes.size() - content::digest_size);
    content::Digest sum = content::Sha256().of(body);
    if (std::memcmp(sum.data(), bytes.data() + body.size(), sum.size()) != 0)
        return damaged("its checksum does not match (a torn write or a changed file)");

    ByteReader in(body.subspan(magic.size() + 4));
    ResumeState state;
    state.root = content::read_digest(in, "root");
    state.size = in.u64("size");
    state.name = in.str16("name", protocol::max_file_name);
    state.output_dir = in.str16("output dir", protocol::max_dir_path);
    if (!in.ok()) return damaged(in.error());
    if (auto problem = file_name_problem(state.name)) return damaged(*problem);
    if (!state.output_dir.starts_with('/') || state.output_dir.find('\0') != std::string::npos)
        return damaged("the output dir is not an absolute path");
    std::uint64_t blocks = content::block_count(state.size);
    if (in.remaining() != (blocks + 7) / 8)
        return damaged(fmt::format("{} bytes of block bitmap, not the {} that {} blocks take", in.remaining(),
                                   (blocks + 7) / 8, blocks));
    std::string bitmap = in.raw("bitmap", in.remaining());
    state.verified.assign(static_cast<std::size_t>(blocks), false);
    for (std::uint64_t i = 0; i < bitmap.size() * 8; ++i) {
        bool set = (static_cast<unsigned char>(bitmap[i / 8]) & (0x80u >> (i % 8))) != 0;
        if (i < blocks)
            state.verified[i] = set;
        else if (set)
            return damaged("a block past the last one is marked verified");
    }
    return state;
}

} // namespace napster
