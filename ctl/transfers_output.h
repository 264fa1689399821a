// SPDX-License-Identifier: MIT
#pragma once

// What `napctl transfers` and `napctl cancel` print: a table for people, or
// one JSON document. Pure string building; and the parsing of a transfer
// id given on the command line.

#include "ctl/failure.h"
#include "ctl/output.h"
#include "protocol/transfer_list_messages.h"
#include "protocol/transfer_messages.h"

#include <string>
#include <string_view>

namespace napster::ctl {

// A table (ID, DIR, STATE, DONE, %, RATE, ETA, PEERS, NAME), then one line
// per transfer that failed or was cancelled, saying why; "no transfers"
// when there are none.
std::string transfers_text(const protocol::TransfersResult& result);

// {"transfers": [{"id", "direction", "state", "name", "bytes_done",
// "bytes_total", "percent", "rate", "eta_seconds", "elapsed_ms", "peers":
// [{"peer_id", "peer_name"}], "error"}], "more"}; percent, eta_seconds,
// peer_id and error are null when not known (or none).
std::string transfers_json(const protocol::TransfersResult& result);
// Its "transfers" and "more" fields, inside an object being written.
void write_transfers(JsonWriter& json, const protocol::TransfersResult& result);

// "cancelled download 7 (big.bin)\n", and {"transfer_id", "direction", "name"}.
std::string cancel_text(const protocol::CancelDone& done);
std::string cancel_json(const protocol::CancelDone& done);

// A transfer id as napctl transfers shows it: 1 to 4294967295. `command`
// names the command for the error.
Outcome<protocol::TransferId> parse_transfer_id(std::string_view command, std::string_view text);

} // namespace napster::ctl
