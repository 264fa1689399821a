// SPDX-License-Identifier: MIT
#include "peer/range_plan.h"

#include <algorithm>

namespace napster {

RangePlan::RangePlan(std::vector<bool> verified, std::uint64_t range_blocks)
    : verified_(std::move(verified)), range_blocks_(std::max<std::uint64_t>(range_blocks, 1)) {
    missing_ = static_cast<std::uint64_t>(std::count(verified_.begin(), verified_.end(), false));
}

bool RangePlan::fetched(std::uint64_t block) const {
    return sources_on(block) > 0;
}

std::size_t RangePlan::sources_on(std::uint64_t block) const {
    return static_cast<std::size_t>(std::count_if(flights_.begin(), flights_.end(), [block](const Flight& f) {
        return f.next <= block && block < f.end;
    }));
}

void RangePlan::advance(Flight& flight) const {
    while (flight.next < flight.end && verified_[flight.next]) ++flight.next;
}

std::optional<RangePlan::Range> RangePlan::assign(SourceId source, bool may_copy) {
    release(source);
    const std::uint64_t blocks = verified_.size();
    for (std::uint64_t first = 0; first < blocks; ++first) {
        if (verified_[first] || fetched(first)) continue;
        std::uint64_t end = first + 1;
        while (end < blocks && end - first < range_blocks_ && !verified_[end] && !fetched(end)) ++end;
        flights_.push_back(Flight{source, first, end});
        return Range{first, end - first};
    }
    if (!may_copy) return std::nullopt;
    // The endgame: the longest rest of a range another source fetches
    // alone.
    const Flight* longest = nullptr;
    for (const Flight& f : flights_)
        if (f.source != source && f.next < f.end && sources_on(f.next) < 2 &&
            (!longest || f.end - f.next > longest->end - longest->next))
            longest = &f;
    if (!longest) return std::nullopt;
    Flight copy{source, longest->next, longest->end};
    flights_.push_back(copy);
    return Range{copy.next, copy.end - copy.next};
}

RangePlan::Verified RangePlan::block_verified(SourceId source, std::uint64_t block) {
    Verified result;
    if (block >= verified_.size()) return result;
    if (!verified_[block]) {
        verified_[block] = true;
        --missing_;
    }
    for (Flight& f : flights_) advance(f);
    std::erase_if(flights_, [&](const Flight& f) {
        if (f.next < f.end) return false;
        if (f.source == source)
            result.range_done = true;
        else
            result.outrun.push_back(f.source);
        return true;
    });
    return result;
}

void RangePlan::release(SourceId source) {
    std::erase_if(flights_, [source](const Flight& f) { return f.source == source; });
}

std::optional<RangePlan::Range> RangePlan::range_of(SourceId source) const {
    for (const Flight& f : flights_)
        if (f.source == source) return Range{f.next, f.end - f.next};
    return std::nullopt;
}

std::uint64_t RangePlan::unassigned_blocks() const {
    std::uint64_t count = 0;
    for (std::uint64_t b = 0; b < verified_.size(); ++b)
        if (!verified_[b] && !fetched(b)) ++count;
    return count;
}

std::uint64_t range_blocks_for(std::uint64_t block_count, std::size_t sources) {
    if (sources <= 1) return std::max<std::uint64_t>(block_count, 1);
    std::uint64_t per_range = block_count / (4 * std::max<std::uint64_t>(sources, 1));
    return std::clamp<std::uint64_t>(per_range, 1, 16);
}

} // namespace napster
