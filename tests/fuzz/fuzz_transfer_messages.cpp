// SPDX-License-Identifier: MIT
// Fuzzes the decoders of the transfer channel's messages: GET and GET_OK
// (transfer_messages.*).
//
// Input: one frame as it arrives on a socket; bytes after it are ignored,
// and a frame of another type is skipped.
//
// Checks: a refusal is a malformed error naming the message; whatever
// decodes encodes to the bytes received and decodes again to the same
// value; a decoded GET names a safe file (the holder looks it up, and the
// downloader's name is what it writes under) and a requester name within
// the limit; a decoded GET_OK never promises more bytes than the file has.
#include "fuzz_check.h"

#include "protocol/name_rules.h"
#include "protocol/transfer_messages.h"

using namespace napster;
using namespace napster::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = fuzz::first_frame(fuzz::input_bytes(data, size));
    if (!input) return 0;
    switch (input->frame.type) {
    case MessageType::get:
        if (auto get = fuzz::check_round_trip<Get>(*input)) {
            FUZZ_CHECK(is_safe_file_name(get->name));
            FUZZ_CHECK(get->requester_name.size() <= max_peer_name);
        }
        break;
    case MessageType::get_ok:
        if (auto ok = fuzz::check_round_trip<GetOk>(*input)) FUZZ_CHECK(ok->length <= ok->size);
        break;
    default:
        break;
    }
    return 0;
}
