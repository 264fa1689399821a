// SPDX-License-Identifier: MIT
#pragma once

// Which searches get a log line of their own. On a small network an
// operator follows each search ("peer 3 searched love: 12 files at peers
// 1, 4"), as in the seed; at tens of thousands of searches a second those
// lines would be most of the index's work and flood the journal. So the
// first `lines_per_second` searches of each second are logged one by one,
// the rest only counted, and one summary line a second says how many went
// unlogged. Pure: the caller passes the time and writes the lines.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace napster {

// The peers a search line names: distinct, by ID, the first `shown` of
// them, then " and N more" (a common word's reply lists thousands).
std::string peers_for_log(std::vector<std::uint32_t> peer_ids, std::size_t shown = 10);

class SearchLogBudget {
public:
    // 0: no line of its own for any search, only the summaries.
    explicit SearchLogBudget(std::uint32_t lines_per_second) : lines_per_second_(lines_per_second) {}

    // A search answered at now_ms (a monotonic clock): true when it is to
    // get its own line; otherwise it is counted for the next summary.
    bool admit(std::uint64_t now_ms, bool found);

    struct Summary {
        std::uint64_t searches = 0;  // not logged one by one
        std::uint64_t not_found = 0; // of those
        std::uint64_t span_ms = 0;   // from the start of their second to now
    };
    // When a summary is owed: the end of the current second; nothing when
    // no search is waiting to be summed up.
    std::optional<std::uint64_t> summary_due() const;
    // The searches counted since the last summary, and a fresh count;
    // nothing when there are none.
    std::optional<Summary> take_summary(std::uint64_t now_ms);

private:
    static constexpr std::uint64_t window_ms = 1000;

    std::uint32_t lines_per_second_;
    std::optional<std::uint64_t> window_start_;
    std::uint32_t logged_in_window_ = 0;
    std::uint64_t counted_ = 0;
    std::uint64_t counted_not_found_ = 0;
    std::uint64_t counted_since_ = 0; // start of the window of the first counted
};

} // namespace napster
