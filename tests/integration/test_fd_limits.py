#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Each daemon raises its soft open-file limit to the hard one at start and
warns once when even the hard limit is below what its limits need
(regression: napindexd kept a soft limit of 1,024 with max_peers 10,000)."""

import shutil
import unittest
from pathlib import Path

from harness import NAPEERD, NAPINDEXD, Daemon, NapsterTestCase, main, write_toml

PRLIMIT = shutil.which("prlimit")


def open_file_limits(pid):
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no open-file line in /proc/PID/limits")


@unittest.skipUnless(PRLIMIT, "needs prlimit (util-linux)")
class FdLimits(NapsterTestCase):
    def start_limited(self, kind, program, sections, soft, hard):
        workdir = self.tmp / kind
        workdir.mkdir()
        config = workdir / "config.toml"
        write_toml(config, sections)
        daemon = Daemon(kind, kind, workdir, [PRLIMIT, f"--nofile={soft}:{hard}", program, "--config", str(config)])
        self.daemons.append(daemon)
        return daemon

    def test_napindexd_takes_the_hard_limit_and_warns_when_it_is_too_low(self):
        index = self.start_limited("napindexd", NAPINDEXD,
                                   {"listen": {"address": "127.0.0.1", "port": 0}, "limits": {"max_peers": 10000}},
                                   256, 2048)
        index.wait_log(r"listening on 127\.0\.0\.1:\d+$")
        self.assertEqual(open_file_limits(index.pid), (2048, 2048))
        warnings = index.lines_matching(r"open-file limit is 2048, but limits\.max_peers = 10000 needs about 10064")
        self.assertEqual(len(warnings), 1, index.log())

    def test_napindexd_is_quiet_when_the_hard_limit_suffices(self):
        index = self.start_limited("napindexd", NAPINDEXD,
                                   {"listen": {"address": "127.0.0.1", "port": 0}, "limits": {"max_peers": 100}},
                                   128, 4096)
        index.wait_log(r"listening on 127\.0\.0\.1:\d+$")
        self.assertEqual(open_file_limits(index.pid), (4096, 4096))
        self.assertEqual(index.lines_matching(r"open-file limit"), [])

    def test_napeerd_takes_the_hard_limit(self):
        index = self.start_index()
        peer_dir = self.tmp / "napeerd-dirs"
        (peer_dir / "share").mkdir(parents=True)
        peer = self.start_limited("napeerd", NAPEERD, {
            "": {"name": "lim"},
            "index": {"address": "127.0.0.1", "port": index.port},
            "upload": {"address": "127.0.0.1", "port": 0},
            "share": {"dirs": [str(peer_dir / "share")], "download_dir": str(peer_dir / "downloads")},
            "control": {"socket": str(peer_dir / "peer.sock")},
        }, 64, 4096)
        # Registered: by then its signal handlers are long in place.
        peer.wait_log(r"file list synced")
        self.assertEqual(open_file_limits(peer.pid), (4096, 4096))
        self.assertEqual(peer.lines_matching(r"open-file limit"), [])


if __name__ == "__main__":
    main()
