// SPDX-License-Identifier: MIT
#pragma once

// napctl's exit statuses and the failure value every step returns. The
// status is part of the interface scripts rely on (see ctl/README.md), so a
// failure carries it from where it is decided to where napctl exits.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace napster::ctl {

inline constexpr int exit_success = 0;
inline constexpr int exit_failure = 1;     // not found, refused, or napeerd failed
inline constexpr int exit_usage = 2;       // bad command line
inline constexpr int exit_unreachable = 3; // no napeerd at the socket

struct Failure {
    int status = exit_failure;
    std::string message; // printed as "napctl: MESSAGE"
    std::string hint;    // an extra line after it, e.g. the usage of a command
};

inline Failure failure(std::string message) { return {exit_failure, std::move(message), {}}; }

// A value or the Failure that prevented it.
template <typename T> class Outcome {
public:
    Outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Outcome(Failure failure) : state_(std::in_place_index<1>, std::move(failure)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() {
        assert(ok());
        return std::get<0>(state_);
    }
    const T& value() const {
        assert(ok());
        return std::get<0>(state_);
    }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Failure& failure() const {
        assert(!ok());
        return std::get<1>(state_);
    }

private:
    std::variant<T, Failure> state_;
};

struct Done {};

} // namespace napster::ctl
