#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time from a file's close in a share dir to it being searchable from
another peer, next to inotifywait's own event latency in the same run.

Starts napindexd and two napeerd on 127.0.0.1 (port 0, configs and dirs in a
temporary directory): peer A shares the watched dir, peer B shares nothing
and searches. Beside them runs `inotifywait -m -e close_write` on a separate
temporary dir: the floor, the time any inotify consumer needs to learn of a
close on this machine.

For each of N files, in turn:
  1. floor: write and close a small file in inotifywait's dir; the latency is
     close -> inotifywait's output line read by this script (select() on its
     stdout, no polling).
  2. napster: write and close a small file in peer A's share; the latency is
     close -> a SEARCH (exact name) sent to peer B's control socket returns
     it. The search is sent at once after the close, then every --poll-ms
     until it hits, each on a new control connection, spoken directly (a
     napctl process per poll would add its start-up cost).
"close" is the clock read just before close() is called (the event is
queued inside it), the same for both. The search that hits bounds the
moment from above; the last one that missed was sent before it, which
bounds it from below: both are reported.

Secondary, from the logs: close -> the index logging "peer N (bench-a) added
1 file: NAME", and close -> peer A logging "sharing NAME (...); index
updated". Log stamps are wall-clock time truncated to the millisecond, so
these are upper bounds (stamp + 1 ms - close), up to 1 ms late.

Targets (the issue): p50 under 20 ms, p99 under 100 ms.
"""

import argparse
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
import napbench as nb  # noqa: E402

P50_TARGET_MS = 20
P99_TARGET_MS = 100


def write_and_close(path, data):
    """Creates, writes and closes a file; returns (monotonic ns, wall ns)
    taken just before close(). IN_CLOSE_WRITE is queued inside close(), so
    this start can only make a latency look longer, never shorter, even if
    this process is preempted around the call."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, data)
    closing, closing_wall = time.perf_counter_ns(), time.time_ns()
    os.close(fd)
    return closing, closing_wall


