// SPDX-License-Identifier: MIT
// The fetch progress line (ctl/progress_line.*): its text (percent, bytes,
// current rate, ETA, phase, sources), when it is live, and what stays at
// the end. Time is the test's: rates come from the elapsed times napeerd
// sends, redraws from the clock the test passes.

#include "ctl/progress_line.h"

#include <doctest/doctest.h>

#include <chrono>
#include <sstream>

using napster::ctl::ProgressLine;
using napster::ctl::ProgressMode;
using napster::ctl::progress_mode;
using napster::ctl::progress_text;
using napster::protocol::FetchProgress;
using napster::protocol::TransferPeer;
using napster::protocol::TransferState;
using namespace std::chrono_literals;

namespace {

FetchProgress at(std::uint64_t received, std::uint64_t total, std::uint64_t elapsed_ms,
                 TransferState phase = TransferState::transferring, std::vector<TransferPeer> sources = {}) {
    return FetchProgress{received, total, std::move(sources), 7, phase, elapsed_ms};
}

} // namespace

TEST_CASE("progress: percentage and sizes; rate and ETA once there is a rate") {
    CHECK(progress_text("a.bin", at(512, 1024, 0), std::nullopt, std::nullopt) == "a.bin   50%  512 B of 1.0 KiB");
    CHECK(progress_text("a.bin", at(512, 1024, 0), 256, 2) == "a.bin   50%  512 B of 1.0 KiB  256 B/s  ETA 2 s");
    CHECK(progress_text("a.bin", at(512, 0, 0), 256, std::nullopt) == "a.bin  512 B  256 B/s");
}

TEST_CASE("progress: a phase other than transferring shows in place of rate and ETA") {
    CHECK(progress_text("a.bin", at(1024, 1024, 0, TransferState::syncing), 256, 0) ==
          "a.bin  100%  1.0 KiB of 1.0 KiB  syncing");
    CHECK(progress_text("a.bin", at(0, 1024, 0, TransferState::connecting), std::nullopt, std::nullopt) ==
          "a.bin    0%  0 B of 1.0 KiB  connecting");
    CHECK(progress_text("a.bin", at(0, 1024, 0, TransferState::waiting), std::nullopt, std::nullopt)
              .ends_with("waiting"));
    CHECK(progress_text("a.bin", at(0, 1024, 0, TransferState::checking), std::nullopt, std::nullopt)
              .ends_with("checking"));
}

TEST_CASE("progress: one holder by name, several by count and names, cut short") {
    CHECK(progress_text("a.bin", at(512, 1024, 0, TransferState::transferring, {{3, "bob"}}), std::nullopt,
                        std::nullopt) == "a.bin   50%  512 B of 1.0 KiB  from bob");
    CHECK(progress_text("a.bin", at(512, 1024, 0, TransferState::transferring, {{3, "bob"}, {4, "carol"}, {9, "dave"}}),
                        std::nullopt, std::nullopt) == "a.bin   50%  512 B of 1.0 KiB  from 3 peers (bob, carol, dave)");
    std::string many = progress_text(
        std::string(60, 'n'),
        at(1 << 30, 3u << 30, 0, TransferState::transferring,
           {{1, "alexandria"}, {2, "bartholomew"}, {3, "constantinople"}}),
        999 << 20, 59 * 60 + 59);
    CHECK(many.size() <= napster::ctl::max_progress_columns);
    // A name from another peer is escaped, never sent to the terminal raw.
    CHECK(progress_text("a.bin", at(0, 0, 0, TransferState::transferring, {{3, "\x1b[2J"}}), std::nullopt,
                        std::nullopt)
              .find('\x1b') == std::string::npos);
}

TEST_CASE("progress mode: live only on a terminal that is not dumb; quiet wins") {
    CHECK(progress_mode(false, true, "xterm-256color") == ProgressMode::live);
    CHECK(progress_mode(false, true, "dumb") == ProgressMode::summary);
    CHECK(progress_mode(false, true, nullptr) == ProgressMode::summary);
    CHECK(progress_mode(false, false, "xterm") == ProgressMode::summary);
    CHECK(progress_mode(true, true, "xterm") == ProgressMode::quiet);
}

TEST_CASE("progress line: the current rate from napeerd's elapsed times, redraws paced, a summary stays") {
    std::ostringstream out;
    {
        ProgressLine line(out, ProgressMode::live, "a.bin");
        auto t0 = ProgressLine::Clock::time_point{} + 1h;
        line.update(at(0, 10'000, 0, TransferState::connecting), t0);
        CHECK(line.transfer_id() == 7);
        line.update(at(1000, 10'000, 1000), t0 + 10ms); // a new phase: drawn at once
        line.update(at(1500, 10'000, 1500), t0 + 50ms); // too soon: not drawn
        line.update(at(2000, 10'000, 2000), t0 + 200ms);
        line.update(at(10'000, 10'000, 2500, TransferState::syncing), t0 + 210ms);
        CHECK(*line.elapsed_ms() == 2500);
        line.finish("10.0 KiB in 2.5 s (3.9 KiB/s), verified 4f1c2a9e0b3d\n");
    }
    CHECK(out.str() == "\r\x1b[Ka.bin    0%  0 B of 9.8 KiB  connecting"
                       "\r\x1b[Ka.bin   10%  1000 B of 9.8 KiB  1000 B/s  ETA 9 s"
                       "\r\x1b[Ka.bin   20%  2.0 KiB of 9.8 KiB  1000 B/s  ETA 8 s"
                       "\r\x1b[Ka.bin  100%  9.8 KiB of 9.8 KiB  syncing"
                       "\r\x1b[K10.0 KiB in 2.5 s (3.9 KiB/s), verified 4f1c2a9e0b3d\n");
}

TEST_CASE("progress line: no control sequences unless live; nothing at all when quiet") {
    for (auto mode : {ProgressMode::summary, ProgressMode::quiet}) {
        std::ostringstream out;
        {
            ProgressLine line(out, mode, "a.bin");
            line.update(at(0, 100, 0), {});
            line.update(at(100, 100, 900, TransferState::syncing), {});
            CHECK(*line.average_rate() == 111);
            line.finish("summary\n");
        }
        CHECK(out.str() == (mode == ProgressMode::summary ? "summary\n" : ""));
    }
}
