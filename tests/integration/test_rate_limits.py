# SPDX-License-Identifier: MIT
"""upload.rate_limit and download.rate_limit: byte rates across every
transfer of one direction, changed by SIGHUP.

These are checks of a limit the daemon enforces, not speed assertions: a
transfer must take at least what the limit allows (a 10% margin, less the
one burst of a tenth of a second that a full bucket grants), and not much
longer (the rates are far below what even a sanitizer build moves).
"""

import signal
import subprocess
import time

from harness import DEADLINE, NAPCTL, NapsterTestCase, content, main, wait_for, write_toml

MIB = 1024 * 1024
RATE = 1 * MIB  # bytes a second
SIZE = 5 * MIB  # 5 s at RATE


class RateLimits(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()

    def timed_fetches(self, downloaders, name):
        """Starts napctl fetch on each downloader at once; seconds until all are done."""
        start = time.monotonic()
        procs = [subprocess.Popen([NAPCTL, "--socket", d.socket_path, "fetch", name, "--json"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for d in downloaders]
        for p in procs:
            out, err = p.communicate(timeout=6 * DEADLINE)
            self.assertEqual(p.returncode, 0, err)
        return time.monotonic() - start

    def assertRate(self, seconds, size):
        expected = size / RATE
        self.assertGreaterEqual(seconds, 0.9 * expected - 0.1, f"{size} bytes in {seconds:.2f} s: faster than the limit")
        self.assertLessEqual(seconds, 1.1 * expected + 1.0, f"{size} bytes in {seconds:.2f} s: far slower than the limit")

    def test_the_upload_limit_holds_across_two_uploads_at_once(self):
        data = content("rate: shared", SIZE // 2)
        holder = self.start_peer("holder", self.index, {"shared.bin": data},
                                 extra_sections={"upload": {"rate_limit": RATE}})
        one = self.start_peer("one", self.index)
        two = self.start_peer("two", self.index)
        wait_for(lambda: self.holders_of(one, "shared.bin") == {holder.peer_id}, "the index to list the holder")
        # Two downloads of half the size each: together they get RATE.
        seconds = self.timed_fetches([one, two], "shared.bin")
        self.assertRate(seconds, SIZE)
        for d in (one, two):
            self.assertEqual((d.download_dir / "shared.bin").read_bytes(), data)
        holder.wait_log(r"upload of shared\.bin to .*: 2621440 of 2621440 bytes sent, complete$")
        self.assertAlive(holder, one, two)

    def test_sighup_sets_the_download_limit_and_a_fetch_keeps_it(self):
        data = content("rate: downloaded", SIZE)
        holder = self.start_peer("holder", self.index, {"big.bin": data})
        downloader = self.start_peer("downloader", self.index)
        wait_for(lambda: self.holders_of(downloader, "big.bin") == {holder.peer_id}, "the index to list the holder")
        # Unlimited first: quick (and the cache is warm for the timed run).
        self.assertLess(self.timed_fetches([downloader], "big.bin"), SIZE / RATE / 2)
        (downloader.download_dir / "big.bin").unlink()

        sections = {
            "": {"name": "downloader", "state_dir": str(downloader.state_dir)},
            "index": {"address": "127.0.0.1", "port": self.index.port},
            "upload": {"address": "127.0.0.1", "port": 0},
            "share": {"dirs": downloader.share_dirs, "download_dir": str(downloader.download_dir)},
            "control": {"socket": downloader.socket_path},
            "download": {"rate_limit": RATE},
        }
        write_toml(downloader.config_path, sections)
        mark = downloader.mark()
        downloader.signal(signal.SIGHUP)
        downloader.wait_log(r"reload: download\.rate_limit is now 1048576 \(was 0\)$", since=mark)
        seconds = self.timed_fetches([downloader], "big.bin")
        self.assertRate(seconds, SIZE)
        self.assertEqual((downloader.download_dir / "big.bin").read_bytes(), data)
        self.assertAlive(holder, downloader)


if __name__ == "__main__":
    main()
