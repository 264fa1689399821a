// SPDX-License-Identifier: MIT
#pragma once

// napctl's exit statuses and the failure value every step returns. The
// status is part of the interface scripts rely on (see ctl/README.md), so a
// failure carries it from where it is decided to where napctl exits.

#include "util/result.h"

#include <string>
#include <utility>

namespace napster::ctl {

inline constexpr int exit_success = 0;
inline constexpr int exit_failure = 1;     // not found, refused, or napeerd failed
inline constexpr int exit_usage = 2;       // bad command line
inline constexpr int exit_unreachable = 3; // no napeerd at the socket
inline constexpr int exit_not_connected = 4; // napeerd runs but has no index link
inline constexpr int exit_interrupted = 130; // Ctrl-C (128 + SIGINT), as shells report it

struct Failure {
    int status = exit_failure;
    std::string message; // printed as "napctl: MESSAGE"
    std::string hint;    // an extra line after it, e.g. the usage of a command
    // A stable, machine-readable name for --json's error.code ("not_found");
    // empty: the one the status implies (failure_code).
    std::string code = {};
};

inline Failure failure(std::string message) { return {exit_failure, std::move(message), {}}; }
inline Failure failure(std::string code, std::string message) {
    return {exit_failure, std::move(message), {}, std::move(code)};
}

// The error code --json prints: failure.code, or by the exit status "usage",
// "unreachable", "not_connected", "interrupted", else "failed".
inline std::string failure_code(const Failure& failure) {
    if (!failure.code.empty()) return failure.code;
    switch (failure.status) {
    case exit_usage: return "usage";
    case exit_unreachable: return "unreachable";
    case exit_not_connected: return "not_connected";
    case exit_interrupted: return "interrupted";
    default: return "failed";
    }
}

// A value or the Failure that prevented it.
template <typename T> class Outcome : public BasicResult<T, Failure> {
public:
    using BasicResult<T, Failure>::BasicResult;
    const Failure& failure() const { return this->error(); }
};

struct Done {};

} // namespace napster::ctl
