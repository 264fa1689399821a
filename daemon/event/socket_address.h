// SPDX-License-Identifier: MIT
#pragma once

// IP socket addresses as napster names them in logs and errors:
// "127.0.0.1:5015", "[::1]:5015". Pure functions, any thread.

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace napster {

// The address for an IPv4 or IPv6 literal ("127.0.0.1", "::1") and a port;
// nullopt when `literal` is not one (a host name, say).
std::optional<sockaddr_storage> ip_address(const std::string& literal, std::uint16_t port);

// "127.0.0.1" or "::1"; empty for an address that is neither IPv4 nor IPv6.
std::string address_text(const sockaddr_storage& address);
std::uint16_t address_port(const sockaddr_storage& address);

// "127.0.0.1:5015" or "[::1]:5015"; "an address of family 1" for others.
std::string endpoint_text(const sockaddr_storage& address);
// The same for a host as configured: a name, or an IP literal.
std::string endpoint_text(const std::string& host, std::uint16_t port);

// Whether a peer that connects to `advertised` reaches a listener bound
// to `bound` (ports aside). The index advertises a peer at the address its
// index link comes from, so napeerd checks that address against its upload
// listener's: 0.0.0.0 takes IPv4 only, :: both families (Linux's default,
// IPV6_V6ONLY off), any other address only itself. An IPv4-mapped IPv6
// address (::ffff:127.0.0.1) counts as the IPv4 one it maps.
bool listener_reaches(const sockaddr_storage& bound, const sockaddr_storage& advertised);

} // namespace napster
