// SPDX-License-Identifier: MIT
#include "protocol/common_messages.h"

namespace napster::protocol {

void Hello::write(ByteWriter& w) const {
    w.u32(magic);
    w.u16(version);
    w.u8(static_cast<std::uint8_t>(channel));
}

Hello Hello::read(ByteReader& r) {
    Hello m;
    if (r.u32("magic") != magic && r.ok()) r.fail("magic is not \"NAPS\": not a napster peer");
    m.version = r.u16("version");
    std::uint8_t channel = r.u8("channel");
    if (r.ok() && (channel < 1 || channel > 3))
        r.fail(fmt::format("channel {} is not 1, 2 or 3", channel));
    m.channel = static_cast<Channel>(channel);
    return m;
}

void Welcome::write(ByteWriter& w) const { w.u16(version); }

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

void Ping::write(ByteWriter& w) const { w.u64(token); }

Ping Ping::read(ByteReader& r) { return Ping{r.u64("token")}; }

void Pong::write(ByteWriter& w) const { w.u64(token); }

Pong Pong::read(ByteReader& r) { return Pong{r.u64("token")}; }

} // namespace napster::protocol
