// SPDX-License-Identifier: MIT
#include "ctl/progress_line.h"

#include "ctl/output.h"
#include "util/text.h"

#include <fmt/format.h>

#include <cstring>
#include <ostream>

namespace napster::ctl {
namespace {

constexpr std::size_t max_name_columns = 28;
constexpr std::chrono::milliseconds redraw_interval{100};
// Carriage return, then erase to the end of the line (VT100 EL).
constexpr std::string_view erase_line = "\r\x1b[K";
// The holders' names, after "from N peers", cut to this many columns.
constexpr std::size_t max_sources_columns = 20;

std::string sources_text(const std::vector<protocol::TransferPeer>& sources) {
    if (sources.empty()) return "";
    if (sources.size() == 1) return "  from " + truncate_display(printable(sources[0].peer_name), max_sources_columns);
    std::string names;
    for (const auto& source : sources) names += (names.empty() ? "" : ", ") + printable(source.peer_name);
    return fmt::format("  from {} peers ({})", sources.size(), truncate_display(names, max_sources_columns));
}

} // namespace

std::string progress_text(std::string_view name, const protocol::FetchProgress& progress,
                          std::optional<std::uint64_t> rate, std::optional<std::uint64_t> eta_seconds) {
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
    if (progress.phase == protocol::TransferState::transferring) {
        if (rate) text += fmt::format("  {}/s", human_size(*rate));
        if (rate && eta_seconds && total > 0) text += fmt::format("  ETA {}", human_duration(*eta_seconds));
    } else {
        text += fmt::format("  {}", protocol::transfer_state_name(progress.phase));
    }
    return truncate_display(text + sources_text(progress.sources), max_progress_columns);
}

ProgressMode progress_mode(bool quiet, bool stream_is_terminal, const char* term) {
    if (quiet) return ProgressMode::quiet;
    if (!stream_is_terminal || !term || !*term || std::strcmp(term, "dumb") == 0) return ProgressMode::summary;
    return ProgressMode::live;
}

ProgressLine::ProgressLine(std::ostream& out, ProgressMode mode, std::string printable_name)
    : out_(out), mode_(mode), name_(std::move(printable_name)) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::update(const protocol::FetchProgress& progress, Clock::time_point now) {
    transfer_id_ = progress.transfer_id;
    elapsed_ms_ = progress.elapsed_ms;
    meter_.sample(progress.elapsed_ms, progress.received);
    if (mode_ != ProgressMode::live) return;
    bool new_phase = phase_ != progress.phase;
    phase_ = progress.phase;
    if (shown_ && !new_phase && now - last_drawn_ < redraw_interval) return;
    last_drawn_ = now;
    out_ << erase_line << progress_text(name_, progress, meter_.rate(), meter_.eta_seconds(progress.total))
         << std::flush;
    shown_ = true;
}

void ProgressLine::finish(std::string_view line) {
    clear();
    if (mode_ != ProgressMode::quiet) out_ << line << std::flush;
}

void ProgressLine::clear() {
    if (!shown_) return;
    out_ << erase_line << std::flush;
    shown_ = false;
}

} // namespace napster::ctl
