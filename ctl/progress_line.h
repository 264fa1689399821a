// SPDX-License-Identifier: MIT
#pragma once

// What `napctl fetch` and `napctl wait` show on stderr while a download
// runs: on a terminal (and TERM is not "dumb") one line rewritten in place
// with \r, with percent, bytes, current rate, ETA, sources and the phase
// ("syncing" while napeerd fsyncs at the end); at the end, the line gives
// way to a summary that stays (size, time, average rate, verified or not).
// Not on a terminal, only the summary; with --quiet, nothing.

#include "protocol/control_messages.h"
#include "util/rate_meter.h"

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace napster::ctl {

// "file8_3.txt   42%  1.2 MiB of 3.0 MiB  850.3 KiB/s  ETA 3 s  from 3 peers (a, b, c)";
// without a total, no percentage; without a rate (too early) no rate and
// no ETA; a phase other than transferring in place of rate and ETA; with
// one holder sending, "from bob"; with none, nothing. `name` must already
// be printable. At most max_progress_columns columns.
std::string progress_text(std::string_view name, const protocol::FetchProgress& progress,
                          std::optional<std::uint64_t> rate, std::optional<std::uint64_t> eta_seconds);

// Short enough for an 80-column terminal: a wrapped line cannot be
// rewritten with \r.
inline constexpr std::size_t max_progress_columns = 79;

// How the progress shows: live (a terminal), summary only, or not at all.
enum class ProgressMode { live, summary, quiet };

// Live only on a terminal whose TERM is set and not "dumb"; quiet with -q.
ProgressMode progress_mode(bool quiet, bool stream_is_terminal, const char* term);

// Writes to one stream (stderr). Not copyable.
class ProgressLine {
public:
    using Clock = std::chrono::steady_clock;

    ProgressLine(std::ostream& out, ProgressMode mode, std::string printable_name);
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;
    ~ProgressLine();

    // `now` paces redraws (at most every redraw_interval, but at once on a
    // change of phase); rates come from the progress's own elapsed times.
    void update(const protocol::FetchProgress& progress, Clock::time_point now);
    // The transfer id of the last progress, 0 before any.
    protocol::TransferId transfer_id() const { return transfer_id_; }
    // The time napeerd has spent on the download and the average rate, as
    // the last progress said.
    std::optional<std::uint64_t> elapsed_ms() const { return elapsed_ms_; }
    std::optional<std::uint64_t> average_rate() const { return meter_.average(); }
    // Erases the live line and writes `line` (ending in a newline) in its
    // place; nothing when quiet.
    void finish(std::string_view line);
    // Erases the live line, if one is shown.
    void clear();

private:
    std::ostream& out_;
    ProgressMode mode_;
    std::string name_;
    RateMeter meter_;
    protocol::TransferId transfer_id_ = 0;
    std::optional<std::uint64_t> elapsed_ms_;
    std::optional<protocol::TransferState> phase_;
    Clock::time_point last_drawn_{};
    bool shown_ = false;
};

} // namespace napster::ctl
