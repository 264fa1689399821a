# SPDX-License-Identifier: MIT
"""Reloading the config: `napctl reload` and SIGHUP (napeerd(8), RELOAD).

A share dir added is walked, watched and its files reach the index; one
removed takes its files out of the index and is no longer watched; the log
level changes at once; a changed key that needs a restart is named; a file
that does not parse, or names a share dir that is not there, changes
nothing. napindexd's SIGHUP applies its connection limits and log level.
"""

import os
import signal

from harness import (CHANNEL_CONTROL, ERR_MALFORMED, ERROR, NapsterTestCase, RawClient, frame, main, parse_error,
                     u8, u16, u32, wait_for)

RELOAD = 0x0320
RELOAD_RESULT = 0x0321


class Reload(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()
        self.p1 = self.start_peer("p1", self.index, files={"first.txt": b"p1 first\n"})
        self.p2 = self.start_peer("p2", self.index)
        self.extra = self.tmp / "extra"
        self.extra.mkdir()

    def reload(self, peer=None, *args):
        return self.ctl(peer or self.p1, "reload", *args)

    def searchable(self, name):
        """Whether p2 finds p1 holding exactly `name` through the index."""
        return self.p1.peer_id in self.holders_of(self.p2, name)

    def test_a_share_dir_added_is_shared_and_watched(self):
        (self.extra / "added.txt").write_bytes(b"added by reload\n")
        (self.extra / "sub").mkdir()
        (self.extra / "sub" / "deep.txt").write_bytes(b"deep\n")
        self.assertFalse(self.searchable("added.txt"))
        self.p1.rewrite_config({"share": {"dirs": [str(self.p1.share_dir), str(self.extra)]}})
        mark = self.p1.mark()
        result = self.reload()
        self.assertExit(result, 0)
        self.assertEqual(result.out, f"reloaded {self.p1.config_path}:\n  share.dirs: added {self.extra}\n")
        self.p1.wait_log(rf"share dir {self.extra} added: 2 files \(", since=mark)
        wait_for(lambda: self.searchable("added.txt") and self.searchable("deep.txt"),
                 "p2 to find the files of the added dir")
        status = self.ctl(self.p1, "status", "--json").json()
        self.assertEqual(status["share_dirs"], [str(self.p1.share_dir), str(self.extra)])
        # Watched: a file created there later is shared too.
        (self.extra / "sub" / "later.txt").write_bytes(b"later\n")
        wait_for(lambda: self.searchable("later.txt"), "p2 to find a file created in the added dir")
        # Fetchable from p1 by p2.
        fetched = self.ctl(self.p2, "fetch", "deep.txt")
        self.assertExit(fetched, 0)
        self.assertEqual((self.p2.download_dir / "deep.txt").read_bytes(), b"deep\n")
        # The same file again: nothing changed.
        again = self.reload()
        self.assertExit(again, 0)
        self.assertEqual(again.out, f"reloaded {self.p1.config_path}: nothing changed\n")

    def test_a_share_dir_removed_takes_its_files_out(self):
        (self.extra / "going.txt").write_bytes(b"going\n")
        self.p1.rewrite_config({"share": {"dirs": [str(self.p1.share_dir), str(self.extra)]}})
        self.assertExit(self.reload(), 0)
        wait_for(lambda: self.searchable("going.txt"), "the extra dir's file to be searchable")

        self.p1.rewrite_config({"share": {"dirs": [str(self.p1.share_dir)]}})
        mark = self.p1.mark()
        result = self.reload(None, "--json")
        self.assertExit(result, 0)
        self.assertEqual(result.json(), {
            "schema": 1, "command": "reload", "ok": True, "source": str(self.p1.config_path),
            "changes": [{"key": "share.dirs", "applied": True, "before": str(self.extra), "after": None}],
            "restart_needed": [], "left_out": 0})
        self.p1.wait_log(rf"share dir {self.extra} removed: 1 file no longer shared$", since=mark)
        wait_for(lambda: not self.searchable("going.txt"), "the removed dir's file to leave the index")
        self.assertTrue(self.searchable("first.txt"))
        shares = self.ctl(self.p1, "shares", "--json").json()
        self.assertEqual([f["name"] for f in shares["files"]], ["first.txt"])
        # No longer watched: a file created there stays unshared, while one
        # created in the remaining share dir afterwards is picked up.
        (self.extra / "unseen.txt").write_bytes(b"unseen\n")
        (self.p1.share_dir / "marker.txt").write_bytes(b"marker\n")
        wait_for(lambda: self.searchable("marker.txt"), "the marker file to be searchable")
        self.assertFalse(self.searchable("unseen.txt"))

    def test_a_dir_removed_while_it_is_walked(self):
        # Removed at once after it was added: whether its walk has returned
        # or not, it ends removed, with no file of it left.
        for i in range(20):
            sub = self.extra / f"d{i}"
            sub.mkdir()
            for j in range(20):
                (sub / f"f{i}_{j}.txt").write_bytes(b"x")
        (self.extra / "brief.txt").write_bytes(b"brief\n")
        self.p1.rewrite_config({"share": {"dirs": [str(self.p1.share_dir), str(self.extra)]}})
        mark = self.p1.mark()
        self.assertExit(self.reload(), 0)
        self.p1.rewrite_config({"share": {"dirs": [str(self.p1.share_dir)]}})
        self.assertExit(self.reload(), 0)
        self.p1.wait_log(rf"share dir {self.extra} removed: ", since=mark)
        (self.p1.share_dir / "marker.txt").write_bytes(b"marker\n")
        wait_for(lambda: self.searchable("marker.txt"), "the marker file to be searchable")
        self.assertFalse(self.searchable("brief.txt"))
        shares = self.ctl(self.p1, "shares", "--json").json()
        self.assertEqual(sorted(f["name"] for f in shares["files"]), ["first.txt", "marker.txt"])

    def test_a_parent_dir_added_takes_over_its_share_dir(self):
        # share.dirs gains the parent of the share dir: the old one stops
        # being a root of its own, and every file is shared once, from the
        # parent, and still watched.
        outer = self.tmp / "outer"
        inner = outer / "inner"
        inner.mkdir(parents=True)
        (inner / "inside.txt").write_bytes(b"inside\n")
        (outer / "top.txt").write_bytes(b"top\n")
        p3 = self.start_peer("p3", self.index, share_dirs=[inner], download_dir=self.tmp / "p3-downloads")
        holds = lambda name: p3.peer_id in self.holders_of(self.p2, name)
        wait_for(lambda: holds("inside.txt"), "p3's file to be searchable")
        p3.rewrite_config({"share": {"dirs": [str(inner), str(outer)]}})
        mark = p3.mark()
        result = self.reload(p3)
        self.assertExit(result, 0)
        self.assertIn(f"  share.dirs: added {outer}\n", result.out)
        p3.wait_log(rf"share dir {inner} removed: 1 file no longer shared$", since=mark)
        p3.wait_log(rf"share dir {outer} added: 2 files \(", since=mark)
        wait_for(lambda: holds("top.txt"), "the parent's own file to be searchable")
        self.assertTrue(holds("inside.txt"))
        shares = self.ctl(p3, "shares", "--json").json()
        self.assertEqual(sorted(f["rel_path"] for f in shares["files"]), ["inner/inside.txt", "top.txt"])
        (inner / "newer.txt").write_bytes(b"newer\n")
        wait_for(lambda: holds("newer.txt"), "a file created in the old share dir to be searchable")

    def test_log_level_changes_at_once(self):
        self.p1.rewrite_config({"log": {"level": "debug"}})
        mark = self.p1.mark()
        result = self.reload()
        self.assertExit(result, 0)
        self.assertIn('  log.level is now "debug" (was "info")\n', result.out)
        self.p1.wait_log(r'reload: log\.level is now "debug" \(was "info"\)$', since=mark)
        # Debug lines an operator follows a search and a transfer by.
        self.assertExit(self.ctl(self.p1, "search", "first"), 0)
        self.p1.wait_log(r"debug: search \d+ sent to the index: \"first\"$", since=mark)
        self.p1.wait_log(r"debug: search \d+ answered: 1 hit of 1 matches$", since=mark)
        # The downloader at debug too: the holders, each connection, the
        # range asked, the blocks checked.
        self.p2.rewrite_config({"log": {"level": "debug"}})
        p2_mark = self.p2.mark()
        self.assertExit(self.reload(self.p2), 0)
        fetched = self.ctl(self.p2, "fetch", "first.txt")
        self.assertExit(fetched, 0)
        self.p1.wait_log(r"debug: GET from peer \d+ \(p2\) at .*: file id \d+, bytes 0 to the end, root given$",
                         since=mark)
        self.p2.wait_log(rf"debug: fetch first\.txt \(9 bytes, root [0-9a-f]{{12}}\): holders in order "
                         rf"peer {self.p1.peer_id} \(p1\)$", since=p2_mark)
        self.p2.wait_log(rf"debug: first\.txt: connecting to peer {self.p1.peer_id} \(p1\) .*\(holder 1 of 1\)$",
                         since=p2_mark)
        self.p2.wait_log(r"debug: asking .* for blocks 0 to 0 of first\.txt$", since=p2_mark)
        self.p2.wait_log(r"debug: first\.txt: blocks 0 to 0 from .* checked: verified$", since=p2_mark)

        # Back to warn by SIGHUP: info lines stop.
        self.p1.rewrite_config({"log": {"level": "warn"}})
        mark = self.p1.mark()
        self.p1.signal(signal.SIGHUP)
        self.p1.wait_log(r'reload: log\.level is now "warn" \(was "debug"\)$', since=mark)
        self.assertExit(self.ctl(self.p1, "search", "first"), 0)
        # A warning marks the end of what the search could have logged.
        self.p1.rewrite_config({"upload": {"port": 1}})
        self.p1.signal(signal.SIGHUP)
        self.p1.wait_log(r"warn: reload: upload\.port is 1 in the file but needs a restart \(still 0\)$", since=mark)
        self.assertEqual(self.p1.lines_matching(r"search|control socket", since=mark), [])

    def test_keys_that_need_a_restart_are_named(self):
        self.p1.rewrite_config({"": {"name": "renamed"}, "upload": {"port": 6999, "max_concurrent": 3}})
        mark = self.p1.mark()
        result = self.reload()
        self.assertExit(result, 0)
        self.assertEqual(result.out, f"reloaded {self.p1.config_path}:\n"
                                     '  name is "renamed" in the file but needs a restart (still "p1")\n'
                                     "  upload.port is 6999 in the file but needs a restart (still 0)\n"
                                     "  upload.max_concurrent is now 3 (was 8)\n")
        self.p1.wait_log(r'warn: reload: name is "renamed" in the file but needs a restart \(still "p1"\)$',
                         since=mark)
        # Still named at the next reload, until a restart; the applied key is not.
        doc = self.reload(None, "--json").json()
        self.assertEqual(doc["restart_needed"], ["name", "upload.port"])
        self.assertEqual([c["key"] for c in doc["changes"]], ["name", "upload.port"])
        self.assertEqual(self.ctl(self.p1, "status", "--json").json()["name"], "p1")

    def test_a_bad_config_changes_nothing(self):
        good = self.p1.config_path.read_text()
        self.p1.config_path.write_text(good + "\n[log]\nlevel = \"loud\"\n")
        mark = self.p1.mark()
        result = self.reload()
        self.assertExit(result, 1)
        self.assertRegex(result.err, rf"^napctl: {self.p1.config_path}:\d+:\d+: .*log\.level")
        self.assertEqual(result.out, "")
        self.p1.wait_log(r"reload refused, keeping the running config: ", since=mark)

        # A share dir that is not there: refused whole, the other change too.
        self.p1.config_path.write_text(good)
        self.p1.rewrite_config({"share": {"dirs": [str(self.p1.share_dir), str(self.tmp / "missing")]},
                                "upload": {"max_concurrent": 2}})
        result = self.reload()
        self.assertExit(result, 1)
        self.assertIn(f"share dir {self.tmp / 'missing'}: No such file or directory", result.err)
        self.assertEqual(self.ctl(self.p1, "status", "--json").json()["share_dirs"], [str(self.p1.share_dir)])

        # SIGHUP with a file that does not parse: logged, still serving.
        self.p1.config_path.write_text("[share\n")
        mark = self.p1.mark()
        self.p1.signal(signal.SIGHUP)
        self.p1.wait_log(r"reload refused, keeping the running config: .*peer\.toml:1:", since=mark)
        self.assertExit(self.ctl(self.p1, "status"), 0)

        # Fixed, the changes refused before are applied now.
        self.p1.rewrite_config({"share": {"dirs": [str(self.p1.share_dir)]}, "upload": {"max_concurrent": 2}})
        result = self.reload()
        self.assertExit(result, 0)
        self.assertEqual(result.out, f"reloaded {self.p1.config_path}:\n  upload.max_concurrent is now 2 (was 8)\n")
        self.assertAlive(self.p1, self.p2)

    def test_a_lowered_connection_cap_applies_to_the_next_connection(self):
        # control.max_pending 32 -> 1: a connection that has sent nothing
        # yet is dropped to make room for the next one, as at the cap. The
        # handshake timeout goes up at the same reload, so nothing else
        # closes it.
        self.p1.rewrite_config({"control": {"handshake_timeout": 3600}})
        self.assertExit(self.reload(), 0)
        idle = RawClient(self.p1.socket_path)
        self.addCleanup(idle.close)
        self.assertExit(self.ctl(self.p1, "status"), 0)
        self.p1.rewrite_config({"control": {"max_pending": 1}})
        result = self.reload()
        self.assertExit(result, 0)
        self.assertIn("  control.max_pending is now 1 (was 32)\n", result.out)
        self.assertExit(self.ctl(self.p1, "status"), 0)
        self.assertEqual(idle.wait_closed(), b"")

    def test_reload_on_the_wire(self):
        # A RELOAD with a payload byte is malformed; a bare one is answered
        # with RELOAD_RESULT, laid out as napster-protocol(7) says.
        with RawClient(self.p1.socket_path) as client:
            client.handshake(CHANNEL_CONTROL)
            client.send(frame(RELOAD, b"\x00"))
            kind, payload = client.read_frame()
            self.assertEqual(kind, ERROR)
            self.assertEqual(parse_error(payload)[0], ERR_MALFORMED)
            client.wait_closed()
        self.p1.rewrite_config({"download": {"max_sources": 2}})
        with RawClient(self.p1.socket_path) as client:
            client.handshake(CHANNEL_CONTROL)
            client.send(frame(RELOAD))
            kind, payload = client.read_frame()
            source = str(self.p1.config_path).encode()
            key = b"download.max_sources"
            self.assertEqual(kind, RELOAD_RESULT)
            self.assertEqual(payload, u16(len(source)) + source + u16(1) + u8(len(key)) + key + u8(1)
                             + u16(1) + b"4" + u16(1) + b"2" + u32(0))
            client.wait_closed()
        self.assertAlive(self.p1)

    def test_index_sighup_applies_its_limits(self):
        self.index.rewrite_config({"limits": {"max_pending": 5, "peer_timeout": 30}, "log": {"level": "debug"}})
        mark = self.index.mark()
        self.index.signal(signal.SIGHUP)
        self.index.wait_log(r'reload: log\.level is now "debug" \(was "info"\)$', since=mark)
        self.index.wait_log(r"reload: limits\.max_pending is now 5 \(was 256\)$", since=mark)
        self.index.wait_log(r"warn: reload: limits\.peer_timeout is 30 in the file but needs a restart "
                            r"\(still 60\)$", since=mark)
        self.index.config_path.write_text("[limits\n")
        mark = self.index.mark()
        self.index.signal(signal.SIGHUP)
        self.index.wait_log(r"reload refused, keeping the running config: ", since=mark)
        self.assertTrue(self.searchable("first.txt"))
        self.assertAlive(self.index)


if __name__ == "__main__":
    main()
