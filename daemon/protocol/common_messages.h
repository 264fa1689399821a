// SPDX-License-Identifier: MIT
#pragma once

// Messages every channel uses: the version handshake, errors, keepalives.

#include "protocol/message_codec.h"

#include <optional>
#include <string>
#include <string_view>

namespace napster::protocol {

// First frame from the side that connected: the range of versions it
// speaks. A version-1 HELLO ends after channel and speaks version 1 alone;
// it decodes with min_version equal to max_version.
struct Hello {
    static constexpr MessageType type = MessageType::hello;
    std::uint16_t max_version = protocol::version;
    Channel channel = Channel::index;
    std::uint16_t min_version = protocol::min_version;

    void write(ByteWriter& w) const;
    static Hello read(ByteReader& r);

    friend bool operator==(const Hello&, const Hello&) = default;
};

// The accepting side's answer to a HELLO it can serve: the version chosen
// for this connection.
struct Welcome {
    static constexpr MessageType type = MessageType::welcome;
    std::uint16_t version = protocol::version;

    void write(ByteWriter& w) const;
    static Welcome read(ByteReader& r);

    friend bool operator==(const Welcome&, const Welcome&) = default;
};

// Either side; after sending one for a protocol fault the sender closes.
struct ErrorMessage {
    static constexpr MessageType type = MessageType::error;
    ErrorCode code = ErrorCode::internal;
    std::string text;

    void write(ByteWriter& w) const;
    static ErrorMessage read(ByteReader& r);

    friend bool operator==(const ErrorMessage&, const ErrorMessage&) = default;
};

// The one place an Error becomes a wire ERROR, and back.
ErrorMessage to_error_message(const Error& error);
Error to_error(const ErrorMessage& message);

// The highest version both this side (speaking `our_min` to `our_max`) and
// the HELLO's sender speak, or nothing when the ranges do not meet.
std::optional<std::uint16_t> choose_version(const Hello& hello, std::uint16_t our_min = min_version,
                                            std::uint16_t our_max = version);
// The connecting side's check of a WELCOME: the version must be one it
// offered in its HELLO. `speaker` names the other side for the error.
Result<std::uint16_t> check_welcome(const Welcome& welcome, std::string_view speaker);
// "version 2" or "versions 2 to 3", for errors naming both sides' ranges.
std::string version_range_text(std::uint16_t min, std::uint16_t max);

struct Ping {
    static constexpr MessageType type = MessageType::ping;
    std::uint64_t token = 0;

    void write(ByteWriter& w) const;
    static Ping read(ByteReader& r);

    friend bool operator==(const Ping&, const Ping&) = default;
};

struct Pong {
    static constexpr MessageType type = MessageType::pong;
    std::uint64_t token = 0;

    void write(ByteWriter& w) const;
    static Pong read(ByteReader& r);

    friend bool operator==(const Pong&, const Pong&) = default;
};

} // namespace napster::protocol
