// SPDX-License-Identifier: MIT
#pragma once

// Sends a long run of frames on one connection without queuing it all at
// once: a source is asked for its next frame only while the connection's
// write queue is at or below the low-water mark, and again each time the
// queue drains to it. Sources run one after another in the order pushed, so
// a change queued behind a whole file list reaches the other side after it.
//
// Ownership: owned by the connection's handler, which calls pump() after a
// push and from Connection::Handler::on_drained; it keeps no pointer to the
// connection between calls. Loop thread only.

#include "event/connection.h"

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>

namespace napster {

class PacedSender {
public:
    // The next whole frame, or nothing when the source is used up.
    using Source = std::function<std::optional<Bytes>()>;

    // A mark of one frame's size keeps at most about two frames queued:
    // enough that the socket never waits for us, little enough that the
    // connection's write limit is never near.
    static constexpr std::size_t default_low_water = 1024 * 1024;

    explicit PacedSender(std::size_t low_water = default_low_water) : low_water_(low_water) {}

    // Sets the connection's low-water mark to ours, so that its handler's
    // on_drained comes when we may send again.
    void attach(Connection& connection) const { connection.set_low_water(low_water_); }

    void push(Source source) { sources_.push_back(std::move(source)); }
    void push_frame(Bytes frame);
    // Sends while the connection has room and a source has frames.
    void pump(Connection& connection);
    // No source is left.
    bool idle() const { return sources_.empty(); }
    void clear() { sources_.clear(); }

private:
    std::size_t low_water_;
    std::deque<Source> sources_;
    bool pumping_ = false;
};

} // namespace napster
