// SPDX-License-Identifier: MIT
// Fuzzes the decoders of the index channel's own messages: REGISTER,
// REGISTERED, FILES_ADD, FILES_REMOVE, SEARCH and SEARCH_RESULT
// (index_messages.*; SEARCH and SEARCH_RESULT also cross the control
// channel). HELLO, WELCOME, ERROR, PING and PONG, which the index channel
// carries too, are fuzz_common_messages'.
//
// Input: one frame as it arrives on a socket; bytes after it are ignored,
// and a frame of another type is skipped.
//
// Checks: a refusal is a malformed error naming the message; whatever
// decodes encodes to the bytes received and decodes again to the same
// value; a decoded batch holds 1..max_batch_files entries, each a safe name
// that is the last component of a safe relative path; a SEARCH has a query
// or a root, never both; a SEARCH_RESULT's size is what encoded_size() says
// of its hits (the index relies on it to stay under the frame limit), no
// hit has more holders than allowed, every holder's name is safe, and in a
// hit without a root it is the hit's name (a downloader asks for it by name).
#include "fuzz_check.h"

#include "protocol/index_messages.h"
#include "protocol/name_rules.h"
#include "util/path_text.h"

using namespace napster;
using namespace napster::protocol;

namespace {

void check_file_entries(const std::vector<FileEntry>& files) {
    FUZZ_CHECK(!files.empty() && files.size() <= max_batch_files);
    for (const FileEntry& file : files) {
        FUZZ_CHECK(is_safe_file_name(file.name));
        FUZZ_CHECK(!relative_path_problem(file.rel_path));
        FUZZ_CHECK(base_name(file.rel_path) == file.name);
    }
}

void check_files_add(const fuzz::InputFrame& input) {
    if (auto add = fuzz::check_round_trip<FilesAdd>(input)) check_file_entries(add->files);
}

void check_files_remove(const fuzz::InputFrame& input) {
    auto remove = fuzz::check_round_trip<FilesRemove>(input);
    if (remove) FUZZ_CHECK(!remove->file_ids.empty() && remove->file_ids.size() <= max_batch_files);
}

void check_search(const fuzz::InputFrame& input) {
    auto search = fuzz::check_round_trip<Search>(input);
    if (!search) return;
    FUZZ_CHECK(search->query.size() <= max_query);
    FUZZ_CHECK(search->query.empty() == search->root.has_value());
    FUZZ_CHECK((search->flags & ~search_flag_exact) == 0);
}

void check_search_result(const fuzz::InputFrame& input) {
    auto result = fuzz::check_round_trip<SearchResult>(input);
    if (!result) return;
    // request id, total matches, hit count; then the hits.
    std::size_t size = 4 + 4 + 1 + 2; // request id, total, flags, hit count
    for (const SearchHit& hit : result->hits) {
        FUZZ_CHECK(is_safe_file_name(hit.name));
        FUZZ_CHECK(hit.holders.size() <= max_holders_per_result);
        FUZZ_CHECK(hit.holder_total >= hit.holders.size());
        for (const Holder& holder : hit.holders) {
            FUZZ_CHECK(is_safe_file_name(holder.name));
            FUZZ_CHECK(hit.root || holder.name == hit.name);
        }
        size += encoded_size(hit);
    }
    FUZZ_CHECK(result->total_matches >= result->hits.size());
    FUZZ_CHECK(size == input.frame.payload.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = fuzz::first_frame(fuzz::input_bytes(data, size));
    if (!input) return 0;
    switch (input->frame.type) {
    case MessageType::register_peer: {
        auto peer = fuzz::check_round_trip<RegisterPeer>(*input);
        if (peer) FUZZ_CHECK(!peer->name.empty() && peer->upload_port != 0);
        break;
    }
    case MessageType::registered:
        fuzz::check_round_trip<Registered>(*input);
        break;
    case MessageType::files_add:
        check_files_add(*input);
        break;
    case MessageType::files_remove:
        check_files_remove(*input);
        break;
    case MessageType::search:
        check_search(*input);
        break;
    case MessageType::search_result:
        check_search_result(*input);
        break;
    default:
        break;
    }
    return 0;
}
