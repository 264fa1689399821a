#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A restarted napeerd with a warm hash cache of 100,000 files: time until
every file is hashed again (from the cache), next to the restart of a
napeerd build that does not hash at all.

The tree: 100,000 files of 100 bytes, each of distinct content, in 1,000
dirs (register_large_share.py's, reused with --keep). First napeerd starts with an empty state dir and hashes every file
(the cold figure, for the record), then stops and writes its cache. Then,
interleaved, --runs restarts of each:

  napster     this build, the same state dir (the cache from the first run);
              times from just before the spawn to "file list synced" and to
              every file hashed (the log line "N files hashed before (hash
              cache)" with no "hashing" line after it, or "every shared
              file is hashed"), then checks `napctl status --json`:
              hash_files_left == 0 and file_count == N
  reference   --reference-build (a build from before content hashes, for
              example 0b97eb6): its own napindexd and napeerd, spawn to
              "file list synced", the restart time without hashes

Target (issue 8): napster's time to fully hashed within 2x the reference's
restart time. Also printed: napster's time to "file list synced", when the
index holds every file with its root.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
import napbench as nb  # noqa: E402
from register_large_share import make_tree  # noqa: E402

SYNCED = re.compile(r"^connected to index \S+ as peer \d+; file list synced \(([\d,]+) files?\)$")
FROM_CACHE = re.compile(r"^([\d,]+) files? hashed before \(hash cache\)$")
HASHING = re.compile(r"^hashing ([\d,]+) files? \(")
ALL_HASHED = re.compile(r"^every shared file is hashed$")


def start_peer(binaries, workdir, index_port, share, state_dir=None):
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "napeerd.toml"
    top = {"name": "bench-big"}
    if state_dir:
        top["state_dir"] = str(state_dir)
    nb.write_toml(config, {
        "": top,
        "index": {"address": "127.0.0.1", "port": index_port},
        "upload": {"address": "127.0.0.1", "port": 0},
        "share": {"dirs": [str(share)], "download_dir": str(workdir / "downloads")},
        "control": {"socket": str(workdir / "napeerd.sock")},
        "log": {"level": "info"},
    })
    peer = nb.Daemon("napeerd", workdir, [binaries.napeerd, "--config", str(config)])
    peer.socket_path = str(workdir / "napeerd.sock")
    return peer


def timings(peer, hashes, timeout):
    """ms from the spawn to synced and (hashes) to every file hashed."""
    deadline = time.monotonic() + timeout
    result = {}
    while True:
        hashing_seen = False
        for stamp, message in nb.log_lines(peer.log()):
            at = (stamp + 1_000_000 - peer.spawn_wall_ns) / 1e6  # stamps are whole ms: upper bound
            if SYNCED.search(message) and "synced" not in result:
                result["synced"] = at
            if hashes:
                if found := FROM_CACHE.search(message):
                    result["from_cache"] = int(found.group(1).replace(",", ""))
                    result.setdefault("hashed_candidate", at)
                if HASHING.search(message):
                    hashing_seen = True
                if ALL_HASHED.search(message):
                    result["hashed"] = at
        if hashes and "hashed" not in result and "hashed_candidate" in result and not hashing_seen:
            result["hashed"] = result["hashed_candidate"]
        if "synced" in result and (not hashes or "hashed" in result):
            result.pop("hashed_candidate", None)
            return result
        if peer.proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bench: napeerd did not sync{' and hash' if hashes else ''}; its log:\n"
                             f"{peer.log()[-3000:]}")
        time.sleep(0.005)


def run_once(binaries, workdir, share, files, state_dir, hashes, timeout):
    index = nb.start_index(binaries, workdir / "index")
    peer = start_peer(binaries, workdir / "peer", index.port, share, state_dir)
    try:
        result = timings(peer, hashes, timeout)
        if hashes:
            status = nb.napctl_json(binaries, peer.socket_path, "status")
            if status["file_count"] != files or status["hash_files_left"] != 0:
                raise SystemExit(f"bench: status says {status['file_count']} files, "
                                 f"{status['hash_files_left']} left to hash")
            result["rss_kib"] = nb.proc_status(peer.pid).get("VmRSS")
    finally:
        for problem in (peer.stop(timeout=60), index.stop()):
            if problem:
                print(f"bench: warning: {problem}", file=sys.stderr)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--dirs", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3, help="restarts measured of each (default 3)")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--keep", action="store_true", help="keep the tree in --dir for later runs")
    parser.add_argument("--dir", help="where the tree goes with --keep")
    parser.add_argument("--build-dir", help="this build (default build-bench/)")
    parser.add_argument("--reference-build", required=True,
                        help="a build dir from before content hashes (napindexd, napeerd)")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()

    binaries = nb.Binaries(args.build_dir)
    saved = {v: os.environ.pop(v, None) for v in ("NAPINDEXD", "NAPEERD", "NAPCTL")}
    reference = nb.Binaries(args.reference_build)
    for v, value in saved.items():
        if value is not None:
            os.environ[v] = value
    nb.print_machine(nb.machine_info(), [f"napster: {binaries.build_dir} ({binaries.build_type()})",
                                         f"reference: {reference.build_dir} ({reference.build_type()})"])
    work = Path(tempfile.mkdtemp(prefix="napster-bench-hash-restart-"))
    base = Path(args.dir or Path(tempfile.gettempdir()) / f"napster-bench-distinct-{args.files}") if args.keep \
        else work / "tree"
    state = work / "state"
    try:
        share = make_tree(base, args.files, args.dirs, 100, distinct=True)
        cold = run_once(binaries, work / "cold", share, args.files, state, True, args.timeout)
        print(f"cold:      synced {cold['synced']:.0f} ms, every file hashed {cold['hashed']:.0f} ms "
              f"(empty state dir), cache {os.path.getsize(state / 'hash-cache'):,} bytes")
        warm, ref = [], []
        for run in range(args.runs):
            w = run_once(binaries, work / f"warm{run}", share, args.files, state, True, args.timeout)
            if w.get("from_cache") != args.files:
                raise SystemExit(f"bench: the warm restart took {w.get('from_cache')} files from the cache")
            r = run_once(reference, work / f"ref{run}", share, args.files, None, False, args.timeout)
            warm.append(w)
            ref.append(r)
            print(f"run {run + 1}:    napster synced {w['synced']:.0f} ms, hashed {w['hashed']:.0f} ms "
                  f"({w['from_cache']:,} from the cache, RSS {w['rss_kib']:,} KiB); "
                  f"reference synced {r['synced']:.0f} ms")
        hashed = statistics.median(w["hashed"] for w in warm)
        synced = statistics.median(w["synced"] for w in warm)
        ref_synced = statistics.median(r["synced"] for r in ref)
        print(f"median:    napster hashed {hashed:.0f} ms ({hashed / ref_synced:.2f}x), synced with every root "
              f"{synced:.0f} ms ({synced / ref_synced:.2f}x); reference restart {ref_synced:.0f} ms "
              f"(target at most 2x)")
        if args.json:
            Path(args.json).write_text(json.dumps({"cold": cold, "warm": warm, "reference": ref}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
