// SPDX-License-Identifier: MIT
#pragma once

// A byte-rate limit shared by every transfer of one direction
// (upload.rate_limit, download.rate_limit). Pure: the caller passes the
// time, so tests need no clock.
//
// Tokens are bytes, refilled at `rate` a second up to a burst of a tenth
// of a second's worth (at least min_burst); taking may run the bucket into
// debt, as a socket read cannot be given back: the debt is paid before
// more is granted. Rate 0 is no limit.

#include <cstdint>

namespace napster {

class TokenBucket {
public:
    static constexpr std::uint64_t min_burst = 64 * 1024;

    explicit TokenBucket(std::uint64_t rate = 0) { set_rate(rate, 0); }

    // A new limit (SIGHUP): the bucket starts full of the new burst.
    void set_rate(std::uint64_t rate, std::uint64_t now_ms);
    std::uint64_t rate() const { return rate_; }
    bool limited() const { return rate_ != 0; }

    // Bytes that may go now, without debt (any number when unlimited).
    std::uint64_t available(std::uint64_t now_ms);
    // Bytes that went (read or sent); may leave the bucket in debt.
    void take(std::uint64_t now_ms, std::uint64_t bytes);
    // Milliseconds until at least `bytes` (at most a burst) are available;
    // 0 when they are now.
    std::uint64_t wait_ms(std::uint64_t now_ms, std::uint64_t bytes);

private:
    void refill(std::uint64_t now_ms);
    std::uint64_t burst() const;

    std::uint64_t rate_ = 0;
    std::int64_t tokens_ = 0;
    std::uint64_t last_ms_ = 0;
    // Refill keeps the remainder of bytes a millisecond does not give whole.
    std::uint64_t carry_ = 0;
};

} // namespace napster
