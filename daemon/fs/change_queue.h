// SPDX-License-Identifier: MIT
#pragma once

// Debounces inotify events into "look at this path now" decisions. Pure:
// the caller passes the time in, so tests need no clock.
//
// A path being written (IN_CREATE, IN_MODIFY) waits until it has been quiet
// for `quiet_ms`; one that is finished (IN_CLOSE_WRITE, a rename, a delete)
// is due at once. No path waits longer than `max_wait_ms` after its first
// event, so a file written without pause for minutes is still announced,
// and announced again as it grows.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace napster {

class ChangeQueue {
public:
    using Key = std::pair<std::uint32_t, std::string>; // (root, rel_path)

    ChangeQueue(std::uint64_t quiet_ms = 200, std::uint64_t max_wait_ms = 1000)
        : quiet_ms_(quiet_ms), max_wait_ms_(max_wait_ms) {}

    // A write is in progress.
    void touched(const Key& key, std::uint64_t now_ms);
    // The path is in its final state for now: look at it at once.
    void settled(const Key& key, std::uint64_t now_ms);
    // Forgets every queued path below `prefix` in `root` ("" = all of it),
    // for a subtree that a walk is about to list anyway.
    void forget_subtree(std::uint32_t root, const std::string& prefix);

    // Removes and returns the paths that are due.
    std::vector<Key> take_due(std::uint64_t now_ms);
    // Milliseconds until the next path is due, nullopt when none is queued.
    std::optional<std::uint64_t> next_due_in(std::uint64_t now_ms) const;

    std::size_t size() const { return pending_.size(); }

private:
    struct Pending {
        std::uint64_t first_ms;
        std::uint64_t due_ms;
        bool settled; // due as soon as taken: later writes do not delay it
    };

    std::uint64_t quiet_ms_;
    std::uint64_t max_wait_ms_;
    std::map<Key, Pending> pending_;
};

} // namespace napster
