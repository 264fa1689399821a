// SPDX-License-Identifier: MIT
#pragma once

// A value or an error a user can act on. g++ 12 with C++20 has no
// std::expected, so this is the small subset of it the project uses.

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace napster {

// What kind of failure an Error is. The values are the codes of the wire's
// ERROR message (napster-protocol(7)): an error that reaches a socket keeps
// the code chosen where it was decided, and a wire ERROR read back keeps its
// code too. Never renumber; a new kind is a protocol version's addition.
enum class ErrorCode : std::uint16_t {
    malformed = 1,          // frame or payload could not be decoded
    version_mismatch = 2,   // the two sides speak no common protocol version
    unexpected_message = 3, // valid message, wrong moment or wrong channel
    limit_exceeded = 4,     // a configured limit refused the request
    not_found = 5,          // no such file, peer or holder
    busy = 6,               // try again later
    io_error = 7,           // reading or writing a file, or a socket, failed
    invalid_argument = 8,   // a field or setting was out of range
    not_connected = 9,      // napeerd is not registered at the index
    internal = 10,          // a bug or an unexpected system failure
    permission_denied = 11, // the caller may not do this
    cancelled = 12,         // stopped on request (napctl cancel)
};

// A failure: its kind and a message a user can act on (which file, port or
// peer, and what to do), written once where the failure is decided.
struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string message;
};

// A value of type T, or an error of type E that prevented it.
template <typename T, typename E> class BasicResult {
public:
    BasicResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    BasicResult(E error) : state_(std::in_place_index<1>, std::move(error)) {}

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

    const E& error() const {
        assert(!ok());
        return std::get<1>(state_);
    }

private:
    std::variant<T, E> state_;
};

template <typename T> using Result = BasicResult<T, Error>;

// For operations that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorCode code, std::string message) {
    return Error{code, std::move(message)};
}

} // namespace napster
