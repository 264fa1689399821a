# SPDX-License-Identifier: MIT
"""Live share sync: what happens on disk reaches the index in moments, one
changed file at a time.

p1 shares two dirs and its download dir; a second peer, `asker`, searches.
Each step changes p1's disk (create, write slowly, rename, move between
subdirs and between share dirs, replace with mv, delete, mkdir -p a subtree,
rename a dir, move a dir out of the share and back, rm -rf, a file put in
download_dir by hand, names with spaces and bytes that are not UTF-8), then
waits until disk, p1's catalog and the index agree (sync_helpers), and
checks from the index's log that it heard of the changed files alone: one
full list at registration, never a second.

`napctl rescan` walks everything again: after everything settled it finds
nothing to do; after changes inotify cannot report (a write through a hard
link in an unwatched dir, a symlink whose target left) it counts them.
"""

import os
import re
import shutil
import threading
import time

from harness import NapsterTestCase, content, main, printable, wait_for
from sync_helpers import (SYNC_DEADLINE, FileEvents, disk_files, index_view, peer_roots, registrations,
                          shares_view, wait_synced)

# Every file these tests look at has this word in its name; sync_problems
# compares disk, catalog and index on the files a search for it finds.
WORD = "sync"

INITIAL = {
    "sync-a.txt": content("a", 100),
    "sync-b.txt": content("b", 200),
    "docs/sync-c.txt": content("c", 300),
    "docs/deep/sync-d.txt": content("d", 400),
    "music/sync-e.bin": content("e", 500),
    "music/sync-f.bin": content("f", 600),
}
INITIAL_COUNT = len(INITIAL) + 1  # and one in the second share dir
# The most files one step below changes; a batch above it would be a
# re-sent list rather than an incremental update.
LARGEST_STEP = 4


