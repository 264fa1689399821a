// SPDX-License-Identifier: MIT
#pragma once

// A value or an error a user can act on. g++ 12 with C++20 has no
// std::expected, so this is the small subset of it the project uses.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace napster {

struct Error {
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

inline Error make_error(std::string message) { return Error{std::move(message)}; }

} // namespace napster
