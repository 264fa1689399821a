// SPDX-License-Identifier: MIT
#include "event/service_notifier.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace napster {
namespace {

// A whole decimal number, nothing else (no sign, no spaces, no suffix).
template <typename T> std::optional<T> parse_decimal(const char* text) {
    if (!text || !*text) return std::nullopt;
    std::string_view s(text);
    T value{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return value;
}

std::uint64_t monotonic_usec() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

} // namespace

std::optional<NotifyAddress> parse_notify_socket(std::string_view value) {
    NotifyAddress target;
    target.address.sun_family = AF_UNIX;
    constexpr std::size_t capacity = sizeof target.address.sun_path;
    constexpr auto header = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path));
    if (value.starts_with('/')) {
        // A path keeps its terminating NUL inside sun_path.
        if (value.size() >= capacity || value.find('\0') != std::string_view::npos) return std::nullopt;
        std::memcpy(target.address.sun_path, value.data(), value.size());
        target.length = header + static_cast<socklen_t>(value.size() + 1);
        return target;
    }
    if (value.starts_with('@')) {
        // Abstract: a leading NUL, then the name; the length says where it
        // ends (no terminator).
        std::string_view name = value.substr(1);
        if (name.empty() || name.size() > capacity - 1) return std::nullopt;
        target.address.sun_path[0] = '\0';
        std::memcpy(target.address.sun_path + 1, name.data(), name.size());
        target.length = header + static_cast<socklen_t>(1 + name.size());
        return target;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_watchdog(const char* watchdog_usec, const char* watchdog_pid, pid_t self) {
    auto usec = parse_decimal<std::uint64_t>(watchdog_usec);
    if (!usec || *usec == 0) return std::nullopt;
    if (watchdog_pid) {
        auto pid = parse_decimal<long long>(watchdog_pid);
        if (!pid || *pid != static_cast<long long>(self)) return std::nullopt;
    }
    return usec;
}

int parse_listen_fds(const char* listen_pid, const char* listen_fds, pid_t self) {
    auto pid = parse_decimal<long long>(listen_pid);
    if (!pid || *pid != static_cast<long long>(self)) return 0;
    auto count = parse_decimal<int>(listen_fds);
    if (!count || *count <= 0 || *count > INT_MAX - listen_fds_start) return 0;
    return *count;
}

std::string notify_ready_message() { return "READY=1"; }

std::string notify_status_message(std::string_view text) {
    // One line per field: a newline inside the text would start a new one.
    std::string line(text);
    std::replace(line.begin(), line.end(), '\n', ' ');
    return "STATUS=" + line;
}

std::string notify_reloading_message(std::uint64_t monotonic) {
    // systemd ≥ 253 (Type=notify-reload) wants MONOTONIC_USEC= beside
    // RELOADING=1 to tell this reload from an older one; older ones ignore it.
    return fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic);
}

std::string notify_stopping_message() { return "STOPPING=1"; }

std::string notify_watchdog_message() { return "WATCHDOG=1"; }

int take_systemd_listen_fds() {
    int count = parse_listen_fds(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), getpid());
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    for (int fd = listen_fds_start; fd < listen_fds_start + count; ++fd) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
    return count;
}

ServiceNotifier::ServiceNotifier(uv_loop_t* loop, Logger& log)
    : log_(log), watchdog_timer_(loop), status_timer_(loop) {
    const char* socket_env = std::getenv("NOTIFY_SOCKET");
    std::string socket_value = socket_env ? socket_env : "";
    auto watchdog = parse_watchdog(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), getpid());
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    if (socket_value.empty()) return;

    auto target = parse_notify_socket(socket_value);
    if (!target) {
        log_.warn("ignoring NOTIFY_SOCKET={}: not an absolute socket path or @abstract name", socket_value);
        return;
    }
    // Non-blocking: the loop never waits on systemd. Its notify socket has a
    // deep queue, so a full one means systemd is stuck, not merely busy.
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
        log_.warn("cannot notify systemd: socket: {}", std::strerror(errno));
        return;
    }
    target_ = *target;
    target_text_ = socket_value;

    if (watchdog) {
        watchdog_usec_ = *watchdog;
        // Half the period, as sd_watchdog_enabled(3) recommends.
        std::uint64_t interval_ms = std::max<std::uint64_t>(1, *watchdog / 2000);
        watchdog_timer_.start_repeating(interval_ms, [this] { send(notify_watchdog_message()); });
        log_.debug("systemd watchdog: keep-alive every {} ms", interval_ms);
    }
}

ServiceNotifier::~ServiceNotifier() {
    if (fd_ >= 0) ::close(fd_);
}

void ServiceNotifier::send(const std::string& message) {
    if (fd_ < 0) return;
    ssize_t sent = sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL,
                          reinterpret_cast<const sockaddr*>(&target_.address), target_.length);
    if (sent >= 0) {
        send_failed_ = false;
        return;
    }
    // Once per run of failures: a watchdog tick must not flood the journal.
    if (!send_failed_)
        log_.warn("cannot notify systemd at {}: {}", target_text_, std::strerror(errno));
    send_failed_ = true;
}

void ServiceNotifier::ready() {
    if (!stopping_) send(notify_ready_message());
}

void ServiceNotifier::status(std::string_view text) {
    if (!enabled() || stopping_ || text == last_status_) return;
    last_status_ = std::string(text);
    send(notify_status_message(text));
}

void ServiceNotifier::watch_status(std::function<std::string()> summary, std::uint64_t interval_ms) {
    if (!enabled() || stopping_) return;
    summary_ = std::move(summary);
    status(summary_());
    status_timer_.start_repeating(interval_ms, [this] { status(summary_()); });
}

void ServiceNotifier::reloading() {
    if (!stopping_) send(notify_reloading_message(monotonic_usec()));
}

void ServiceNotifier::stopping() {
    if (stopping_) return;
    stopping_ = true;
    watchdog_timer_.stop();
    status_timer_.stop();
    send(notify_stopping_message());
}

} // namespace napster
