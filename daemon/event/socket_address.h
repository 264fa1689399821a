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

} // namespace napster
