// SPDX-License-Identifier: MIT
#include "event/handshake.h"

#include "protocol/common_messages.h"

#include <fmt/format.h>

namespace napster {

using protocol::ErrorCode;

bool answer_hello(Connection& connection, const protocol::Frame& frame, const HandshakeSide& side) {
    if (frame.type != protocol::MessageType::hello) {
        connection.fail({ErrorCode::unexpected_message, "expected HELLO first"});
        return false;
    }
    auto hello = protocol::decode_message<protocol::Hello>(frame.payload);
    if (!hello) {
        connection.fail(hello.error());
        return false;
    }
    auto chosen = protocol::choose_version(*hello);
    if (!chosen) {
        connection.fail(
            {ErrorCode::version_mismatch,
             fmt::format("{} speaks protocol {}, the client {}", side.speaker,
                         protocol::version_range_text(protocol::min_version, protocol::version),
                         protocol::version_range_text(hello->min_version, hello->max_version))});
        return false;
    }
    if (hello->channel != side.channel) {
        connection.fail({ErrorCode::unexpected_message, std::string(side.wrong_channel)});
        return false;
    }
    connection.send_message(protocol::Welcome{*chosen});
    return true;
}

void answer_ping(Connection& connection, const protocol::Frame& frame) {
    auto ping = protocol::decode_message<protocol::Ping>(frame.payload);
    if (!ping) return connection.fail(ping.error());
    connection.send_message(protocol::Pong{ping->token});
}

} // namespace napster
