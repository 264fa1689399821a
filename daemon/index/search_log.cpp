// SPDX-License-Identifier: MIT
#include "index/search_log.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace napster {

std::string peers_for_log(std::vector<std::uint32_t> peer_ids, std::size_t shown) {
    std::sort(peer_ids.begin(), peer_ids.end());
    peer_ids.erase(std::unique(peer_ids.begin(), peer_ids.end()), peer_ids.end());
    std::string more;
    if (peer_ids.size() > shown) {
        more = fmt::format(" and {} more", peer_ids.size() - shown);
        peer_ids.resize(shown);
    }
    return fmt::format("{}{}", fmt::join(peer_ids, ", "), more);
}


bool SearchLogBudget::admit(std::uint64_t now_ms, bool found) {
    if (!window_start_ || now_ms >= *window_start_ + window_ms) {
        window_start_ = now_ms;
        logged_in_window_ = 0;
    }
    if (logged_in_window_ < lines_per_second_) {
        ++logged_in_window_;
        return true;
    }
    if (counted_ == 0) counted_since_ = *window_start_;
    ++counted_;
    if (!found) ++counted_not_found_;
    return false;
}

std::optional<std::uint64_t> SearchLogBudget::summary_due() const {
    if (counted_ == 0) return std::nullopt;
    return *window_start_ + window_ms;
}

std::optional<SearchLogBudget::Summary> SearchLogBudget::take_summary(std::uint64_t now_ms) {
    if (counted_ == 0) return std::nullopt;
    Summary s{counted_, counted_not_found_, now_ms > counted_since_ ? now_ms - counted_since_ : 0};
    counted_ = 0;
    counted_not_found_ = 0;
    return s;
}

} // namespace napster
