// SPDX-License-Identifier: MIT
#pragma once

// Which blocks of one content each holder is asked for, when several hold
// it. Pure: no I/O, no clock; the Download reports what happens and asks
// what to do next.
//
// The blocks not yet verified are cut into ranges of at most
// range_blocks blocks (a range never spans a verified block, so resumed
// blocks are not fetched again). An idle source is given the first range
// no source fetches. When none is left (the endgame), an idle source that
// has proved itself (the caller says so: it has delivered a range) is
// given a copy of what remains of the range another source is still
// fetching, the one with the most blocks left, so the last range does not
// wait on the slowest source: whichever source delivers a block first has
// it verified, and a source whose whole range was verified by others is
// reported as outrun, for the caller to cancel. A range has at most two
// sources at a time.
//
// A source delivers its range in order, so what it still has to send is
// the range from its first block not yet verified. A source that fails
// gives its blocks back: the next idle source is given them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace napster {

class RangePlan {
public:
    using SourceId = std::size_t;

    struct Range {
        std::uint64_t first = 0; // block index
        std::uint64_t count = 0; // blocks
        bool operator==(const Range&) const = default;
    };

    // What verifying a block changed.
    struct Verified {
        bool range_done = false;       // the source that sent it has no more to fetch
        std::vector<SourceId> outrun;  // other sources whose every block is verified now
    };

    // `verified` has one entry per block: those already verified (resumed)
    // are never assigned. range_blocks is at least 1.
    RangePlan(std::vector<bool> verified, std::uint64_t range_blocks);

    // The range this source should fetch next, or nothing when every block
    // is verified or fetched by two sources already (or, without
    // may_copy, fetched by one). Gives up the source's range if it has one.
    std::optional<Range> assign(SourceId source, bool may_copy = true);
    // The source has sent `block`, and it matched its leaf.
    Verified block_verified(SourceId source, std::uint64_t block);
    // The source stops fetching (failed, cancelled, outrun): its blocks not
    // yet verified go back to the plan.
    void release(SourceId source);

    // What this source still has to fetch of its range, if it has one.
    std::optional<Range> range_of(SourceId source) const;
    bool complete() const { return missing_ == 0; }
    std::uint64_t missing_blocks() const { return missing_; }
    // Blocks no source fetches yet.
    std::uint64_t unassigned_blocks() const;
    const std::vector<bool>& verified() const { return verified_; }

private:
    struct Flight {
        SourceId source;
        std::uint64_t next; // first block of the range not yet verified
        std::uint64_t end;  // one past its last block
    };
    void advance(Flight& flight) const;
    bool fetched(std::uint64_t block) const;
    std::size_t sources_on(std::uint64_t block) const;

    std::vector<bool> verified_;
    std::uint64_t range_blocks_;
    std::uint64_t missing_ = 0;
    std::vector<Flight> flights_;
};

// How many blocks a range has for a file of `block_count` blocks pulled from
// `sources` holders: about four ranges a source, so a slow source holds up
// little, between 1 and 16 blocks (16 MiB), so a fast one is not stopped
// for a new connection at every block. One source is asked for everything
// missing in one range.
std::uint64_t range_blocks_for(std::uint64_t block_count, std::size_t sources);

} // namespace napster
