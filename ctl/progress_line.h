// SPDX-License-Identifier: MIT
#pragma once

// The one-line fetch progress shown on a terminal: rewritten in place with
// \r, erased when the fetch ends so the final path stands alone.

#include "protocol/control_messages.h"

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace napster::ctl {

// "file8_3.txt  42%  1.2 MiB of 3.0 MiB  850.3 KiB/s  from 3 peers (a, b, c)";
// without a total, no percentage; without enough elapsed time for a
// meaningful rate, no rate; with one holder sending, "from bob"; with none
// (connecting, checking), nothing. `name` must already be printable.
std::string progress_text(std::string_view name, const protocol::FetchProgress& progress,
                          std::chrono::duration<double> elapsed);

// Writes to a terminal stream; does nothing when not enabled. Not copyable.
class ProgressLine {
public:
    ProgressLine(std::ostream& out, bool enabled, std::string printable_name);
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;
    ~ProgressLine();

    void update(const protocol::FetchProgress& progress);
    // Erases the line, if one is shown.
    void clear();

private:
    using Clock = std::chrono::steady_clock;

    std::ostream& out_;
    bool enabled_;
    std::string name_;
    Clock::time_point started_;
    Clock::time_point last_drawn_{};
    bool shown_ = false;
};

} // namespace napster::ctl