class LiveSync(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()
        workdir = self.tmp / "p1"
        self.share2 = workdir / "share2"
        self.share2.mkdir(parents=True)
        (self.share2 / "sync-second.txt").write_bytes(content("second", 70))
        self.p1 = self.start_peer("p1", self.index, files=INITIAL,
                                  share_dirs=[workdir / "share", self.share2])
        self.assertEqual(self.p1.shared_count, INITIAL_COUNT)
        self.asker = self.start_peer("asker", self.index)
        self.share = self.p1.share_dir
        self.outside = self.tmp / "outside"  # the same file system, not shared
        self.outside.mkdir()
        self.synced("the initial share")

    # ------------------------------------------------------------ helpers

    def synced(self, what, timeout=None):
        return wait_synced(self.p1, self.asker, WORD, what, timeout)

    def step(self, what, action, changed=(), removed=0, maybe=()):
        """Runs action(), waits until the index agrees with the disk, then
        checks what the index heard meanwhile: add and update lines name
        exactly the `changed` files (plus any of `maybe`), removals count
        `removed` files (an int or a (low, high) range), and p1 registered
        only once."""
        mark = self.index.mark()
        action()
        self.synced(what)
        events = FileEvents(self.index, "p1", since=mark)
        expected = {printable(n) for n in changed}
        allowed = expected | {printable(n) for n in maybe}
        names = set(events.names)
        self.assertTrue(expected <= names <= allowed,
                        f"{what}: the index should have heard of {sorted(expected)} alone; {events!r}")
        low, high = removed if isinstance(removed, tuple) else (removed, removed)
        self.assertTrue(low <= events.removed <= high,
                        f"{what}: expected {removed} files removed at the index; {events!r}")
        for size in events.batch_sizes:
            self.assertLessEqual(size, LARGEST_STEP, f"{what}: a batch that large is a re-sent list; {events!r}")
        self.assert_registered_once()
        return events

    def assert_registered_once(self):
        lines = registrations(self.index, "p1")
        self.assertEqual(len(lines), 1, "p1 registered more than once:\n" + "\n".join(lines))

    def write(self, path, data):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def shared(self, rel):
        """p1's catalog entry (size, file_id) for rel, or None."""
        view, why = shares_view(self.p1, WORD)
        self.assertIsNotNone(view, why)
        return view.get(os.fsencode(rel))

    # ------------------------------------------------------------ files

    def test_created_files_are_found(self):
        self.step("a file created at the top", lambda: self.write(self.share / "sync-new.txt", b"new file\n"),
                  changed=["sync-new.txt"])
        self.step("a file created two dirs down",
                  lambda: self.write(self.share / "docs/deep/sync-new-deep.txt", content("deep", 5000)),
                  changed=["sync-new-deep.txt"])
        self.step("a file created in the second share dir",
                  lambda: self.write(self.share2 / "sync-new-2.txt", b"second dir\n"),
                  changed=["sync-new-2.txt"])
        self.assertEqual(self.shared("docs/deep/sync-new-deep.txt")[0], 5000)

    def test_slow_writer_is_found_within_1_5_s_and_ends_with_its_final_size(self):
        path = self.share / "sync-slow.bin"
        chunks = [content(f"slow {i}", 1000) for i in range(80)]
        final_size = sum(map(len, chunks))
        times = {}

        def write_slowly():  # 80 writes, 25 ms apart: never quiet long enough to look finished
            with open(path, "wb") as f:
                for i, chunk in enumerate(chunks):
                    f.write(chunk)
                    f.flush()
                    if i == 0:
                        times["first_write"] = time.monotonic()
                    time.sleep(0.025)
            times["closed"] = time.monotonic()

        peer_mark = self.p1.mark()
        writer = threading.Thread(target=write_slowly)
        writer.start()
        try:
            def seen():
                view, _ = index_view(self.asker, "p1", "sync-slow")
                entries = (view or {}).get(b"sync-slow.bin")
                return entries and (time.monotonic(), entries[0][0])
            seen_at, seen_size = wait_for(seen, "sync-slow.bin to be found while it is written")
        finally:
            writer.join()
        self.assertLessEqual(seen_at - times["first_write"], 1.5,
                             "a file being written must be announced within 1 s of its first write")
        self.assertLess(seen_at, times["closed"], "announced only once closed")
        self.assertLess(seen_size, final_size)
        self.synced("the slow file closed")
        self.assertEqual(self.shared("sync-slow.bin")[0], final_size)
        view, why = index_view(self.asker, "p1", "sync-slow")
        self.assertEqual([size for size, _ in view[b"sync-slow.bin"]], [final_size], why)
        announced = self.p1.lines_matching(r"sharing sync-slow\.bin \(", since=peer_mark)
        # About one a second while it grows, and one at close: not one a write.
        self.assertGreaterEqual(len(announced), 2, announced)
        self.assertLessEqual(len(announced), 6, "no debounce: " + "\n".join(announced))
        self.assertIn(f"({final_size} bytes)", announced[-1])
        self.assert_registered_once()

    def test_a_quick_burst_of_writes_is_announced_once_at_close(self):
        chunk = content("burst", 512)
        failure = None
        for attempt in range(3):
            name = f"sync-burst-{attempt}.bin"
            peer_mark, index_mark = self.p1.mark(), self.index.mark()
            stamps = [time.monotonic()]
            with open(self.share / name, "wb") as f:
                for _ in range(10):
                    f.write(chunk)
                    f.flush()
                    stamps.append(time.monotonic())
                    time.sleep(0.01)
            stamps.append(time.monotonic())
            self.synced(f"burst {attempt} closed")
            if max(b - a for a, b in zip(stamps, stamps[1:])) >= 0.15:
                continue  # this writer paused long enough to look finished: try again
            announced = self.p1.lines_matching(rf"sharing {re.escape(name)} \(", since=peer_mark)
            events = FileEvents(self.index, "p1", since=index_mark)
            if len(announced) == 1:
                self.assertIn(f"({10 * len(chunk)} bytes)", announced[0])
                self.assertEqual((events.added, events.updated), (1, 0), repr(events))
                return
            failure = (f"a file written in 10 quick writes and closed was announced {len(announced)} "
                            "times:\n" + "\n".join(announced))
        if failure:
            self.fail(failure)
        self.skipTest("the writer stalled for 150 ms or more in every attempt")

    def test_written_files_get_their_new_size_and_keep_their_id(self):
        before = self.shared("sync-a.txt")
        events = self.step("a file overwritten with more bytes",
                           lambda: self.write(self.share / "sync-a.txt", content("a2", 4321)),
                           changed=["sync-a.txt"])
        self.assertEqual(events.added, 0, f"a change is an update, not a new file; {events!r}")
        self.assertEqual(self.shared("sync-a.txt"), (4321, before[1]))

        def append():
            with open(self.share / "docs/sync-c.txt", "ab") as f:
                f.write(b"appended")
        self.step("a file appended to", append, changed=["sync-c.txt"])
        self.assertEqual(self.shared("docs/sync-c.txt")[0], 308)
        self.step("a file truncated", lambda: os.truncate(self.share / "music/sync-f.bin", 10),
                  changed=["sync-f.bin"])
        self.assertEqual(self.shared("music/sync-f.bin")[0], 10)

    def test_renamed_file(self):
        old_id = self.shared("sync-a.txt")[1]
        self.step("a file renamed",
                  lambda: os.rename(self.share / "sync-a.txt", self.share / "sync-a-renamed.txt"),
                  changed=["sync-a-renamed.txt"], removed=1)
        self.assertIsNone(self.shared("sync-a.txt"))
        status, _ = self.search_json(self.asker, "sync-a.txt", exact=True)
        self.assertEqual(status, 1, "the old name is still found")
        self.assertNotEqual(self.shared("sync-a-renamed.txt")[1], old_id)

    def test_file_moved_between_subdirs_and_share_dirs(self):
        self.step("a file moved to another subdir",
                  lambda: os.rename(self.share / "docs/sync-c.txt", self.share / "music/sync-c.txt"),
                  changed=["sync-c.txt"], removed=1)
        self.assertIsNone(self.shared("docs/sync-c.txt"))
        self.assertEqual(self.shared("music/sync-c.txt")[0], 300)
        self.step("a file moved up to the share dir",
                  lambda: os.rename(self.share / "docs/deep/sync-d.txt", self.share / "sync-d.txt"),
                  changed=["sync-d.txt"], removed=1)
        self.step("a file moved to the other share dir",
                  lambda: os.rename(self.share / "sync-b.txt", self.share2 / "sync-b.txt"),
                  changed=["sync-b.txt"], removed=1)
        self.step("a file moved into the share from outside",
                  lambda: (self.write(self.outside / "sync-in.txt", b"moved in\n"),
                           os.rename(self.outside / "sync-in.txt", self.share / "docs/sync-in.txt")),
                  changed=["sync-in.txt"])
        self.step("a file moved out of the share",
                  lambda: os.rename(self.share / "music/sync-e.bin", self.outside / "sync-e.bin"), removed=1)

    def test_file_replaced_with_mv(self):
        id_b = self.shared("sync-b.txt")[1]
        self.write(self.outside / "sync-b.new", content("b new", 2345))
        events = self.step("mv newfile existing, newfile from outside the share",
                           lambda: os.rename(self.outside / "sync-b.new", self.share / "sync-b.txt"),
                           changed=["sync-b.txt"])
        self.assertEqual(events.added, 0, repr(events))
        self.assertEqual(self.shared("sync-b.txt"), (2345, id_b))

        self.step("an editor's temporary file", lambda: self.write(self.share / "sync-b.txt.tmp", b"saved\n"),
                  changed=["sync-b.txt.tmp"])
        self.step("mv newfile existing, both shared",
                  lambda: os.rename(self.share / "sync-b.txt.tmp", self.share / "sync-b.txt"),
                  changed=["sync-b.txt"], removed=1)
        self.assertEqual(self.shared("sync-b.txt")[0], 6)
        self.assertIsNone(self.shared("sync-b.txt.tmp"))

    def test_deleted_file(self):
        self.step("a file deleted", lambda: os.unlink(self.share / "music/sync-e.bin"), removed=1)
        status, _ = self.search_json(self.asker, "sync-e.bin", exact=True)
        self.assertEqual(status, 1)
        self.step("a file deleted in the second share dir", lambda: os.unlink(self.share2 / "sync-second.txt"),
                  removed=1)

    # ------------------------------------------------------------ directories

    def test_new_subtree_made_with_mkdir_p_is_walked_and_watched(self):
        def make_tree():
            os.makedirs(self.share / "new/a/b")
            self.write(self.share / "new/sync-n1.txt", b"1")
            self.write(self.share / "new/a/sync-n2.txt", b"22")
            self.write(self.share / "new/a/b/sync-n3.txt", b"333")
        self.step("mkdir -p new/a/b and three files", make_tree,
                  changed=["sync-n1.txt", "sync-n2.txt", "sync-n3.txt"])
        # Files that come later show that the new dirs are watched, not just listed.
        self.step("a file added to the new subtree later",
                  lambda: self.write(self.share / "new/a/b/sync-n4.txt", b"4444"), changed=["sync-n4.txt"])
        self.step("a dir and file made in the new subtree later",
                  lambda: self.write(self.share / "new/a/b/c/sync-n5.txt", b"55555"), changed=["sync-n5.txt"])
        self.step("a file in the new subtree deleted", lambda: os.unlink(self.share / "new/a/sync-n2.txt"),
                  removed=1)

    def test_subtree_built_outside_and_moved_in(self):
        os.makedirs(self.outside / "album/cd1")
        self.write(self.outside / "album/sync-cover.jpg", b"jpg")
        self.write(self.outside / "album/cd1/sync-track1.flac", content("t1", 3000))
        self.write(self.outside / "album/cd1/sync-track2.flac", content("t2", 3001))
        self.step("a subtree moved in", lambda: os.rename(self.outside / "album", self.share / "album"),
                  changed=["sync-cover.jpg", "sync-track1.flac", "sync-track2.flac"])
        self.step("a file added to the moved-in subtree",
                  lambda: self.write(self.share / "album/cd1/sync-track3.flac", b"t3"),
                  changed=["sync-track3.flac"])

    def test_renamed_dir(self):
        self.step("docs renamed to papers", lambda: os.rename(self.share / "docs", self.share / "papers"),
                  changed=["sync-c.txt", "sync-d.txt"], removed=2)
        self.assertIsNone(self.shared("docs/sync-c.txt"))
        self.assertIsNone(self.shared("docs/deep/sync-d.txt"))
        self.assertEqual(self.shared("papers/deep/sync-d.txt")[0], 400)
        # The renamed dirs are still watched, under their new names.
        self.step("a file written in the renamed dir",
                  lambda: self.write(self.share / "papers/deep/sync-d.txt", content("d2", 401)),
                  changed=["sync-d.txt"])
        self.assertEqual(self.shared("papers/deep/sync-d.txt")[0], 401)
        self.step("a dir with the old name made again",
                  lambda: self.write(self.share / "docs/sync-g.txt", b"g"), changed=["sync-g.txt"])
        self.step("a renamed dir renamed again",
                  lambda: os.rename(self.share / "papers/deep", self.share / "deeper"),
                  changed=["sync-d.txt"], removed=1)

    def test_dir_moved_out_of_the_share_and_back(self):
        self.step("music moved out of the share", lambda: os.rename(self.share / "music", self.outside / "music"),
                  removed=2)
        # Changes out there are not the share's business any more.
        self.write(self.outside / "music/sync-h.bin", b"made outside")
        self.write(self.outside / "music/sync-e.bin", content("e2", 555))
        self.step("a barrier file", lambda: self.write(self.share / "sync-barrier.txt", b"barrier"),
                  changed=["sync-barrier.txt"])
        self.step("music moved back in under another name",
                  lambda: os.rename(self.outside / "music", self.share / "music-back"),
                  changed=["sync-e.bin", "sync-f.bin", "sync-h.bin"])
        self.assertEqual(self.shared("music-back/sync-e.bin")[0], 555)
        self.step("a file written in the moved-back dir",
                  lambda: self.write(self.share / "music-back/sync-h.bin", b"changed"), changed=["sync-h.bin"])

    def test_rm_rf_subtrees(self):
        def make_tree():
            self.write(self.share / "tree/sync-t1.txt", b"1")
            self.write(self.share / "tree/x/sync-t2.txt", b"2")
            self.write(self.share / "tree/x/y/sync-t3.txt", b"3")
        self.step("a tree made", make_tree, changed=["sync-t1.txt", "sync-t2.txt", "sync-t3.txt"])
        self.step("rm -rf tree", lambda: shutil.rmtree(self.share / "tree"), removed=3)
        self.step("rm -rf docs", lambda: shutil.rmtree(self.share / "docs"), removed=2)
        self.step("a dir with a removed dir's name made again",
                  lambda: self.write(self.share / "tree/x/sync-t4.txt", b"4"), changed=["sync-t4.txt"])

    # ------------------------------------------------------------ download dir

    def test_file_put_in_download_dir_by_hand_is_shared(self):
        downloads = self.p1.download_dir
        self.step("a file copied into download_dir",
                  lambda: self.write(downloads / "sync-by-hand.txt", b"put here by hand\n"),
                  changed=["sync-by-hand.txt"])
        self.assertEqual(self.shared("sync-by-hand.txt")[0], 17)
        # A download in progress is never shared; its final name is, once linked.
        part = downloads / ".napster-0000000000000001-sync-dl.bin.part"
        self.step("a partial download written", lambda: self.write(part, content("dl", 9000)))
        self.assertIsNone(self.shared(part.name))
        self.step("the download linked to its final name",
                  lambda: (os.link(part, downloads / "sync-dl.bin"), os.unlink(part)), changed=["sync-dl.bin"])
        self.step("a subdir made in download_dir",
                  lambda: self.write(downloads / "sub/sync-dl-sub.txt", b"x"), changed=["sync-dl-sub.txt"])
        self.step("a file deleted from download_dir", lambda: os.unlink(downloads / "sync-by-hand.txt"), removed=1)

    # ------------------------------------------------------------ names

    def test_names_with_spaces_and_bytes_that_are_not_utf8(self):
        share = os.fsencode(self.share)
        spaces = b"sync two  spaces and a tab\t.txt"
        latin1 = b"sync caf\xe9 \xff.bin"
        renamed = b"sync re\xe9nam\xe9d.bin"
        in_dir = b"sync-\xfe in dir.txt"

        def put(rel, data):
            os.makedirs(os.path.dirname(share + b"/" + rel), exist_ok=True)
            with open(share + b"/" + rel, "wb") as f:
                f.write(data)
        self.step("files with odd names created",
                  lambda: (put(spaces, b"spaces"), put(latin1, b"latin-1"), put(b"dir \xe9\xe8/" + in_dir, b"in")),
                  changed=[spaces, latin1, in_dir])
        view, why = shares_view(self.p1, WORD)
        self.assertIn(b"dir \xe9\xe8/" + in_dir, view, why)
        self.step("a non-UTF-8 name renamed to another",
                  lambda: os.rename(share + b"/" + latin1, share + b"/" + renamed), changed=[renamed], removed=1)
        self.step("a dir with a non-UTF-8 name renamed",
                  lambda: os.rename(share + b"/dir \xe9\xe8", share + b"/dir \xfa \xfb"),
                  changed=[in_dir], removed=1)
        self.step("a name with spaces deleted", lambda: os.unlink(share + b"/" + spaces), removed=1)
        status, doc = self.search_json(self.asker, renamed, exact=True)
        self.assertEqual(status, 0)
        self.assertEqual(doc["files"][0]["name_hex"], renamed.hex())

    # ------------------------------------------------------------ the index's side

    def test_index_log_shows_one_full_list_then_changes_alone(self):
        first = FileEvents(self.index, "p1")
        self.assertEqual(first.batch_sizes, [INITIAL_COUNT], f"one full list at registration; {first!r}")
        p1 = rf"peer {self.p1.peer_id} \(p1\)"

        mark = self.index.mark()
        self.write(self.share / "sync-log.txt", b"log me\n")
        self.index.wait_log(rf"{p1} added 1 file: sync-log\.txt$", since=mark, timeout=SYNC_DEADLINE)
        self.p1.wait_log(r"sharing sync-log\.txt \(7 bytes\); index updated$", timeout=SYNC_DEADLINE)

        mark = self.index.mark()
        self.write(self.share / "sync-log.txt", b"log me again\n")
        self.index.wait_log(rf"{p1} updated 1 file: sync-log\.txt$", since=mark, timeout=SYNC_DEADLINE)

        mark = self.index.mark()
        os.unlink(self.share / "sync-log.txt")
        self.index.wait_log(rf"{p1} removed 1 file$", since=mark, timeout=SYNC_DEADLINE)
        self.p1.wait_log(r"no longer sharing sync-log\.txt; index updated$", timeout=SYNC_DEADLINE)

        mark = self.index.mark()
        os.rename(self.share / "sync-a.txt", self.share / "sync-z.txt")
        self.index.wait_log(rf"{p1} added 1 file: sync-z\.txt$", since=mark, timeout=SYNC_DEADLINE)
        self.index.wait_log(rf"{p1} removed 1 file$", since=mark, timeout=SYNC_DEADLINE)
        self.synced("after the logged steps")

        later = FileEvents(self.index, "p1")
        self.assertEqual(later.batch_sizes[0], INITIAL_COUNT)
        self.assertTrue(all(size == 1 for size in later.batch_sizes[1:]), repr(later))
        self.assert_registered_once()
        self.assertEqual(len(self.p1.lines_matching(r"file list synced")), 1)

    # ------------------------------------------------------------ rescan

    def test_rescan_after_everything_settled_changes_nothing(self):
        index_mark, peer_mark = self.index.mark(), self.p1.mark()
        result = self.ctl(self.p1, "rescan")
        self.assertExit(result, 0)
        self.assertEqual(result.out, f"rescan done: {INITIAL_COUNT} files shared, 0 added or changed, 0 removed\n")
        result = self.ctl(self.p1, "rescan", "--json")
        self.assertExit(result, 0)
        self.assertEqual(result.json(), {"schema": 1, "command": "rescan", "ok": True, "file_count": INITIAL_COUNT, "upserted": 0, "removed": 0})
        self.p1.wait_log(rf"rescan done: {INITIAL_COUNT} files, 0 added or changed, 0 removed$", since=peer_mark)
        events = FileEvents(self.index, "p1", since=index_mark)
        self.assertEqual(events.lines, [], "a rescan that found nothing must tell the index nothing")
        self.assert_registered_once()

    def wait_in_catalog(self, rel):
        wait_for(lambda: self.shared(rel), f"{rel} in p1's catalog", timeout=SYNC_DEADLINE)

    def unseen_changes(self):
        """What p1's catalog misses of its disk: (changed or new, gone)."""
        disk = disk_files(peer_roots(self.p1), WORD)
        shares, why = shares_view(self.p1, WORD)
        self.assertIsNotNone(shares, why)
        changed = {rel for rel, size in disk.items() if rel not in shares or shares[rel][0] != size}
        gone = {rel for rel in shares if rel not in disk}
        return changed, gone

    def test_rescan_counts_changes_inotify_cannot_report(self):
        linked = self.share / "sync-linked.txt"

        def make_files():
            self.write(linked, b"0123456789")
            self.write(self.share / "docs/sync-target.txt", b"target")
            os.symlink("docs/sync-target.txt", self.share / "sync-alias.txt")
        self.step("two files and a symlink to one", make_files,
                  changed=["sync-alias.txt", "sync-linked.txt", "sync-target.txt"])

        # inotify reports a write to the watched dir the path was opened
        # through: a write through a hard link elsewhere goes unseen. A
        # symlink whose target leaves changes no entry in its own dir.
        os.link(linked, self.outside / "twin.txt")
        with open(self.outside / "twin.txt", "ab") as f:
            f.write(b" written through a hard link outside the share")
        os.rename(self.share / "docs/sync-target.txt", self.outside / "sync-target.txt")
        self.write(self.share / "sync-barrier-1.txt", b"after the unseen changes")
        self.wait_in_catalog("sync-barrier-1.txt")
        changed, gone = self.unseen_changes()
        self.assertIn(b"sync-linked.txt", changed, "precondition: inotify reported a write through a hard link")

        index_mark = self.index.mark()
        result = self.ctl(self.p1, "rescan")
        self.assertExit(result, 0)
        file_count = len(disk_files(peer_roots(self.p1), ""))
        self.assertEqual(result.out, f"rescan done: {file_count} files shared, {len(changed)} added or changed, "
                                     f"{len(gone)} removed\n")
        self.synced("after the first rescan")
        events = FileEvents(self.index, "p1", since=index_mark)
        self.assertEqual(set(events.names), {printable(rel.rsplit(b"/", 1)[-1]) for rel in changed}, repr(events))
        self.assertEqual(events.removed, len(gone), repr(events))
        self.assertEqual(self.shared("sync-linked.txt")[0], linked.stat().st_size)

        with open(self.outside / "twin.txt", "ab") as f:
            f.write(b" and again")
        self.write(self.share / "sync-barrier-2.txt", b"after the second unseen change")
        self.wait_in_catalog("sync-barrier-2.txt")
        self.assertEqual(self.unseen_changes(), ({b"sync-linked.txt"}, set()))
        result = self.ctl(self.p1, "rescan", "--json")
        self.assertExit(result, 0)
        self.assertEqual(result.json(), {"schema": 1, "command": "rescan", "ok": True, "file_count": file_count + 1, "upserted": 1, "removed": 0})
        self.synced("after the second rescan")

        result = self.ctl(self.p1, "rescan", "--json")
        self.assertExit(result, 0)
        self.assertEqual(result.json(), {"schema": 1, "command": "rescan", "ok": True, "file_count": file_count + 1, "upserted": 0, "removed": 0})
        self.assert_registered_once()


class SymlinkedShareDir(NapsterTestCase):
    """A share dir configured as a symlink to the real dir (as an admin may
    point /srv/napster/share at a disk) is watched like any other."""

    def test_share_dir_given_as_a_symlink_is_watched(self):
        index = self.start_index()
        real = self.tmp / "disk" / "music"
        real.mkdir(parents=True)
        (real / "sync-old.txt").write_bytes(b"old")
        link = self.tmp / "music-link"
        os.symlink(real, link)
        holder = self.start_peer("holder", index, share_dirs=[link])
        asker = self.start_peer("asker", index)
        wait_synced(holder, asker, WORD, "the initial share")
        (real / "sync-new.txt").write_bytes(b"new")
        (holder.download_dir / "sync-downloaded.txt").write_bytes(b"download dir")
        wait_synced(holder, asker, WORD, "files created in a share dir reached through a symlink")
        self.assertEqual(holder.lines_matching(r"could not be watched|rescanning every"), [])


if __name__ == "__main__":
    main()
