# SPDX-License-Identifier: MIT
"""Soft state: the index holds a peer's files only while the peer is there,
and everything heals without an operator.

- A peer killed with SIGKILL loses its files at the index as its connection
  ends; restarted, it registers its whole current list again.
- An index killed with SIGKILL and started again on the same port is filled
  again by peers reconnecting on their own; meanwhile `napctl status` says
  "reconnecting in N s" and the last error. Retries start within 1 s, back
  off exponentially with jitter and never wait more than 30 s.
- Peers started before their index register as soon as it is up.
- A peer frozen with SIGSTOP stops answering keepalives; an index with
  limits.peer_timeout = 3 drops it within about 5 s, and after SIGCONT the
  peer reconnects and is found again.

Ports chosen here (the restarted index's, the late index's) may be taken by
someone else meanwhile; the test then sets itself up again.
"""

import os
import re
import signal
import time

from harness import NapsterTestCase, Peer, content, main, wait_for
from sync_helpers import (SYNC_DEADLINE, FileEvents, free_port, index_view, log_time, registrations,
                          start_index_on_port, wait_registered, wait_status, wait_synced)

WORD = "soft"
P1_FILES = {f"soft-p1-{i}.txt": content(f"p1 {i}", 100 + i) for i in range(5)}
P1_FILES["sub/soft-p1-deep.bin"] = content("p1 deep", 4096)
P2_FILES = {"soft-p2-a.txt": b"p2 a\n", "soft-p2-b.txt": b"p2 b\n"}
SETUP_ATTEMPTS = 3
# How soon peers must be back after their index returns. The first retry
# comes within 1 s and the backoff has barely grown when the index was down
# for less than a second.
RECONNECT_DEADLINE = float(os.environ.get("NAPSTER_RECONNECT_DEADLINE", "5"))


