// SPDX-License-Identifier: MIT
#pragma once

// The replies every channel shares: the accepting side of the HELLO/WELCOME
// handshake (one place decides which HELLO is refused and how), and PONG.

#include "event/connection.h"

#include <string_view>

namespace napster {

struct HandshakeSide {
    protocol::Channel channel;      // the channel this listener serves
    std::string_view speaker;       // "this index": who names its version
    std::string_view wrong_channel; // the reply to a HELLO for another channel
};

// Answers WELCOME, with the highest version both sides speak, to a HELLO
// for `side.channel`; anything else gets an ERROR (version_mismatch names
// both ranges) and the connection closes. Returns whether the
// handshake is done.
bool answer_hello(Connection& connection, const protocol::Frame& frame, const HandshakeSide& side);

// PONG with the PING's token, either side of a long-lived channel.
void answer_ping(Connection& connection, const protocol::Frame& frame);

} // namespace napster
