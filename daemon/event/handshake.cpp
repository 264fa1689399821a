// SPDX-License-Identifier: MIT
#include "event/handshake.h"

#include "protocol/common_messages.h"

#include <fmt/format.h>

namespace napster {

using protocol::ErrorCode;

bool answer_hello(Connection& connection, const protocol::Frame& frame, const HandshakeSide& side) {
    if (frame.type != protocol::MessageType::hello) {
        connection.fail(ErrorCode::unexpected_message, "expected HELLO first");
        return false;
    }
    auto hello = protocol::decode_message<protocol::Hello>(frame.payload);
    if (!hello) {
        connection.fail(ErrorCode::malformed, hello.error().message);
        return false;
    }
    if (hello->version != protocol::version) {
        connection.fail(ErrorCode::version_mismatch, fmt::format("{} speaks protocol version {}, not {}",
                                                                 side.speaker, protocol::version, hello->version));
        return false;
    }
    if (hello->channel != side.channel) {
        connection.fail(ErrorCode::unexpected_message, std::string(side.wrong_channel));
        return false;
    }
    connection.send_message(protocol::Welcome{});
    return true;
}

void answer_ping(Connection& connection, const protocol::Frame& frame) {
    auto ping = protocol::decode_message<protocol::Ping>(frame.payload);
    if (!ping) return connection.fail(ErrorCode::malformed, ping.error().message);
    connection.send_message(protocol::Pong{ping->token});
}

} // namespace napster
