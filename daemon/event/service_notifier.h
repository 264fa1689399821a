// SPDX-License-Identifier: MIT
#pragma once

// Talking to systemd without libsystemd: the sd_notify(3) datagrams a
// Type=notify service sends over $NOTIFY_SOCKET (READY=1, STATUS=,
// RELOADING=1, STOPPING=1, WATCHDOG=1), and the sd_listen_fds(3) handshake
// of socket activation ($LISTEN_PID, $LISTEN_FDS, first fd 3).
//
// The parsing and formatting half is pure (free functions below, tested in
// tests/systemd/test_service_notifier.cpp); ServiceNotifier owns the socket
// and the timers.

#include "event/timer.h"
#include "util/log.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace napster {

// --- pure part ---------------------------------------------------------

// Where $NOTIFY_SOCKET points: a filesystem path ("/run/systemd/notify") or
// an abstract socket ("@name", sent with a leading NUL byte).
struct NotifyAddress {
    sockaddr_un address{};
    socklen_t length = 0; // bytes of `address` that sendto() must use

    bool abstract() const { return address.sun_path[0] == '\0'; }
};

// nullopt for an empty value, a relative path, a name too long for
// sun_path, or a scheme we do not speak (systemd ≥ 254 also knows vsock:).
std::optional<NotifyAddress> parse_notify_socket(std::string_view value);

// The watchdog period in microseconds when $WATCHDOG_USEC (and
// $WATCHDOG_PID, if set) ask process `self` for keep-alives; nullopt when
// they are unset, malformed, zero or meant for another process.
std::optional<std::uint64_t> parse_watchdog(const char* watchdog_usec, const char* watchdog_pid,
                                            pid_t self);

// How many fds systemd passed (starting at listen_fds_start) when
// $LISTEN_PID names process `self`; 0 otherwise, or when malformed.
inline constexpr int listen_fds_start = 3; // SD_LISTEN_FDS_START
int parse_listen_fds(const char* listen_pid, const char* listen_fds, pid_t self);

// The datagrams, one "KEY=VALUE" per line.
std::string notify_ready_message();                                   // "READY=1"
std::string notify_status_message(std::string_view text);             // "STATUS=..."
std::string notify_reloading_message(std::uint64_t monotonic_usec);   // "RELOADING=1\nMONOTONIC_USEC=..."
std::string notify_stopping_message();                                // "STOPPING=1"
std::string notify_watchdog_message();                                // "WATCHDOG=1"

// --- process glue --------------------------------------------------------

// sd_listen_fds(1): the number of inherited sockets (first at fd 3), 0 when
// not socket-activated. Marks them close-on-exec and unsets LISTEN_PID,
// LISTEN_FDS and LISTEN_FDNAMES, so a child never mistakes them for its own.
int take_systemd_listen_fds();

// Sends sd_notify messages for this process. Reads $NOTIFY_SOCKET and the
// watchdog variables once, in the constructor, and removes them from the
// environment (as sd_notify's unset_environment does) so children do not
// inherit them. Without $NOTIFY_SOCKET every call is a no-op and no timer
// is started.
//
// Ownership: owns its datagram socket and two timers (watchdog, status
// refresh); both timers keep the loop alive, so call stopping() before the
// loop is meant to run dry. Loop thread only.
class ServiceNotifier {
public:
    ServiceNotifier(uv_loop_t* loop, Logger& log);
    ~ServiceNotifier();
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    bool enabled() const { return fd_ >= 0; }
    // The watchdog period in microseconds, 0 when systemd asked for none.
    std::uint64_t watchdog_usec() const { return watchdog_usec_; }

    // Serving now (after binding, or after a reload).
    void ready();
    // A short state line; sent only when it differs from the last one.
    void status(std::string_view text);
    // Calls `summary` every `interval_ms` and sends its result as STATUS=
    // when it has changed. Sends the first one at once.
    void watch_status(std::function<std::string()> summary, std::uint64_t interval_ms);
    // Before re-reading the config on SIGHUP; follow it with ready().
    void reloading();
    // Shutting down; stops the watchdog and the status refresh. Once called,
    // the other calls are no-ops (a SIGHUP during shutdown sends nothing).
    void stopping();

private:
    void send(const std::string& message);

    Logger& log_;
    int fd_ = -1;
    NotifyAddress target_;
    std::string target_text_;
    std::string last_status_;
    std::uint64_t watchdog_usec_ = 0;
    bool send_failed_ = false;
    bool stopping_ = false;
    Timer watchdog_timer_;
    Timer status_timer_;
    std::function<std::string()> summary_;
};

} // namespace napster
