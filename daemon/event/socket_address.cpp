// SPDX-License-Identifier: MIT
#include "event/socket_address.h"

#include <netinet/in.h>
#include <uv.h>

#include <fmt/format.h>

#include <cstring>

namespace napster {

std::optional<sockaddr_storage> ip_address(const std::string& literal, std::uint16_t port) {
    sockaddr_storage address{};
    if (uv_ip4_addr(literal.c_str(), port, reinterpret_cast<sockaddr_in*>(&address)) == 0)
        return address;
    // uv_ip6_addr also takes a scope ("fe80::1%eth0").
    if (uv_ip6_addr(literal.c_str(), port, reinterpret_cast<sockaddr_in6*>(&address)) == 0)
        return address;
    return std::nullopt;
}

std::string address_text(const sockaddr_storage& address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET6)
        uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&address), text, sizeof text);
    else if (address.ss_family == AF_INET)
        uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&address), text, sizeof text);
    return text;
}

std::uint16_t address_port(const sockaddr_storage& address) {
    if (address.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
    if (address.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
    return 0;
}

std::string endpoint_text(const sockaddr_storage& address) {
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6)
        return fmt::format("an address of family {}", address.ss_family);
    return endpoint_text(address_text(address), address_port(address));
}

namespace {

// ::ffff:a.b.c.d as a.b.c.d, port kept; other addresses as they are.
sockaddr_storage unmapped(const sockaddr_storage& address) {
    if (address.ss_family != AF_INET6) return address;
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(address);
    if (!IN6_IS_ADDR_V4MAPPED(&a6.sin6_addr)) return address;
    sockaddr_storage v4{};
    auto& a4 = reinterpret_cast<sockaddr_in&>(v4);
    a4.sin_family = AF_INET;
    a4.sin_port = a6.sin6_port;
    std::memcpy(&a4.sin_addr, a6.sin6_addr.s6_addr + 12, 4);
    return v4;
}

} // namespace

bool listener_reaches(const sockaddr_storage& bound_address, const sockaddr_storage& advertised_address) {
    sockaddr_storage bound = unmapped(bound_address);
    sockaddr_storage advertised = unmapped(advertised_address);
    if (advertised.ss_family != AF_INET && advertised.ss_family != AF_INET6) return false;
    if (bound.ss_family == AF_INET) {
        const auto& b4 = reinterpret_cast<const sockaddr_in&>(bound);
        if (advertised.ss_family != AF_INET) return false;
        if (b4.sin_addr.s_addr == htonl(INADDR_ANY)) return true;
        return b4.sin_addr.s_addr == reinterpret_cast<const sockaddr_in&>(advertised).sin_addr.s_addr;
    }
    if (bound.ss_family == AF_INET6) {
        const auto& b6 = reinterpret_cast<const sockaddr_in6&>(bound);
        if (IN6_IS_ADDR_UNSPECIFIED(&b6.sin6_addr)) return true;
        if (advertised.ss_family != AF_INET6) return false;
        const auto& a6 = reinterpret_cast<const sockaddr_in6&>(advertised);
        return IN6_ARE_ADDR_EQUAL(&b6.sin6_addr, &a6.sin6_addr);
    }
    return false;
}

std::string endpoint_text(const std::string& host, std::uint16_t port) {
    if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

} // namespace napster
