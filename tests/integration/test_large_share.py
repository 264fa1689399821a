#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A share far larger than one write queue registers whole and stays
registered: napeerd sends its file list a batch at a time as the socket
takes it (regression: a share of about 200,000 files or more made napeerd
drop its own link at the 16 MiB write limit and reconnect forever, and the
index never held more than 61,440 of 300,000 files)."""

import os
import tempfile
from pathlib import Path

from harness import NapsterTestCase, main, wait_for

DIRS = 300
FILES_PER_DIR = 1000
TOTAL = DIRS * FILES_PER_DIR
# Registration of 300,000 files under ASan takes tens of seconds.
SLOW = 240


def make_tree(root):
    """300 dirs of 1,000 tiny files of distinct content (files of one content
    are one search hit); long names make the list ~30 MB."""
    for d in range(DIRS):
        directory = root / f"album_{d:03d}_a_directory_name_long_enough_to_matter"
        directory.mkdir(parents=True)
        for i in range(FILES_PER_DIR):
            fd = os.open(directory / f"track_{d:03d}_{i:04d}_bulkshare_with_a_longer_title.ogg",
                         os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(fd, b"%d/%d" % (d, i))
            os.close(fd)


class LargeShare(NapsterTestCase):
    def setUp(self):
        # tmpfs when the machine has one: 300,000 inodes cost no disk I/O.
        # Registered before the harness's cleanups, so the tree goes after
        # the daemons have stopped (not 300,000 deletions under a running
        # napeerd's watch while it is asked to stop).
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self._tree = tempfile.TemporaryDirectory(prefix="napster-large-", dir=base)
        self.addCleanup(self._tree.cleanup)
        super().setUp()
        self.share = Path(self._tree.name) / "share"
        make_tree(self.share)

    def test_300000_files_register_and_stay_registered(self):
        # Counts every match, so one search can say that all are there.
        index = self.start_index(extra_sections={"limits": {"max_counted_matches": 1_000_000}})
        mark = index.mark()
        big = self.start_peer("big", index, share_dirs=[str(self.share)], wait_connected=False,
                              startup_timeout=SLOW)
        found = big.wait_log(r"connected to index 127\.0\.0\.1:\d+ as peer (\d+); "
                             r"file list synced \(([\d,]+) files\)", timeout=SLOW)
        self.assertEqual(int(found.group(2).replace(",", "")), TOTAL)
        big.peer_id = int(found.group(1))

        asker = self.start_peer("asker", index, files={"small.txt": b"x"})

        def index_count():
            result = self.ctl(asker, "search", "--json", "bulkshare")
            return result.json()["total_matches"] if result.returncode == 0 else 0
        wait_for(lambda: index_count() == TOTAL, "the index to hold all 300,000 files", timeout=SLOW)

        # One link the whole time: never dropped, never re-registered.
        self.assertEqual(big.lines_matching(r"lost the index"), [])
        self.assertEqual(index.lines_matching(r"disconnected", since=mark), [])
        self.assertEqual(len(big.lines_matching(r"file list synced")), 1)

        # A change made now reaches the index as that one file.
        (self.share / "album_000_a_directory_name_long_enough_to_matter" / "late_arrival.ogg").write_bytes(b"late")
        wait_for(lambda: big.peer_id in self.holders_of(asker, "late_arrival.ogg"), "the new file at the index",
                 timeout=SLOW)
        self.assertEqual(index_count(), TOTAL)
        self.assertAlive(index, big, asker)


if __name__ == "__main__":
    main()
