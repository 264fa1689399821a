// SPDX-License-Identifier: MIT
#pragma once

// Messages every channel uses: the version handshake, errors, keepalives.

#include "protocol/message_codec.h"

#include <string>

namespace napster::protocol {

// First frame from the side that connected.
struct Hello {
    static constexpr MessageType type = MessageType::hello;
    std::uint16_t version = protocol::version;
    Channel channel = Channel::index;

    void write(ByteWriter& w) const;
    static Hello read(ByteReader& r);

    friend bool operator==(const Hello&, const Hello&) = default;
};

// The accepting side's answer to a HELLO it can serve.
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
