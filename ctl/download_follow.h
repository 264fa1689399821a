// SPDX-License-Identifier: MIT
#pragma once

// Following a download to its end, as `napctl fetch` and `napctl wait` do:
// FETCH_PROGRESS frames drive the progress line until FETCH_DONE or ERROR,
// then the path (or the JSON document) and the summary are printed. Ctrl-C
// stops following, not the download: napctl says in one line which
// transfer goes on and how to cancel it.

#include "ctl/command.h"
#include "ctl/control_client.h"
#include "protocol/control_messages.h"

#include <string>

namespace napster::ctl {

// `label` is what the progress line names (printable); `expected_root`, if
// set, must be FETCH_DONE's. --quiet hides the progress and the summary.
// Returns the exit status.
int follow_download(const CommandContext& ctx, ControlClient& client, std::string label,
                    const protocol::RootHash& expected_root, bool quiet);

// The line printed when Ctrl-C stops the following of transfer `id` (0:
// napeerd had not said which yet).
std::string interrupted_text(protocol::TransferId id);

} // namespace napster::ctl
