// SPDX-License-Identifier: MIT
#include "ctl/progress_line.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

#include <ostream>

namespace napster::ctl {
namespace {

// Keeps the line shorter than a common 80-column terminal: a wrapped line
// cannot be rewritten with \r.
constexpr std::size_t max_name_columns = 32;
// A rate over a shorter time mostly measures the connection setup.
constexpr std::chrono::milliseconds min_rate_time{500};
constexpr std::chrono::milliseconds redraw_interval{100};
// Carriage return, then erase to the end of the line (VT100 EL).
constexpr std::string_view erase_line = "\r\x1b[K";
// The holders' names, after "from N peers", cut to this many columns.
constexpr std::size_t max_sources_columns = 24;

std::string sources_text(const std::vector<protocol::TransferPeer>& sources) {
    if (sources.empty()) return "";
    if (sources.size() == 1) return "  from " + truncate_display(printable(sources[0].peer_name), max_sources_columns);
    std::string names;
    for (const auto& source : sources) names += (names.empty() ? "" : ", ") + printable(source.peer_name);
    return fmt::format("  from {} peers ({})", sources.size(), truncate_display(names, max_sources_columns));
}

} // namespace

std::string progress_text(std::string_view name, const protocol::FetchProgress& progress,
                          std::chrono::duration<double> elapsed) {
    std::uint64_t received = progress.received;
    std::uint64_t total = progress.total;
    std::string text = truncate_display(name, max_name_columns);
    if (total > 0) {
        std::uint64_t shown = std::min(received, total);
        // Multiply as double: received * 100 may overflow 64 bits.
        auto percent = static_cast<unsigned>(static_cast<double>(shown) * 100.0 / static_cast<double>(total));
        text += fmt::format("  {:3}%  {} of {}", percent, human_size(received), human_size(total));
    } else {
        text += fmt::format("  {}", human_size(received));
    }
    if (elapsed >= min_rate_time) {
        auto rate = static_cast<std::uint64_t>(static_cast<double>(received) / elapsed.count());
        text += fmt::format("  {}/s", human_size(rate));
    }
    return text + sources_text(progress.sources);
}

ProgressLine::ProgressLine(std::ostream& out, bool enabled, std::string printable_name)
    : out_(out), enabled_(enabled), name_(std::move(printable_name)), started_(Clock::now()) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::update(const protocol::FetchProgress& progress) {
    if (!enabled_) return;
    auto now = Clock::now();
    bool finished = progress.total > 0 && progress.received >= progress.total;
    if (shown_ && !finished && now - last_drawn_ < redraw_interval) return;
    last_drawn_ = now;
    out_ << erase_line << progress_text(name_, progress, now - started_) << std::flush;
    shown_ = true;
}

void ProgressLine::clear() {
    if (!shown_) return;
    out_ << erase_line << std::flush;
    shown_ = false;
}

} // namespace napster::ctl
