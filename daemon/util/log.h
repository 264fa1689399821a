// SPDX-License-Identifier: MIT
#pragma once

// One line per event on stderr. Under journald ($JOURNAL_STREAM names our
// stderr) each line starts with its <N> syslog priority and carries no
// timestamp of its own; elsewhere lines get a timestamp, and on a terminal
// warnings and errors are coloured, unless NO_COLOR is set (not empty) or
// TERM is "dumb".
// Loop thread only: the logger is not synchronised.

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

namespace napster {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view log_level_name(LogLevel level);

// Whether a terminal gets coloured lines, given $NO_COLOR and $TERM (either
// may be null).
bool log_colour_allowed(const char* no_color, const char* term);

class Logger {
public:
    // Decides the output style from the environment and stderr.
    Logger();

    void set_level(LogLevel level) { level_ = level; }
    LogLevel level() const { return level_; }
    bool enabled(LogLevel level) const { return level <= level_; }

    void write(LogLevel level, std::string_view line);

    template <typename... Args>
    void error(fmt::format_string<Args...> f, Args&&... args) {
        log(LogLevel::error, f, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void warn(fmt::format_string<Args...> f, Args&&... args) {
        log(LogLevel::warn, f, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void info(fmt::format_string<Args...> f, Args&&... args) {
        log(LogLevel::info, f, std::forward<Args>(args)...);
    }
    template <typename... Args>
    void debug(fmt::format_string<Args...> f, Args&&... args) {
        log(LogLevel::debug, f, std::forward<Args>(args)...);
    }

private:
    template <typename... Args>
    void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
        if (enabled(level)) write(level, fmt::format(f, std::forward<Args>(args)...));
    }

    enum class Style { journal, terminal, plain };
    Style style_;
    LogLevel level_ = LogLevel::info;
};

} // namespace napster