class InotifyWait:
    """inotifywait -m on one dir; reads its output lines as they come."""

    def __init__(self, path, watched_dir):
        self.proc = subprocess.Popen(
            [path, "-m", "-e", "close_write", "--format", "%f", str(watched_dir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.fd = self.proc.stdout.fileno()
        self.pending = b""
        # It prints "Watches established." on stderr once its watch is set.
        err = b""
        deadline = time.monotonic() + 10
        while b"Watches established" not in err:
            ready, _, _ = select.select([self.proc.stderr.fileno()], [], [], 0.5)
            if ready:
                chunk = os.read(self.proc.stderr.fileno(), 4096)
                if not chunk:
                    raise SystemExit(f"bench: inotifywait exited: {err.decode(errors='replace')}")
                err += chunk
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: inotifywait did not set its watch: {err.decode(errors='replace')}")

    def wait_line(self, name, timeout):
        """Blocks until the line `name` is read; returns perf_counter_ns then."""
        want = name.encode()
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.pending:
                line, self.pending = self.pending.split(b"\n", 1)
                if line == want:
                    return time.perf_counter_ns()
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit(f"bench: inotifywait did not report {name} within {timeout} s")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise SystemExit("bench: inotifywait exited")
                self.pending += chunk

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_searchable(socket_path, name, poll_ns, timeout_ns, close_ns):
    """Polls exact searches until `name` is found. Returns (hit reply ns,
    last missing search's send ns or close_ns, hit round trip ns, searches)."""
    want = name.encode()
    last_miss_sent = close_ns
    searches = 0
    while True:
        sent = time.perf_counter_ns()
        try:
            _total, names = nb.search(socket_path, want, exact=True)
        except nb.ControlError as e:
            raise SystemExit(f"bench: search for {name} at peer B failed: {e}")
        answered = time.perf_counter_ns()
        searches += 1
        if want in names:
            return answered, last_miss_sent, answered - sent, searches
        last_miss_sent = sent
        if answered - close_ns > timeout_ns:
            raise SystemExit(f"bench: {name} not searchable from peer B {timeout_ns / 1e9} s after its close")
        # Sleep to the next poll slot; time.sleep has ~50 us of slack on Linux.
        gap = poll_ns - (time.perf_counter_ns() - sent)
        if gap > 0:
            time.sleep(gap / 1e9)


def log_latencies(log_text, pattern, closes_wall):
    """close -> log line, in ns, for each file name a line names. A stamp is
    truncated to its millisecond: the line was written before that
    millisecond ended, so stamp + 1 ms - close is an upper bound."""
    regex = re.compile(pattern)
    out = {}
    for stamp, message in nb.log_lines(log_text):
        found = regex.search(message)
        if not found:
            continue
        for name in re.split(r", | and \d+ more", found.group(1)):
            if name in closes_wall and name not in out:
                out[name] = stamp + 1_000_000 - closes_wall[name]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000, help="files measured (default 1000)")
    parser.add_argument("--warmup", type=int, default=20, help="files written first and not counted (default 20)")
    parser.add_argument("--poll-ms", type=float, default=1.0, help="search poll interval (default 1 ms)")
    parser.add_argument("--size", type=int, default=64, help="bytes per file (default 64)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a file may take (default 10)")
    parser.add_argument("--build-dir", help="meson build dir (default build-bench/)")
    parser.add_argument("--json", metavar="PATH", help="also write the summary and samples as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary dir (logs, configs)")
    args = parser.parse_args()
    if args.files < 1 or args.warmup < 0 or args.poll_ms < 0 or args.size < 0:
        parser.error("--files must be at least 1; --warmup, --poll-ms and --size not negative")

    inotifywait = nb.require_inotifywait()
    binaries = nb.Binaries(args.build_dir)
    info = nb.machine_info()
    nb.print_machine(info, [f"napster: {binaries.build_dir} ({binaries.build_type()})",
                            f"floor:   {nb.inotifywait_version(inotifywait)}",
                            f"files:   {args.files} measured after {args.warmup} warm-up, {args.size} B each, "
                            f"search poll every {args.poll_ms} ms"])
    sys.stdout.flush()

    tmp = Path(tempfile.mkdtemp(prefix="napster-bench-sync-"))
    daemons, floor = [], None
    try:
        share_a = tmp / "a-share"
        share_b = tmp / "b-share"
        floor_dir = tmp / "inotifywait-dir"
        for d in (share_a, share_b, floor_dir):
            d.mkdir()
        index = nb.start_index(binaries, tmp / "index")
        daemons.append(index)
        peer_a = nb.start_peer(binaries, tmp / "a", "bench-a", index.port, [share_a])
        daemons.append(peer_a)
        peer_b = nb.start_peer(binaries, tmp / "b", "bench-b", index.port, [share_b])
        daemons.append(peer_b)
        floor = InotifyWait(inotifywait, floor_dir)

        data = b"n" * args.size
        poll_ns = int(args.poll_ms * 1e6)
        timeout_ns = int(args.timeout * 1e9)
        floor_ns, hit_ns, miss_ns, rtt_ns, searches = [], [], [], [], []
        closes_wall = {}
        run_tag = f"{os.getpid()}"
        for i in range(-args.warmup, args.files):
            measured = i >= 0
            # Floor first, then napster, alternating: both see the same load.
            fname = f"floor-{run_tag}-{i + args.warmup:06d}.dat"
            floor_closed, _ = write_and_close(floor_dir / fname, data)
            floor_seen = floor.wait_line(fname, args.timeout)
            name = f"lat-{run_tag}-{i + args.warmup:06d}.dat"
            closed, closed_wall = write_and_close(share_a / name, data)
            hit, last_miss, rtt, count = wait_searchable(peer_b.socket_path, name, poll_ns, timeout_ns, closed)
            if measured:
                floor_ns.append(floor_seen - floor_closed)
                hit_ns.append(hit - closed)
                miss_ns.append(max(0, last_miss - closed))
                rtt_ns.append(rtt)
                searches.append(count)
                closes_wall[name] = closed_wall

        time.sleep(0.2)  # let the last log lines land
        index_log = log_latencies(index.log(), r"\(bench-a\) added \d+ files?: (.*)$", closes_wall)
        peer_log = log_latencies(peer_a.log(), r"^sharing (.*) \(\d+ bytes\); index updated$", closes_wall)
        end_load = nb.machine_info()["loadavg"]
    finally:
        if floor:
            floor.stop()
        problems = [p for p in (d.stop() for d in reversed(daemons)) if p]
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for problem in problems:
        print(f"bench: warning: {problem}", file=sys.stderr)

    rows = [
        ("inotifywait close_write (floor)", nb.summarize(floor_ns)),
        ("napster: searchable from peer B", nb.summarize(hit_ns)),
        ("  lower bound (last miss sent)", nb.summarize(miss_ns)),
        ("napster: index logged the add <=*", nb.summarize(list(index_log.values()))),
        ("napster: peer A logged it <=*", nb.summarize(list(peer_log.values()))),
        ("one search round trip (B->index)", nb.summarize(rtt_ns)),
    ]
    print(f"load:    {' '.join(end_load)} (1/5/15 min) at end")
    print()
    print(f"{'latency after close, ms':34} {'n':>5} {'min':>7} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} {'mean':>7}")
    for label, s in rows:
        if s["n"] == 0:
            print(f"{label:34} {0:>5}")
            continue
        print(f"{label:34} {s['n']:>5} " + " ".join(f"{nb.format_ms(s[k]):>7}"
                                                    for k in ("min", "p50", "p90", "p99", "max", "mean")))
    print("* from log stamps (wall clock, whole ms): an upper bound, up to 1 ms late")
    print(f"searches per file: mean {sum(searches) / len(searches):.2f}, max {max(searches)}")
    hit = rows[1][1]
    p50_ok, p99_ok = hit["p50"] / 1e6 < P50_TARGET_MS, hit["p99"] / 1e6 < P99_TARGET_MS
    print(f"target p50 < {P50_TARGET_MS} ms: {'met' if p50_ok else 'MISSED'} ({nb.format_ms(hit['p50'])} ms); "
          f"p99 < {P99_TARGET_MS} ms: {'met' if p99_ok else 'MISSED'} ({nb.format_ms(hit['p99'])} ms)")

    if args.json:
        Path(args.json).write_text(json.dumps({
            "machine": info, "load_at_end": end_load, "build": binaries.build_type(),
            "args": vars(args), "summary_ns": {label.strip(): s for label, s in rows},
            "samples_ns": {"floor": floor_ns, "searchable": hit_ns, "last_miss": miss_ns,
                           "search_rtt": rtt_ns, "index_log": list(index_log.values()),
                           "peer_log": list(peer_log.values())},
        }, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