class SoftState(NapsterTestCase):
    def start_pair(self, index, prefix=""):
        p1 = self.start_peer(prefix + "p1", index, files=P1_FILES)
        p2 = self.start_peer(prefix + "p2", index, files=P2_FILES)
        return p1, p2

    def found(self, asker, holder_name):
        """{name: sizes} the index lists for holder_name, {} when nothing or no answer."""
        view, _ = index_view(asker, holder_name, WORD)
        return {name: [size for size, _ in entries] for name, entries in (view or {}).items()}

    def expected(self, files):
        return {os.fsencode(rel).rsplit(b"/", 1)[-1]: [len(data)] for rel, data in files.items()}

    def restart_peer(self, old, index_port, workdir_name):
        """The same peer (name, share dir, download dir) started again."""
        peer = Peer(self.tmp / workdir_name, old.name, index_port, share_dirs=old.share_dirs,
                    download_dir=old.download_dir)
        self.daemons.append(peer)
        return peer

    # ------------------------------------------------------------ peers

    def test_killed_peer_vanishes_at_once_and_returns_with_its_current_list(self):
        index = self.start_index()
        p1, p2 = self.start_pair(index)
        wait_synced(p1, p2, WORD, "p1's files at the index")
        mark = index.mark()
        killed_at = time.monotonic()
        p1.kill_hard()
        wait_for(lambda: self.found(p2, "p1") == {} and self.found(p2, "p2") == self.expected(P2_FILES),
                 "p1's files to vanish from p2's search", timeout=SYNC_DEADLINE)
        vanished_after = time.monotonic() - killed_at
        index.wait_log(rf"peer {p1.peer_id} \(p1\) disconnected \(.+\); dropped {len(P1_FILES)} files$",
                       since=mark)
        self.assertLess(vanished_after, SYNC_DEADLINE)
        self.assertAlive(index, p2)

        # Changed while p1 was down: the restarted p1 registers what is there now.
        os.unlink(p1.share_dir / "soft-p1-0.txt")
        (p1.share_dir / "sub" / "soft-p1-new.txt").write_bytes(b"made while p1 was down\n")
        mark = index.mark()
        p1 = self.restart_peer(p1, index.port, "p1-restarted")
        wait_synced(p1, p2, WORD, "the restarted p1's whole list at the index")
        events = FileEvents(index, "p1", since=mark)
        self.assertEqual(events.batch_sizes, [len(P1_FILES)], repr(events))
        self.assertEqual(len(registrations(index, "p1", since=mark)), 1)

    # ------------------------------------------------------------ the index

    def kill_and_restart_index(self, index, name):
        """SIGKILL, then the same port again; None when someone took it."""
        port = index.port
        index.kill_hard()
        return start_index_on_port(self, port, name)

    def drop(self, *daemons):
        """Stops daemons of a setup attempt that is given up."""
        for daemon in daemons:
            self.daemons.remove(daemon)
            problems = daemon.terminate_and_check()
            self.assertEqual(problems, [], "\n".join(problems))

    def test_killed_index_restarted_on_the_same_port_is_filled_again(self):
        for attempt in range(SETUP_ATTEMPTS):
            index = self.start_index(f"index-{attempt}")
            p1, p2 = self.start_pair(index, prefix=f"a{attempt}-" if attempt else "")
            wait_synced(p1, p2, WORD, "both peers' files at the first index")
            first_ids = (p1.peer_id, p2.peer_id)
            marks = (p1.mark(), p2.mark())
            restarted = self.kill_and_restart_index(index, f"index-{attempt}-restarted")
            if restarted is not None:
                break
            self.drop(p1, p2)
        else:
            self.fail(f"port taken by someone else after {SETUP_ATTEMPTS} attempts")
        restarted_at = time.monotonic()
        for peer, mark in zip((p1, p2), marks):
            peer.wait_log(r"lost the index 127\.0\.0\.1:\d+: ", since=mark)
            peer.wait_registered(since=mark)
        back_after = time.monotonic() - restarted_at
        self.assertLess(back_after, RECONNECT_DEADLINE, "peers came back too slowly")
        wait_synced(p1, p2, WORD, "p1's files at the restarted index")
        wait_synced(p2, p1, WORD, "p2's files at the restarted index")
        for peer in (p1, p2):
            events = FileEvents(restarted, peer.name)
            self.assertEqual(events.batch_sizes[:1], [len(P1_FILES) if peer is p1 else len(P2_FILES)],
                             f"{peer.name} re-registers its whole list; {events!r}")
        self.assertEqual(len({p1.peer_id, p2.peer_id}), 2, f"ids {first_ids} then {p1.peer_id}, {p2.peer_id}")

        # And from here on, changes are incremental again.
        mark = restarted.mark()
        (p1.share_dir / "soft-after-restart.txt").write_bytes(b"after the restart\n")
        wait_synced(p1, p2, WORD, "a file made after the index restarted")
        self.assertEqual(FileEvents(restarted, p1.name, since=mark).names, ["soft-after-restart.txt"])
        self.assertEqual(len(registrations(restarted, p1.name)), 1)
        status = self.ctl(p1, "status")
        self.assertExit(status, 0)
        self.assertRegex(status.out,
                         rf"(?m)^index:\s+connected as peer {p1.peer_id} \(127\.0\.0\.1:{restarted.port}\)$")
        self.assertNotIn("last error", status.out)

    def test_status_while_the_index_is_down_and_the_backoff(self):
        for attempt in range(SETUP_ATTEMPTS):
            index = self.start_index(f"index-{attempt}")
            suffix = f"-{attempt}" if attempt else ""
            debug = {"log": {"level": "debug"}}
            p1 = self.start_peer("p1" + suffix, index, files=P1_FILES, extra_sections=debug)
            p2 = self.start_peer("p2" + suffix, index, files=P2_FILES, extra_sections=debug)
            port = index.port
            marks = (p1.mark(), p2.mark())
            index.kill_hard()
            files_before = len(P1_FILES)

            # While the index is away, status answers (exit 0) and says so.
            doc = wait_status(self, p1, lambda d: d["index_state"] == "disconnected" and d["reconnect_in_ms"] > 0,
                              "p1 to wait for its next attempt")
            self.assertIsNone(doc["peer_id"])
            self.assertLessEqual(doc["reconnect_in_ms"], 30_000)
            self.assertEqual(doc["index_address"], f"127.0.0.1:{port}")
            self.assertTrue(doc["last_error"])
            self.assertEqual(doc["file_count"], files_before)
            def reconnecting_text():
                result = self.ctl(p1, "status")
                self.assertExit(result, 0, "napctl status while the index is down")
                return "reconnecting in" in result.out and result
            text = wait_for(reconnecting_text, "napctl status to say reconnecting")
            found = re.search(rf"(?m)^index:\s+disconnected from 127\.0\.0\.1:{port}, reconnecting in (\d+) s$",
                              text.out)
            self.assertIsNotNone(found, text.out)
            self.assertTrue(1 <= int(found.group(1)) <= 30, text.out)
            self.assertRegex(text.out, r"(?m)^last error:\s+\S.*$")

            # Backoff: the first retry within 1 s, then growing, with jitter.
            delays = {}
            for peer, mark in zip((p1, p2), marks):
                lost = peer.wait_log(r"^.*lost the index .*$", since=mark).group(0)
                first_failure = peer.wait_log(r"^.*warn: index 127\.0\.0\.1:\d+: cannot connect .*$",
                                              since=mark).group(0)
                self.assertLessEqual(log_time(first_failure) - log_time(lost), 1.05,
                                     f"{peer.name}: first retry later than 1 s after losing the index")
                wait_for(lambda: len(peer.lines_matching(r"reconnecting to the index in \d+ ms", since=mark)) >= 4,
                         f"{peer.name} to schedule four retries")
                delays[peer.name] = [int(re.search(r"in (\d+) ms", line).group(1))
                                     for line in peer.lines_matching(r"reconnecting to the index in \d+ ms",
                                                                     since=mark)]
            for name, ds in delays.items():
                self.assertLessEqual(ds[0], 1000, f"{name}: first retry after {ds[0]} ms")
                self.assertTrue(all(d <= 30_000 for d in ds), f"{name}: {ds}")
                self.assertGreater(ds[3], ds[0], f"{name}: no backoff: {ds}")
            self.assertNotEqual(delays[p1.name][:4], delays[p2.name][:4], "no jitter: both peers retry in step")

            # Changed while the index was down: it gets the current list.
            (p1.share_dir / "soft-while-down.txt").write_bytes(b"made while the index was down\n")
            wait_status(self, p1, lambda d: d["file_count"] == files_before + 1, "p1 to see its new file")
            marks = (p1.mark(), p2.mark())
            restarted = start_index_on_port(self, port, f"index-{attempt}-restarted")
            if restarted is not None:
                break
            self.drop(p1, p2)
        else:
            self.fail(f"port taken by someone else after {SETUP_ATTEMPTS} attempts")
        for peer, mark in zip((p1, p2), marks):
            # The backoff may have grown to a few seconds by now; 30 s is its cap.
            wait_registered(peer, since=mark, timeout=35)
        wait_synced(p1, p2, WORD, "p1's files, with the new one, at the restarted index")
        wait_synced(p2, p1, WORD, "p2's files at the restarted index")
        doc = wait_status(self, p1, lambda d: d["index_state"] == "connected", "p1 connected")
        self.assertEqual((doc["peer_id"], doc["last_error"], doc["reconnect_in_ms"]), (p1.peer_id, None, 0))

    def test_peers_started_before_the_index_register_when_it_starts(self):
        for attempt in range(SETUP_ATTEMPTS):
            port = free_port()
            suffix = f"-{attempt}" if attempt else ""
            p1 = self.start_peer("p1" + suffix, port, files=P1_FILES, wait_connected=False)
            p2 = self.start_peer("p2" + suffix, port, files=P2_FILES, wait_connected=False)
            for peer in (p1, p2):
                doc = wait_status(self, peer, lambda d: d["last_error"], f"{peer.name} to fail to connect")
                self.assertNotEqual(doc["index_state"], "connected")
                self.assertIn(f"127.0.0.1:{port}", doc["last_error"])
            index = start_index_on_port(self, port, f"index{suffix}")
            if index is not None:
                break
            self.drop(p1, p2)
        else:
            self.fail(f"no free port after {SETUP_ATTEMPTS} attempts")
        started_at = time.monotonic()
        p1.wait_registered()
        p2.wait_registered()
        self.assertLess(time.monotonic() - started_at, RECONNECT_DEADLINE)
        wait_synced(p1, p2, WORD, "p1's files at the late index")
        wait_synced(p2, p1, WORD, "p2's files at the late index")
        for peer in (p1, p2):
            self.assertEqual(len(registrations(index, peer.name)), 1)
        self.assertEqual(self.found(p2, p1.name), self.expected(P1_FILES))

    # ------------------------------------------------------------ keepalives

    def test_frozen_peer_is_dropped_after_peer_timeout_and_returns_after_sigcont(self):
        timeout = 3
        index = self.start_index(extra_sections={"limits": {"peer_timeout": timeout}})
        # `quiet` sends nothing of its own after registering (nobody searches
        # through it, and napeerd pings only every 15 s); it stays only by
        # answering the index's keepalives.
        quiet = self.start_peer("quiet", index, files={"soft-quiet.txt": b"quiet\n"})
        quiet_since = time.monotonic()
        frozen = self.start_peer("frozen", index, files=P1_FILES)
        asker = self.start_peer("asker", index, files=P2_FILES)
        wait_synced(frozen, asker, WORD, "the frozen-to-be peer's files at the index")
        self.addCleanup(frozen.signal, signal.SIGCONT)  # runs before the daemons are stopped
        mark = index.mark()
        frozen_id = frozen.peer_id
        stopped_at = time.monotonic()
        frozen.signal(signal.SIGSTOP)
        dropped = index.wait_log(
            rf"peer {frozen_id} \(frozen\) disconnected \((.+)\); dropped {len(P1_FILES)} files$",
            since=mark, timeout=6)
        dropped_after = time.monotonic() - stopped_at
        self.assertIn("silent", dropped.group(1))
        self.assertIn("peer_timeout", dropped.group(1))
        self.assertLessEqual(dropped_after, 5.5, "dropped too late for limits.peer_timeout = 3")
        self.assertGreaterEqual(dropped_after, 1.5, "dropped before 3 s of silence")
        wait_for(lambda: self.found(asker, "frozen") == {}, "the frozen peer's files to vanish",
                 timeout=SYNC_DEADLINE)

        peer_mark = frozen.mark()
        index_mark = index.mark()
        frozen.signal(signal.SIGCONT)
        frozen.wait_registered(since=peer_mark)
        wait_synced(frozen, asker, WORD, "the thawed peer's files back at the index")
        events = FileEvents(index, "frozen", since=index_mark)
        self.assertEqual(events.batch_sizes[:1], [len(P1_FILES)], repr(events))

        # Let quiet be silent for two timeouts and more (most of it has
        # passed already): answering pings must keep it registered.
        time.sleep(max(0.0, quiet_since + 2 * timeout + 1 - time.monotonic()))
        self.assertEqual(index.lines_matching(r"\(quiet\) disconnected"), [])
        self.assertEqual(self.found(asker, "quiet"), {b"soft-quiet.txt": [6]})
        self.assertAlive(index, frozen, asker, quiet)


if __name__ == "__main__":
    main()
