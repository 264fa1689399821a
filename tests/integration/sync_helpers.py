# SPDX-License-Identifier: MIT
"""Helpers for test_live_sync.py and test_soft_state.py, on top of harness.py.

The central question these tests ask is "does the index agree with the
disk?". sync_problems() answers it in two steps, each compared exactly:

  disk (walked here by napeerd's rules)  ==  napeerd's catalog (napctl shares)
  napeerd's catalog                      ==  what the index returns (napctl search)

The second comparison uses file ids, so a stale entry left at the index
under an old path (same name, old id) counts as a difference. Only files
whose names contain one search word are compared: tests give every file
they care about a name with that word in it.

Nothing here sleeps for a fixed time: waits poll until a deadline.
"""

import datetime
import os
import re
import socket
import time

from harness import SANITIZER_MARKS, Index, file_name_bytes, printable, run_napctl, wait_for

# How long a change made on disk may take to reach the index. The issue
# says "in milliseconds", with no file waiting more than 1 s in the
# debounce; 3 s leaves room for a loaded machine and sanitizer builds.
SYNC_DEADLINE = float(os.environ.get("NAPSTER_SYNC_DEADLINE", "3"))


# ---------------------------------------------------------------- ports


def free_port():
    """A TCP port that was free a moment ago: bind port 0, read it, close.
    Someone else may take it before we use it; callers retry."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_index_on_port(testcase, port, name, limits=None):
    """Starts napindexd on 127.0.0.1:port exactly (no port 0). Returns the
    Index, or None when the port is in use (the caller retries its setup);
    any other failure is an error."""
    sections = {"listen": {"address": "127.0.0.1", "port": port}}
    if limits:
        sections["limits"] = dict(limits)
    try:
        index = Index(testcase.tmp / name, name=name, config=sections)
    except AssertionError as e:
        if f"port {port} is in use" in str(e):
            return None
        raise
    testcase.daemons.append(index)
    testcase.assertEqual(index.port, port, "napindexd listens on another port than configured")
    return index


# ---------------------------------------------------------------- the disk


def is_partial_name(name):
    """daemon/fs/partial_name.cpp: a download in progress, never shared."""
    return len(name) >= 32 and name.startswith(b".napster-") and name.endswith(b".part")


def peer_roots(peer):
    """The directories a peer shares: its share dirs and its download dir
    (tests never put the download dir inside a share dir)."""
    return [os.fsencode(d) for d in peer.share_dirs] + [os.fsencode(peer.download_dir)]


def _within(path, root):
    return path == root or path.startswith(root.rstrip(b"/") + b"/")


def disk_files(roots, word):
    """{rel_path: size} of the shareable files below `roots` whose names
    contain `word` (ASCII case-insensitive), by napeerd's rules: regular
    files, and symlinks to regular files inside the same root; symlinked
    directories are not entered; partial downloads are skipped. None when
    something vanished during the walk (the caller polls again)."""
    word = word.lower() if isinstance(word, bytes) else word.lower().encode()
    out = {}
    try:
        for root in roots:
            real_root = os.path.realpath(root)
            stack = [b""]
            while stack:
                rel_dir = stack.pop()
                with os.scandir(root + b"/" + rel_dir if rel_dir else root) as entries:
                    for entry in entries:
                        name = entry.name
                        if is_partial_name(name):
                            continue
                        rel = rel_dir + b"/" + name if rel_dir else name
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(rel)
                            continue
                        if entry.is_file(follow_symlinks=False):
                            size = entry.stat(follow_symlinks=False).st_size
                        elif entry.is_symlink():
                            target = os.path.realpath(entry.path)
                            if not (_within(target, real_root) and os.path.isfile(target)):
                                continue
                            size = os.stat(target).st_size
                        else:
                            continue
                        if word in name.lower():
                            out[rel] = size
    except FileNotFoundError:
        return None
    return out


# ---------------------------------------------------------------- napctl views


def _napctl(args, peer):
    """run_napctl, failing at once on a sanitizer report (these calls poll,
    so they do not go through NapsterTestCase.ctl)."""
    result = run_napctl(args, socket_path=peer.socket_path)
    for mark in SANITIZER_MARKS:
        if mark in result.err:
            raise AssertionError(f"napctl printed a sanitizer report ({mark}):\n{result.err[-6000:]}")
    return result


def shares_view(peer, word):
    """{rel_path: (size, file_id)} from `napctl shares --json`, names
    containing `word`; None (with the reason) when napctl fails."""
    word = word.lower() if isinstance(word, bytes) else word.lower().encode()
    result = _napctl(["shares", "--json"], peer)
    if result.returncode != 0:
        return None, f"napctl shares failed: {result!r}"
    doc = result.json()
    if doc["total"] != len(doc["files"]):
        return None, f"napctl shares: total {doc['total']} but {len(doc['files'])} files"
    view = {}
    for f in doc["files"]:
        if word in file_name_bytes(f).lower():
            view[file_name_bytes(f, "rel_path")] = (f["size"], f["file_id"])
    return view, ""


def search_doc(asker, word, exact=False):
    """napctl search --json through `asker`: (exit status, document or None)."""
    args = ["search", "--json"] + (["--exact"] if exact else []) + ["--", word]
    result = _napctl(args, asker)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        return result.returncode, None
    return result.returncode, result.json()


def index_view(asker, holder_name, word):
    """{name: sorted [(size, file_id)]} that the index lists for the peer
    called holder_name, for a search of `word` asked through `asker`;
    None (with the reason) when the search failed or was cut short."""
    status, doc = search_doc(asker, word)
    if doc is None:
        return None, f"napctl search {word!r} through {asker.name} failed with exit {status}"
    if doc["total_matches"] != len(doc["files"]):
        return None, f"search {word!r} was capped: {doc['total_matches']} matches, {len(doc['files'])} listed"
    view = {}
    for f in doc["files"]:
        if f["holder_total"] != len(f["holders"]):
            return None, f"search listed {len(f['holders'])} of {f['holder_total']} holders of {f['name']!r}"
        # A hit is a content: each holder lists the file under its own
        # name, which need not be the hit's, nor hold the word (another
        # name of that content matched).
        for h in f["holders"]:
            name = file_name_bytes(h)
            if h["peer_name"] == holder_name and word.encode().lower() in name.lower():
                view.setdefault(name, []).append((f["size"], h["file_id"]))
    return {name: sorted(entries) for name, entries in view.items()}, ""


def expected_index_view(shares):
    view = {}
    for rel, (size, file_id) in shares.items():
        view.setdefault(rel.rsplit(b"/", 1)[-1], []).append((size, file_id))
    return {name: sorted(entries) for name, entries in view.items()}


def _diff(left_name, left, right_name, right):
    lines = []
    for key in sorted(set(left) | set(right)):
        a, b = left.get(key), right.get(key)
        if a != b:
            lines.append(f"  {printable(key)}: {left_name} {a!r}, {right_name} {b!r}")
    return lines


def sync_problems(holder, asker, word):
    """What keeps the index from agreeing with holder's disk, as lines of
    text; [] when disk, catalog and index agree on every file named with
    `word`."""
    disk = disk_files(peer_roots(holder), word)
    if disk is None:
        return ["the disk changed during the walk"]
    shares, why = shares_view(holder, word)
    if shares is None:
        return [why]
    problems = _diff("disk", disk, "napeerd", {rel: size for rel, (size, _) in shares.items()})
    if problems:
        problems.insert(0, f"{holder.name}'s catalog (napctl shares) differs from its disk:")
    index, why = index_view(asker, holder.name, word)
    if index is None:
        return problems + [why]
    index_problems = _diff("napeerd", expected_index_view(shares), "index", index)
    if index_problems:
        problems.append(f"the index (searched through {asker.name}) differs from {holder.name}'s catalog "
                        "as [(size, file_id)]:")
        problems += index_problems
    return problems


def wait_synced(holder, asker, word, what, timeout=None):
    """Polls until sync_problems() is empty; returns the seconds it took."""
    timeout = timeout or SYNC_DEADLINE
    start = time.monotonic()
    deadline = start + timeout
    while True:
        problems = sync_problems(holder, asker, word)
        if not problems:
            return time.monotonic() - start
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: the index did not agree with the disk within {timeout} s:\n"
                                 + "\n".join(problems)
                                 + f"\n--- log of {holder.describe()}:\n{holder.log()[-3000:]}")
        time.sleep(0.02)


# ---------------------------------------------------------------- logs


def _peer_prefix(peer_name):
    return rf"peer \d+ \({re.escape(printable(peer_name))}\) "


def _count(text):
    return int(text.replace(",", "")) if text else 0


def _names(text):
    text = re.sub(r" and [\d,]+ more$", "", text)
    return text.split(", ") if text else []


class FileEvents:
    """The index's file lines about one peer: `added N files: ...`,
    `updated N files: ...`, `added N files and updated M: ...`,
    `removed N files`."""

    def __init__(self, index, peer_name, since=0):
        prefix = _peer_prefix(peer_name)
        add = re.compile(prefix + r"added ([\d,]+) files?(?: and updated ([\d,]+))?: (.*)$")
        update = re.compile(prefix + r"updated ([\d,]+) files?: (.*)$")
        remove = re.compile(prefix + r"removed ([\d,]+) files?$")
        self.lines = []
        self.added = self.updated = self.removed = 0
        self.names = []           # printable names in add and update lines
        self.batch_sizes = []     # files in each add or update line
        for line in index.log()[since:].splitlines():
            if m := add.search(line):
                added, updated = _count(m.group(1)), _count(m.group(2))
                self.added += added
                self.updated += updated
                self.batch_sizes.append(added + updated)
                self.names += _names(m.group(3))
            elif m := update.search(line):
                self.updated += _count(m.group(1))
                self.batch_sizes.append(_count(m.group(1)))
                self.names += _names(m.group(2))
            elif m := remove.search(line):
                self.removed += _count(m.group(1))
            else:
                continue
            self.lines.append(line)

    def __repr__(self):
        return "index lines:\n" + "\n".join(self.lines)


def registrations(index, peer_name, since=0):
    """The index's `connected from` lines for peer_name."""
    regex = re.compile(_peer_prefix(peer_name) + r"connected from ")
    return [line for line in index.log()[since:].splitlines() if regex.search(line)]


def wait_registered(peer, since=0, timeout=None):
    """Peer.wait_registered with a timeout of our choosing."""
    found = peer.wait_log(r"connected to index 127\.0\.0\.1:\d+ as peer (\d+); "
                          r"file list synced \(([\d,]+) files?\)", since=since, timeout=timeout)
    peer.peer_id = int(found.group(1))
    return peer.peer_id


def log_time(line):
    """The wall-clock time of a daemon log line, in seconds."""
    stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f")
    return stamp.timestamp()


def wait_status(testcase, peer, predicate, what, timeout=None):
    """Polls `napctl status --json` (which must exit 0 every time) until
    predicate(doc) holds; returns that document."""
    def check():
        result = testcase.ctl(peer, "status", "--json")
        testcase.assertExit(result, 0, "napctl status --json")
        doc = result.json()
        return doc if predicate(doc) else None
    return wait_for(check, what, timeout)
