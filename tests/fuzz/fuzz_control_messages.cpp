// SPDX-License-Identifier: MIT
// Fuzzes the decoders of the control channel's own messages (napctl <->
// napeerd): FETCH, FETCH_PROGRESS, FETCH_DONE, STATUS, STATUS_RESULT,
// SHARES, SHARES_BATCH, SHARES_END, RESCAN and RESCAN_DONE
// (control_messages.*), RELOAD and RELOAD_RESULT (reload_messages.*),
// TRANSFERS_RESULT, CANCEL, CANCEL_DONE, WAIT and WATCH_UPDATE
// (transfer_list_messages.*). SEARCH and SEARCH_RESULT, which it carries too, are
// fuzz_index_messages'.
//
// Input: one frame as it arrives on a socket; bytes after it are ignored,
// and a frame of another type is skipped.
//
// Checks: a refusal is a malformed error naming the message; whatever
// decodes encodes to the bytes received and decodes again to the same
// value; a decoded FETCH names a safe file, or no file and a root, and an
// output dir that is empty or absolute without NUL; a FETCH_DONE is
// verified only with a root; the enum fields of STATUS_RESULT hold named
// values; a SHARES_BATCH holds 1..max_batch_files entries; a RELOAD_RESULT
// holds at most max_reload_changes changes, each with a key; a FETCH_PROGRESS
// names a transfer and a phase that has not ended; a transfer listed has
// an id, a named state and at most max_transfers_listed companions.
#include "fuzz_check.h"

#include "protocol/control_messages.h"
#include "protocol/name_rules.h"
#include "protocol/reload_messages.h"
#include "protocol/transfer_list_messages.h"

#include <cstring>

using namespace napster;
using namespace napster::protocol;

namespace {

void check_fetch(const fuzz::InputFrame& input) {
    auto fetch = fuzz::check_round_trip<Fetch>(input);
    if (!fetch) return;
    FUZZ_CHECK(is_safe_file_name(fetch->name) || (fetch->name.empty() && fetch->root));
    FUZZ_CHECK(fetch->output_dir.empty() || fetch->output_dir.front() == '/');
    FUZZ_CHECK(fetch->output_dir.find('\0') == std::string::npos);
}

void check_fetch_done(const fuzz::InputFrame& input) {
    auto done = fuzz::check_round_trip<FetchDone>(input);
    if (done) FUZZ_CHECK(!done->verified || done->root);
}

void check_status_result(const fuzz::InputFrame& input) {
    auto status = fuzz::check_round_trip<StatusResult>(input);
    if (!status) return;
    FUZZ_CHECK(std::strcmp(index_state_name(status->index_state), "unknown") != 0);
    FUZZ_CHECK(std::strcmp(watch_state_name(status->watch_state), "unknown") != 0);
    FUZZ_CHECK(status->share_dirs.size() <= max_share_dirs);
}

void check_shares_batch(const fuzz::InputFrame& input) {
    auto batch = fuzz::check_round_trip<SharesBatch>(input);
    if (batch) FUZZ_CHECK(!batch->files.empty() && batch->files.size() <= max_batch_files);
}

void check_reload_result(const fuzz::InputFrame& input) {
    auto result = fuzz::check_round_trip<ReloadResult>(input);
    if (!result) return;
    FUZZ_CHECK(result->changes.size() <= max_reload_changes);
    for (const auto& change : result->changes) FUZZ_CHECK(!change.key.empty() && change.key.size() <= max_config_key);
}

void check_fetch_progress(const fuzz::InputFrame& input) {
    auto progress = fuzz::check_round_trip<FetchProgress>(input);
    if (!progress) return;
    FUZZ_CHECK(progress->transfer_id != 0);
    FUZZ_CHECK(!transfer_ended(progress->phase));
}

void check_transfers(const TransfersResult& result) {
    FUZZ_CHECK(result.transfers.size() <= max_transfers_listed);
    for (const auto& t : result.transfers) {
        FUZZ_CHECK(t.transfer_id != 0);
        FUZZ_CHECK(std::strcmp(transfer_state_name(t.state), "unknown") != 0);
        FUZZ_CHECK(t.peers.size() <= max_fetch_sources);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = fuzz::first_frame(fuzz::input_bytes(data, size));
    if (!input) return 0;
    switch (input->frame.type) {
    case MessageType::fetch:
        check_fetch(*input);
        break;
    case MessageType::fetch_progress:
        check_fetch_progress(*input);
        break;
    case MessageType::fetch_done:
        check_fetch_done(*input);
        break;
    case MessageType::status:
        fuzz::check_round_trip<StatusRequest>(*input);
        break;
    case MessageType::status_result:
        check_status_result(*input);
        break;
    case MessageType::shares:
        fuzz::check_round_trip<SharesRequest>(*input);
        break;
    case MessageType::shares_batch:
        check_shares_batch(*input);
        break;
    case MessageType::shares_end:
        fuzz::check_round_trip<SharesEnd>(*input);
        break;
    case MessageType::rescan:
        fuzz::check_round_trip<RescanRequest>(*input);
        break;
    case MessageType::rescan_done:
        fuzz::check_round_trip<RescanDone>(*input);
        break;
    case MessageType::reload:
        fuzz::check_round_trip<ReloadRequest>(*input);
        break;
    case MessageType::reload_result:
        check_reload_result(*input);
        break;
    case MessageType::transfers:
        fuzz::check_round_trip<TransfersRequest>(*input);
        break;
    case MessageType::transfers_result:
        if (auto result = fuzz::check_round_trip<TransfersResult>(*input)) check_transfers(*result);
        break;
    case MessageType::cancel:
        fuzz::check_round_trip<CancelRequest>(*input);
        break;
    case MessageType::cancel_done:
        fuzz::check_round_trip<CancelDone>(*input);
        break;
    case MessageType::wait:
        fuzz::check_round_trip<WaitRequest>(*input);
        break;
    case MessageType::watch:
        fuzz::check_round_trip<WatchRequest>(*input);
        break;
    case MessageType::watch_update:
        if (auto update = fuzz::check_round_trip<WatchUpdate>(*input)) check_transfers(update->transfers);
        break;
    default:
        break;
    }
    return 0;
}
