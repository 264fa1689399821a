// SPDX-License-Identifier: MIT
#include "event/socket_address.h"

#include <netinet/in.h>
#include <uv.h>

#include <fmt/format.h>

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

std::string endpoint_text(const std::string& host, std::uint16_t port) {
    if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

} // namespace napster
