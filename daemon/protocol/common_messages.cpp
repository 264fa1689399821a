// SPDX-License-Identifier: MIT
#include "protocol/common_messages.h"

#include <algorithm>

namespace napster::protocol {

void Hello::write(ByteWriter& w) const {
    w.u32(magic);
    w.u16(max_version);
    w.u8(static_cast<std::uint8_t>(channel));
    w.u16(min_version);
}

Hello Hello::read(ByteReader& r) {
    Hello m;
    if (r.u32("magic") != magic && r.ok()) r.fail("magic is not \"NAPS\": not a napster peer");
    m.max_version = r.u16("version");
    std::uint8_t channel = r.u8("channel");
    if (r.ok() && (channel < 1 || channel > 3))
        r.fail(fmt::format("channel {} is not 1, 2 or 3", channel));
    m.channel = static_cast<Channel>(channel);
    // Version 1 ended here: its sender speaks that one version.
    m.min_version = r.ok() && r.remaining() == 0 ? m.max_version : r.u16("min_version");
    if (r.ok() && m.min_version > m.max_version)
        r.fail(fmt::format("min_version {} is above version {}", m.min_version, m.max_version));
    return m;
}

void Welcome::write(ByteWriter& w) const {
    w.u16(version);
}

Welcome Welcome::read(ByteReader& r) {
    Welcome m;
    m.version = r.u16("version");
    return m;
}

void ErrorMessage::write(ByteWriter& w) const {
    w.u16(static_cast<std::uint16_t>(code));
    w.str16(std::string_view(text).substr(0, max_error_text));
}

ErrorMessage ErrorMessage::read(ByteReader& r) {
    ErrorMessage m;
    m.code = static_cast<ErrorCode>(r.u16("error code"));
    m.text = r.str16("error text", max_error_text);
    return m;
}

ErrorMessage to_error_message(const Error& error) {
    return ErrorMessage{error.code, error.message};
}

Error to_error(const ErrorMessage& message) {
    return Error{message.code, message.text};
}

std::optional<std::uint16_t> choose_version(const Hello& hello, std::uint16_t our_min,
                                            std::uint16_t our_max) {
    std::uint16_t high = std::min(hello.max_version, our_max);
    std::uint16_t low = std::max(hello.min_version, our_min);
    if (high < low) return std::nullopt;
    return high;
}

Result<std::uint16_t> check_welcome(const Welcome& welcome, std::string_view speaker) {
    if (welcome.version < min_version || welcome.version > version)
        return make_error(ErrorCode::version_mismatch,
                          fmt::format("{} chose protocol version {}, but this program speaks {}",
                                      speaker, welcome.version,
                                      version_range_text(min_version, version)));
    return welcome.version;
}

std::string version_range_text(std::uint16_t min, std::uint16_t max) {
    if (min == max) return fmt::format("version {}", min);
    return fmt::format("versions {} to {}", min, max);
}

void Ping::write(ByteWriter& w) const {
    w.u64(token);
}

Ping Ping::read(ByteReader& r) {
    return Ping{r.u64("token")};
}

void Pong::write(ByteWriter& w) const {
    w.u64(token);
}

Pong Pong::read(ByteReader& r) {
    return Pong{r.u64("token")};
}

} // namespace napster::protocol
