#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A share of 100,000 files in 1,000 dirs: time from napeerd's start to the
index holding all of them, and napeerd's peak and steady RSS.

Creates the tree (small files, unique names big-NNNNNN.dat) in a temporary
dir, or with --keep in a fixed dir that later runs reuse. Each run starts a
fresh napindexd on 127.0.0.1 (port 0), a searcher napeerd "bench-b" with an
empty share (its RSS is the empty-share baseline), then the measured napeerd
"bench-big" on the tree, and times from just before napeerd is spawned
(exec and config included) to:

  scanned     napeerd logs "sharing N files (...)": its walk of the tree
              (on libuv's thread pool) is done and the watches are set
  synced      napeerd logs "connected to index ... file list synced (N files)":
              the list is queued to the index in FILES_ADD batches
  index has   the index has logged "peer ID (bench-big) added K files" for
              all N (sum of K; log stamps are whole ms, so +1 ms: an upper
              bound)
  searchable  a search from bench-b (word "big", max_results 1, polled every
              --poll-ms) reports total_matches == N: the primary figure

Then, after --settle seconds idle, reads /proc/PID/status: VmHWM (the peak
resident set, kept by the kernel) and VmRSS (steady) of napeerd, and both of
napindexd; checks `napctl status --json` file_count == N.

After each run, the same tree through standard tools, as the reference:
`find SHARE -type f -printf %s` (a walk with a stat per file, as napeerd's
scan does) and `inotifywait -m -r` until "Watches established." (a watch per
directory, as napeerd sets) with its peak RSS.

Page cache: the tree was just written or walked before, so the figures are
warm-cache ones unless --drop-caches (root; writes 3 to
/proc/sys/vm/drop_caches before each run, which slows other work on the
machine for a while).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
import napbench as nb  # noqa: E402

PEER_NAME = "bench-big"


def make_tree(base, files, dirs, size, distinct=False):
    """base/share/dNNNN/big-NNNNNN.dat; base/complete.json marks a finished
    tree. distinct: each file holds its own number (distinct contents, so
    distinct roots) instead of the same bytes."""
    marker = base / "complete.json"
    spec = {"files": files, "dirs": dirs, "size": size}
    if distinct:
        spec["distinct"] = True
    if marker.exists():
        try:
            if json.loads(marker.read_text()) == spec:
                print(f"tree:    reusing {base}/share ({files:,} files in {dirs:,} dirs, {size} B each)")
                return base / "share"
        except ValueError:
            pass
    if base.exists():
        # Only ever delete a tree this script made (a half-made one included).
        if set(os.listdir(base)) - {"share", "complete.json"}:
            raise SystemExit(f"bench: {base} holds other files; it is not a tree made by this script")
        shutil.rmtree(base)
    share = base / "share"
    share.mkdir(parents=True)
    started = time.monotonic()
    data = b"x" * size
    per_dir = -(-files // dirs)
    made = 0
    for d in range(dirs):
        directory = share / f"d{d:04d}"
        directory.mkdir()
        for _ in range(min(per_dir, files - made)):
            fd = os.open(directory / f"big-{made:06d}.dat", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(fd, f"{made:0{size}d}".encode()[:size] if distinct else data)
            os.close(fd)
            made += 1
    os.sync()
    marker.write_text(json.dumps(spec) + "\n")
    print(f"tree:    created {base}/share ({made:,} files in {dirs:,} dirs, {size} B each) "
          f"in {time.monotonic() - started:.1f} s")
    return share


def drop_caches():
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as e:
        raise SystemExit(f"bench: --drop-caches needs root: {e}")


def one_run(binaries, workdir, share, files, args):
    # Counts every match (the default stops at 1,000), so one search can
    # tell when the index holds all N.
    index = nb.start_index(binaries, workdir / "index",
                           extra={"limits": {"max_counted_matches": 100_000_000}})
    searcher = nb.start_peer(binaries, workdir / "b", "bench-b", index.port, [workdir / "b-share"])
    daemons = [index, searcher]
    result = {}
    try:
        index_before = nb.proc_status(index.pid)
        if args.drop_caches:
            drop_caches()
        peer = nb.start_peer(binaries, workdir / "a", PEER_NAME, index.port, [share], wait_connected=False)
        daemons.append(peer)
        t0_mono, t0_wall = peer.spawn_mono_ns, peer.spawn_wall_ns
        scanned = re.compile(r"^sharing ([\d,]+) files \(")
        synced = re.compile(r"^connected to index \S+ as peer \d+; file list synced \(([\d,]+) files?\)$")
        added = re.compile(r"\(" + PEER_NAME + r"\) added ([\d,]+) files?(?: and updated [\d,]+)?:")
        deadline = time.monotonic() + args.timeout
        rss_samples = []
        poll_ns = int(args.poll_ms * 1e6)
        next_search = 0
        while "searchable" not in result:
            now = time.perf_counter_ns()
            status = nb.proc_status(peer.pid)
            if status.get("VmRSS"):
                rss_samples.append(status["VmRSS"])
            if peer.proc.poll() is not None:
                raise SystemExit(f"bench: napeerd exited with {peer.proc.returncode}:\n{peer.log()[-3000:]}")
            if "synced" not in result:
                for stamp, message in nb.log_lines(peer.log()):
                    if "scanned" not in result and (found := scanned.search(message)):
                        result["scanned"] = stamp + 1_000_000 - t0_wall
                        result["scanned_files"] = int(found.group(1).replace(",", ""))
                    if found := synced.search(message):
                        result["synced"] = stamp + 1_000_000 - t0_wall
                        result["synced_files"] = int(found.group(1).replace(",", ""))
            elif now >= next_search:
                next_search = now + poll_ns
                try:
                    total, _ = nb.search(searcher.socket_path, "big", exact=False, max_results=1)
                except nb.ControlError as e:
                    raise SystemExit(f"bench: search from bench-b failed: {e}")
                if total >= files:
                    result["searchable"] = time.perf_counter_ns() - t0_mono
                    result["search_total"] = total
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: not registered within {args.timeout} s; napeerd log:\n"
                                 f"{peer.log()[-3000:]}\nindex log:\n{index.log()[-3000:]}")
            time.sleep(0.002)
        # The index's own account: sum of the batches it logged.
        count, last = 0, None
        for stamp, message in nb.log_lines(index.log()):
            if found := added.search(message):
                count += int(found.group(1).replace(",", ""))
                last = stamp
        result["index_logged_files"] = count
        result["index_has"] = last + 1_000_000 - t0_wall if last is not None else None
        time.sleep(args.settle)
        status = nb.napctl_json(binaries, peer.socket_path, "status")
        result["napctl_file_count"] = status["file_count"]
        result["peer"] = nb.proc_status(peer.pid)
        result["peer_sampled_max_rss"] = max(rss_samples) if rss_samples else None
        result["index"] = nb.proc_status(index.pid)
        result["index_before"] = index_before
        result["searcher"] = nb.proc_status(searcher.pid)
        result["degraded"] = [line for _, line in nb.log_lines(peer.log()) if "rescanning every" in line
                              or "inotify" in line]
    finally:
        problems = [p for p in (d.stop(timeout=60) for d in reversed(daemons)) if p]
        for problem in problems:
            print(f"bench: warning: {problem}", file=sys.stderr)
    return result


def reference_walks(share, inotifywait, cold):
    """The same tree through standard tools, as a floor for napeerd's scan:
    `inotifywait -m -r` until it reports "Watches established." (one watch per
    directory, as napeerd sets), with its peak RSS, and `find -printf %s`
    (readdir and a stat per file, as napeerd's walk does)."""
    out = {}
    if inotifywait:
        if cold:
            drop_caches()
        started = time.perf_counter_ns()
        proc = subprocess.Popen([inotifywait, "-m", "-r", "-e", "close_write", str(share)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = b""
        while b"Watches established" not in err:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            err += chunk
        out["inotifywait_ns"] = time.perf_counter_ns() - started
        out["inotifywait_status"] = nb.proc_status(proc.pid)
        proc.terminate()
        proc.wait()
    if cold:
        drop_caches()
    started = time.perf_counter_ns()
    subprocess.run(["find", str(share), "-type", "f", "-printf", "%s\n"], stdout=subprocess.DEVNULL, check=True)
    out["find_ns"] = time.perf_counter_ns() - started
    return out


def mib(kb):
    return "n/a" if kb is None else f"{kb / 1024:.1f}"


def ms(ns):
    return "n/a" if ns is None else f"{ns / 1e6:.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000, help="files in the share (default 100000)")
    parser.add_argument("--dirs", type=int, default=1_000, help="directories they are spread over (default 1000)")
    parser.add_argument("--size", type=int, default=100, help="bytes per file (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="napeerd starts measured (default 3)")
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before the steady RSS (default 3)")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="index search poll interval (default 10 ms)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a run may take (default 300)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the tree in --dir and reuse it on later runs")
    parser.add_argument("--dir", help="where the tree goes with --keep "
                        "(default $TMPDIR/napster-bench-share-FILES-DIRS)")
    parser.add_argument("--drop-caches", action="store_true", help="cold page cache before each run (root)")
    parser.add_argument("--build-dir", help="meson build dir (default build-bench/)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()
    if args.files < 1 or args.dirs < 1 or args.runs < 1:
        parser.error("--files, --dirs and --runs must be at least 1")

    binaries = nb.Binaries(args.build_dir)
    inotifywait = shutil.which("inotifywait")
    info = nb.machine_info()
    nb.print_machine(info, [f"napster: {binaries.build_dir} ({binaries.build_type()})",
                            "reference: " + (nb.inotifywait_version(inotifywait) if inotifywait else
                                             "inotifywait missing (sudo apt-get install inotify-tools); find only")])
    watches = Path("/proc/sys/fs/inotify/max_user_watches").read_text().strip()
    if int(watches) < args.dirs + 100:
        print(f"warning: fs.inotify.max_user_watches is {watches}: napeerd will fall back to rescans")

    work = Path(tempfile.mkdtemp(prefix="napster-bench-register-"))
    if args.keep:
        base = Path(args.dir or Path(tempfile.gettempdir()) / f"napster-bench-share-{args.files}-{args.dirs}")
    else:
        base = work / "tree"
    results = []
    try:
        share = make_tree(base, args.files, args.dirs, args.size)
        sys.stdout.flush()
        for run in range(args.runs):
            run_dir = work / f"run{run}"
            run_dir.mkdir()
            (run_dir / "b-share").mkdir()
            result = one_run(binaries, run_dir, share, args.files, args)
            result["reference"] = reference_walks(share, inotifywait, args.drop_caches)
            results.append(result)
            sys.stdout.flush()
        end_load = nb.machine_info()["loadavg"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.keep:
            print(f"kept the tree in {base}")

    print(f"load:    {' '.join(end_load)} (1/5/15 min) at end")
    print(f"cache:   {'cold (drop_caches before each run)' if args.drop_caches else 'warm'}")
    print()
    def row(label, scanned, synced, index_has, searchable, peer_peak, peer_rss, index_peak, index_rss):
        print(f"{label:>3} {ms(scanned):>8} {ms(synced):>8} {ms(index_has):>10} {ms(searchable):>11}   "
              f"{mib(peer_peak):>7} {mib(peer_rss):>7}   {mib(index_peak):>7} {mib(index_rss):>7}")

    print(f"{'':3} {'ms after napeerd was spawned':^40}   {'napeerd MiB':^15}   {'napindexd MiB':^15}")
    print(f"{'run':>3} {'scanned':>8} {'synced':>8} {'index has':>10} {'searchable':>11}   "
          f"{'peak':>7} {'steady':>7}   {'peak':>7} {'steady':>7}")
    for i, r in enumerate(results):
        row(i + 1, r.get("scanned"), r.get("synced"), r.get("index_has"), r.get("searchable"),
            r["peer"].get("VmHWM"), r["peer"].get("VmRSS"), r["index"].get("VmHWM"), r["index"].get("VmRSS"))
    if len(results) > 1:
        def med(key, sub=None):
            values = [(r.get(key) if sub is None else r[key].get(sub)) for r in results]
            values = [v for v in values if v is not None]
            return statistics.median(values) if values else None
        row("med", med("scanned"), med("synced"), med("index_has"), med("searchable"),
            med("peer", "VmHWM"), med("peer", "VmRSS"), med("index", "VmHWM"), med("index", "VmRSS"))
    print("peak = VmHWM, steady = VmRSS after --settle s idle (/proc/PID/status); "
          "scanned/synced/index has from log stamps (whole ms, +1 ms)")
    print()
    print(f"same tree, same runs, standard tools (after each napeerd run{', cold cache' if args.drop_caches else ''}):")
    for i, r in enumerate(results):
        ref = r["reference"]
        text = f"{i + 1:>3} find -printf %s: {ms(ref['find_ns'])} ms"
        if "inotifywait_ns" in ref:
            text += (f"; inotifywait -m -r, watches established: {ms(ref['inotifywait_ns'])} ms, "
                     f"peak {mib(ref['inotifywait_status'].get('VmHWM'))} MiB")
        print(text)
    last = results[-1]
    print()
    print(f"napindexd before the big peer (one empty peer connected): "
          f"{mib(last['index_before'].get('VmRSS'))} MiB")
    print(f"napeerd with an empty share (bench-b):                   "
          f"{mib(last['searcher'].get('VmRSS'))} MiB steady, {mib(last['searcher'].get('VmHWM'))} MiB peak")
    for i, r in enumerate(results):
        checks = []
        if r.get("scanned_files") != args.files:
            checks.append(f"napeerd scanned {r.get('scanned_files')}")
        if r.get("synced_files") != args.files:
            checks.append(f"synced {r.get('synced_files')}")
        if r["index_logged_files"] != args.files:
            checks.append(f"index logged {r['index_logged_files']}")
        if r["search_total"] != args.files:
            checks.append(f"search total {r['search_total']}")
        if r["napctl_file_count"] != args.files:
            checks.append(f"napctl file_count {r['napctl_file_count']}")
        if r["degraded"]:
            checks.append("inotify: " + "; ".join(r["degraded"]))
        if checks:
            print(f"run {i + 1}: expected {args.files:,} everywhere, got: " + ", ".join(checks))
    if all(r["index_logged_files"] == args.files and r["napctl_file_count"] == args.files for r in results):
        print(f"every run: {args.files:,} files scanned, synced, logged by the index, found by search "
              f"and counted by napctl status")

    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "load_at_end": end_load,
                                               "build": binaries.build_type(), "args": vars(args),
                                               "runs": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
