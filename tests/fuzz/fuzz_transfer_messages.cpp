// SPDX-License-Identifier: MIT
// Fuzzes the decoders of the transfer channel's messages: GET, GET_OK,
// GET_HASHES and HASHES (transfer_messages.*).
//
// Input: one frame as it arrives on a socket; bytes after it are ignored,
// and a frame of another type is skipped.
//
// Checks: a refusal is a malformed error naming the message; whatever
// decodes encodes to the bytes received and decodes again to the same
// value; a decoded GET names a safe file (the holder looks it up, and the
// downloader's name is what it writes under), a requester name within the
// limit and a range whose end fits in 64 bits; a decoded GET_OK's range
// lies inside the file (offset + length <= size, without overflow);
// GET_HASHES asks for 1..max_hashes_per_reply blocks of a safe name; HASHES
// carries no more than max_hashes_per_reply leaves, and no more than the
// file's size has blocks past `first` (the downloader indexes by them).
#include "fuzz_check.h"

#include "content/hash_tree.h"
#include "protocol/name_rules.h"
#include "protocol/transfer_messages.h"

#include <cstdint>

using namespace napster;
using namespace napster::protocol;

namespace {

void check_get(const fuzz::InputFrame& input) {
    auto get = fuzz::check_round_trip<Get>(input);
    if (!get) return;
    FUZZ_CHECK(is_safe_file_name(get->name));
    FUZZ_CHECK(get->requester_name.size() <= max_peer_name);
    FUZZ_CHECK(get->length <= UINT64_MAX - get->offset);
}

void check_get_ok(const fuzz::InputFrame& input) {
    auto ok = fuzz::check_round_trip<GetOk>(input);
    if (!ok) return;
    FUZZ_CHECK(ok->offset <= ok->size);
    FUZZ_CHECK(ok->length <= ok->size - ok->offset);
}

void check_get_hashes(const fuzz::InputFrame& input) {
    auto get = fuzz::check_round_trip<GetHashes>(input);
    if (!get) return;
    FUZZ_CHECK(is_safe_file_name(get->name));
    FUZZ_CHECK(get->count >= 1 && get->count <= max_hashes_per_reply);
}

void check_hashes(const fuzz::InputFrame& input) {
    auto hashes = fuzz::check_round_trip<Hashes>(input);
    if (!hashes) return;
    std::uint64_t blocks = content::block_count(hashes->size);
    std::uint64_t past_first = hashes->first < blocks ? blocks - hashes->first : 0;
    FUZZ_CHECK(hashes->leaves.size() <= max_hashes_per_reply);
    FUZZ_CHECK(hashes->leaves.size() <= past_first);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = fuzz::first_frame(fuzz::input_bytes(data, size));
    if (!input) return 0;
    switch (input->frame.type) {
    case MessageType::get:
        check_get(*input);
        break;
    case MessageType::get_ok:
        check_get_ok(*input);
        break;
    case MessageType::get_hashes:
        check_get_hashes(*input);
        break;
    case MessageType::hashes:
        check_hashes(*input);
        break;
    default:
        break;
    }
    return 0;
}
