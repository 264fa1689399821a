// SPDX-License-Identifier: MIT
#include "util/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace napster {
namespace {

// $JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected; it only
// counts when it is still our stderr (a child may inherit the variable).
bool stderr_is_journal() {
    const char* env = std::getenv("JOURNAL_STREAM");
    if (!env) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) return false;
    return st.st_dev == dev && st.st_ino == ino;
}

} // namespace

// https://no-color.org: set and not empty turns colour off; so does a
// terminal that says it understands no control sequences.
bool log_colour_allowed(const char* no_color, const char* term) {
    if (no_color && *no_color) return false;
    return !(term && std::string_view(term) == "dumb");
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
    if (name == "error") return LogLevel::error;
    if (name == "warn") return LogLevel::warn;
    if (name == "info") return LogLevel::info;
    if (name == "debug") return LogLevel::debug;
    return std::nullopt;
}

std::string_view log_level_name(LogLevel level) {
    switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warn";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    }
    return "info";
}

Logger::Logger() {
    if (stderr_is_journal())
        style_ = Style::journal;
    else if (isatty(STDERR_FILENO) && log_colour_allowed(std::getenv("NO_COLOR"), std::getenv("TERM")))
        style_ = Style::terminal;
    else
        style_ = Style::plain;
}

void Logger::write(LogLevel level, std::string_view line) {
    static constexpr int syslog_priority[] = {3, 4, 6, 7};
    static constexpr const char* colour[] = {"\033[31m", "\033[33m", "", "\033[2m"};
    std::string out;
    if (style_ == Style::journal) {
        out = fmt::format("<{}>{}\n", syslog_priority[static_cast<int>(level)], line);
    } else {
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        tm local{};
        localtime_r(&ts.tv_sec, &local);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
        std::string_view tag = level == LogLevel::info ? "" : log_level_name(level);
        std::string prefix = tag.empty() ? "" : fmt::format("{}: ", tag);
        if (style_ == Style::terminal && level != LogLevel::info)
            out = fmt::format("{}.{:03d} {}{}{}\033[0m\n", stamp, ts.tv_nsec / 1000000,
                              colour[static_cast<int>(level)], prefix, line);
        else
            out = fmt::format("{}.{:03d} {}{}\n", stamp, ts.tv_nsec / 1000000, prefix, line);
    }
    // One write per line so lines from several processes never interleave.
    ssize_t ignored = ::write(STDERR_FILENO, out.data(), out.size());
    (void)ignored;
}

} // namespace napster
