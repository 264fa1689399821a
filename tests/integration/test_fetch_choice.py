# SPDX-License-Identifier: MIT
"""Choosing the holder (the seed's "Enter peerID", 3 tries, cancel), what
fetch does when there is nothing to fetch or the file is already there, and
`napctl status` / `napctl shares`.

The shared file is 100 KiB so that these transfers do not depend on how a
very small file's bytes happen to arrive (test_seed_case1 pins that).
"""

import os
import pty
import re
import select
import subprocess
import time

from harness import (DEADLINE, NAPCTL, FakeHolder, NapsterTestCase, check_no_sanitizer_report, content, get_ok,
                     tree_leaves, tree_root,
                     get_ok, main, partial_files, wait_for)

SHARED = content("fetch choice: shared.bin", 100 * 1024)
SOLO = content("fetch choice: solo.bin", 100 * 1024)


class TerminalSession:
    """napctl with stdin and stdout on a pseudo-terminal; stderr on a pipe."""

    def __init__(self, argv, stderr_too=False):
        self.master, slave = pty.openpty()
        # A terminal that understands control sequences: the progress line
        # is live only then.
        env = dict(os.environ, TERM="xterm")
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave,
                                     stderr=slave if stderr_too else subprocess.PIPE,
                                     start_new_session=True, env=env)
        os.close(slave)
        self.screen = b""

    def read_until(self, pattern, timeout=None):
        """Waits until the terminal shows text matching the regex (bytes)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + (timeout or DEADLINE)
        while not regex.search(self.screen):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the terminal never showed {pattern!r}; it shows:\n"
                                     f"{self.screen.decode(errors='replace')}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # EIO: napctl exited and closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"napctl exited ({self.proc.poll()}) before showing "
                                         f"{pattern!r}; it showed:\n{self.screen.decode(errors='replace')}")
                self.screen += chunk
        return self.screen

    def type(self, line):
        os.write(self.master, line.encode() + b"\n")

    def finish(self):
        """Waits for napctl to exit; returns (status, stderr text)."""
        try:
            err = (self.proc.communicate(timeout=6 * DEADLINE)[1] or b"").decode(errors="replace")
        finally:
            # Drain what is left on the terminal, then close it.
            while True:
                ready, _, _ = select.select([self.master], [], [], 0)
                if not ready:
                    break
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.screen += chunk
            os.close(self.master)
        return self.proc.returncode, err


class FetchChoice(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()
        self.p1 = self.start_peer("p1", self.index, files={"mine.txt": b"p1's own file\n"})
        self.p2 = self.start_peer("p2", self.index, files={"shared.bin": SHARED, "only2.txt": b"2\n"})
        self.p3 = self.start_peer("p3", self.index, files={"shared.bin": SHARED, "solo.bin": SOLO})
        self.final = os.path.join(self.p1.download_dir, "shared.bin")

    def requests_for(self, peer, name="shared.bin"):
        return peer.lines_matching(rf"requested {re.escape(name)}$")

    def assert_downloaded_from(self, holder, other):
        holder.wait_log(rf"upload of shared\.bin to peer {self.p1.peer_id} \(p1\) at .*: "
                        rf"{len(SHARED)} of {len(SHARED)} bytes sent, complete$")
        self.assertEqual(self.requests_for(other), [])
        with open(self.final, "rb") as f:
            self.assertEqual(f.read(), SHARED)
        self.p1.wait_log(rf"downloaded shared\.bin from peer {holder.peer_id} \({holder.name}\): ")

    def prompt_pattern(self):
        """The question, naming the first holder listed (the lower peer id) as what Enter takes."""
        first = min((self.p2, self.p3), key=lambda p: p.peer_id)
        return rb'Enter peer ID or name to fetch from \[peer %d, %s\] \(or "cancel"\): ' % (
            first.peer_id, first.name.encode())

    def terminal_fetch(self, *args, stderr_too=False):
        argv = [NAPCTL, "--socket", self.p1.socket_path, "fetch", *args]
        session = TerminalSession(argv, stderr_too)
        self.addCleanup(lambda: session.proc.poll() is None and session.proc.kill())
        return session

    # -------------------------------------------------------------- choosing

    def test_peer_option_fetches_from_that_peer(self):
        result = self.ctl(self.p1, "fetch", "shared.bin", "--peer", str(self.p3.peer_id))
        self.assertExit(result, 0)
        self.assertEqual(result.out, self.final + "\n")
        self.assert_downloaded_from(self.p3, self.p2)

    def test_peer_option_with_output_dir_and_json(self):
        out_dir = self.tmp / "elsewhere"
        out_dir.mkdir()
        result = self.ctl(self.p1, "fetch", "shared.bin", f"--peer={self.p2.peer_id}",
                          "--output", str(out_dir), "--json")
        self.assertExit(result, 0)
        doc = result.json()
        self.assertEqual(doc, {"schema": 1, "command": "fetch", "ok": True, "path": str(out_dir / "shared.bin"), "size": len(SHARED),
                               "peer_id": self.p2.peer_id, "peer_name": "p2",
                               "root": tree_root(SHARED).hex(), "verified": True})
        self.assertEqual((out_dir / "shared.bin").read_bytes(), SHARED)
        self.assertEqual(self.requests_for(self.p3), [])
        self.assertFalse(os.path.exists(self.final))

    def test_peer_option_naming_a_peer_without_the_file(self):
        result = self.ctl(self.p1, "fetch", "only2.txt", "--peer", str(self.p3.peer_id))
        self.assertExit(result, 1)
        self.assertIn(f"peer {self.p3.peer_id} does not hold only2.txt", result.err)
        self.assertEqual(os.listdir(self.p1.download_dir), [])

    def test_without_a_terminal_napctl_chooses(self):
        result = self.ctl(self.p1, "fetch", "shared.bin")  # stdin is a pipe
        self.assertExit(result, 0)
        self.assertEqual(result.out, self.final + "\n")
        served = [p for p in (self.p2, self.p3) if self.requests_for(p)]
        self.assertEqual(len(served), 1, "exactly one holder should have been asked")
        self.assert_downloaded_from(served[0], self.p3 if served[0] is self.p2 else self.p2)
        self.assertNotIn("Enter peer ID", result.out)

    def test_terminal_prompt_wrong_id_then_cancel(self):
        session = self.terminal_fetch("shared.bin")
        screen = session.read_until(self.prompt_pattern())
        self.assertIn(b"shared.bin is held by 2 peers", screen)
        self.assertRegex(screen, rb"peer %d\s+p2\s" % self.p2.peer_id)
        self.assertRegex(screen, rb"peer %d\s+p3\s" % self.p3.peer_id)
        session.type("99")
        session.read_until(rb"peer 99 does not hold shared\.bin \(2 tries left\)")
        session.type("cancel")
        status, err = session.finish()
        check_no_sanitizer_report(self, err, "napctl")
        self.assertEqual(status, 1, err)
        self.assertIn("cancelled", err)
        self.assertEqual(self.requests_for(self.p2) + self.requests_for(self.p3), [])
        self.assertEqual(os.listdir(self.p1.download_dir), [])

    def test_terminal_prompt_three_wrong_answers(self):
        session = self.terminal_fetch("shared.bin")
        prompt = self.prompt_pattern()
        session.read_until(prompt)
        session.type("abc")
        session.read_until(rb'"abc" is neither the ID nor the name of a holder \(2 tries left\)')
        session.type(str(self.p1.peer_id))  # a real peer, but not a holder
        session.read_until(rb"does not hold shared\.bin \(1 try left\)")
        session.type("p1")  # a real peer's name, but not a holder's
        status, err = session.finish()
        self.assertEqual(status, 1, err)
        self.assertIn("no valid peer chosen after 3 tries", err)
        self.assertEqual(len(re.findall(prompt, session.screen)), 3)
        self.assertEqual(self.requests_for(self.p2) + self.requests_for(self.p3), [])
        self.assertEqual(os.listdir(self.p1.download_dir), [])

    def test_terminal_prompt_right_id_fetches_from_it(self):
        session = self.terminal_fetch("shared.bin")
        session.read_until(self.prompt_pattern())
        session.type(str(self.p2.peer_id))
        status, err = session.finish()
        check_no_sanitizer_report(self, err, "napctl")
        self.assertEqual(status, 0, err + session.screen.decode(errors="replace"))
        self.assertIn(self.final.encode(), session.screen)
        self.assert_downloaded_from(self.p2, self.p3)

    def test_terminal_prompt_takes_a_peer_name(self):
        session = self.terminal_fetch("shared.bin")
        session.read_until(self.prompt_pattern())
        session.type("P3")  # case is ignored when no name matches exactly
        status, err = session.finish()
        self.assertEqual(status, 0, err + session.screen.decode(errors="replace"))
        self.assert_downloaded_from(self.p3, self.p2)

    def test_terminal_prompt_enter_takes_the_default_it_names(self):
        first, other = sorted((self.p2, self.p3), key=lambda p: p.peer_id)
        session = self.terminal_fetch("shared.bin")
        session.read_until(self.prompt_pattern())
        session.type("")
        status, err = session.finish()
        self.assertEqual(status, 0, err + session.screen.decode(errors="replace"))
        self.assert_downloaded_from(first, other)

    def test_terminal_prompt_never_offers_this_peer(self):
        # p4 shares shared.bin too: its own copy is no holder to fetch from,
        # by ID or by name.
        p4 = self.start_peer("p4", self.index, files={"shared.bin": SHARED})
        wait_for(lambda: self.holders_of(self.p1, "shared.bin") == {self.p2.peer_id, self.p3.peer_id, p4.peer_id},
                 "three holders to be listed")
        argv = [NAPCTL, "--socket", p4.socket_path, "fetch", "shared.bin"]
        session = TerminalSession(argv)
        self.addCleanup(lambda: session.proc.poll() is None and session.proc.kill())
        screen = session.read_until(self.prompt_pattern())
        self.assertIn(b"shared.bin is held by 2 peers", screen)
        self.assertNotRegex(screen, rb"peer %d\s+p4\s" % p4.peer_id)
        session.type(str(p4.peer_id))
        session.read_until(rb"peer %d does not hold shared\.bin \(2 tries left\)" % p4.peer_id)
        session.type("p4")
        session.read_until(rb'"p4" is neither the ID nor the name of a holder \(1 try left\)')
        session.type("cancel")
        status, err = session.finish()
        self.assertEqual(status, 1, err)
        self.assertIn("cancelled", err)

    def test_terminal_shows_progress_and_the_path(self):
        session = self.terminal_fetch("solo.bin", stderr_too=True)
        status, _ = session.finish()
        screen = session.screen.decode(errors="replace")
        self.assertEqual(status, 0, screen)
        self.assertRegex(screen, r"solo\.bin\s+100%\s+100\.0 KiB of 100\.0 KiB")
        self.assertIn(os.path.join(self.p1.download_dir, "solo.bin"), screen)

    def test_no_progress_without_a_terminal(self):
        result = self.ctl(self.p1, "fetch", "solo.bin")
        self.assertExit(result, 0)
        # No progress line: only the summary, on stderr.
        self.assertRegex(result.err, r"^100\.0 KiB in (\d+\.\d s|\d+ ms)( \([\d.]+ (B|KiB|MiB|GiB)/s\))?, verified [0-9a-f]{12}\n$")
        self.assertNotIn("\x1b", result.err)
        self.assertEqual(result.out, os.path.join(self.p1.download_dir, "solo.bin") + "\n")

    def test_terminal_end_of_input_cancels(self):
        session = self.terminal_fetch("shared.bin")
        session.read_until(self.prompt_pattern())
        os.write(session.master, b"\x04")  # ^D at the start of a line: end of input
        status, err = session.finish()
        self.assertEqual(status, 1, err)
        self.assertIn("cancelled", err)
        self.assertEqual(os.listdir(self.p1.download_dir), [])

    def test_terminal_with_one_holder_does_not_ask(self):
        session = self.terminal_fetch("solo.bin")
        status, err = session.finish()
        self.assertEqual(status, 0, err + session.screen.decode(errors="replace"))
        self.assertNotIn(b"Enter peer ID", session.screen)
        with open(os.path.join(self.p1.download_dir, "solo.bin"), "rb") as f:
            self.assertEqual(f.read(), SOLO)

    def test_a_holder_that_is_gone_is_skipped(self):
        # A holder the index still lists but whose upload port refuses: the
        # fetch goes on to the next holder. Both holders are played by the
        # test, so whichever napeerd tries first, the outcome is the same.
        body = content("fetch choice: fallback", 100 * 1024)

        def serve(conn, get_payload):
            conn.sendall(get_ok(len(body)) + body)

        # The dead one registers first: the index lists holders by peer ID.
        dead = FakeHolder(self.index.port, "dead", {1: ("fallback.bin", len(body))}, serve)
        self.addCleanup(dead.close)
        dead.stop_listening()
        alive = FakeHolder(self.index.port, "alive", {1: ("fallback.bin", len(body))}, serve)
        self.addCleanup(alive.close)
        wait_for(lambda: self.holders_of(self.p1, "fallback.bin") == {alive.peer_id, dead.peer_id},
                 "both fake holders to be listed")
        result = self.ctl(self.p1, "fetch", "fallback.bin")
        self.assertExit(result, 0)
        with open(os.path.join(self.p1.download_dir, "fallback.bin"), "rb") as f:
            self.assertEqual(f.read(), body)
        self.assertEqual(len(alive.requests), 1)
        os.unlink(os.path.join(self.p1.download_dir, "fallback.bin"))
        result = self.ctl(self.p1, "fetch", "fallback.bin", "--peer", str(dead.peer_id))
        self.assertExit(result, 1)
        self.assertEqual(partial_files(self.p1.download_dir), [])

    def test_two_fetches_of_one_file_at_once(self):
        # A holder that answers the first GET only once the second fetch has
        # joined the download: the two always overlap.
        body = content("joined", 300_000)

        def serve(conn, get_payload):
            self.p1.wait_log(r"joining the download of joined\.bin already running")
            conn.sendall(get_ok(len(body), root=tree_root(body)) + body)

        holder = FakeHolder(self.index.port, "slow", {1: ("joined.bin", len(body), tree_root(body))}, serve,
                            leaves={1: tree_leaves(body)})
        self.addCleanup(holder.close)
        wait_for(lambda: self.holders_of(self.p1, "joined.bin") == {holder.peer_id}, "the holder to be listed")
        argv = [NAPCTL, "--socket", self.p1.socket_path, "fetch", "joined.bin"]
        procs = []
        for _ in range(2):
            procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE))
            if len(procs) == 1:
                wait_for(lambda: len(holder.requests) == 1, "the first fetch to send GET")
        results = [(p.wait(6 * DEADLINE), p.stdout.read().decode(), p.stderr.read().decode())
                   for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        # One content: the second fetch joins the first (napster-protocol(7),
        # FETCH), both get its outcome, and the holder sent it once.
        final = os.path.join(self.p1.download_dir, "joined.bin")
        self.assertEqual([status for status, _, _ in results], [0, 0], results)
        self.assertEqual([out for _, out, _ in results], [final + "\n"] * 2)
        self.assertEqual(len(holder.requests), 1)
        self.assertEqual(holder.errors, [])
        with open(final, "rb") as f:
            self.assertEqual(f.read(), body)
        wait_for(lambda: partial_files(self.p1.download_dir) == [], "no partial file to be left")

    def test_fetch_of_an_empty_file(self):
        empty = self.start_peer("empty", self.index, files={"empty.txt": b""})
        result = self.ctl(self.p1, "fetch", "empty.txt", "--json")
        self.assertExit(result, 0)
        self.assertEqual(result.json()["size"], 0)
        self.assertEqual(result.json()["peer_id"], empty.peer_id)
        self.assertEqual(os.path.getsize(os.path.join(self.p1.download_dir, "empty.txt")), 0)
        empty.wait_log(r"upload of empty\.txt to .*: 0 of 0 bytes sent, complete$")

    def test_fetch_into_a_missing_output_dir(self):
        missing = self.tmp / "no" / "such" / "dir"
        result = self.ctl(self.p1, "fetch", "shared.bin", "--output", str(missing))
        self.assertExit(result, 1)
        self.assertIn(str(missing), result.err)
        self.assertEqual(self.requests_for(self.p2) + self.requests_for(self.p3), [])

    # -------------------------------------------------------------- nothing to fetch

    def test_fetch_of_a_name_nobody_has(self):
        result = self.ctl(self.p1, "fetch", "nobody-has-this.txt")
        self.assertExit(result, 1)
        self.assertIn("nobody-has-this.txt", result.err)
        self.assertEqual(os.listdir(self.p1.download_dir), [])
        result = self.ctl(self.p1, "fetch", "nobody-has-this.txt", "--peer", str(self.p2.peer_id))
        self.assertExit(result, 1)

    def test_fetch_of_a_partial_name(self):
        result = self.ctl(self.p1, "fetch", "shared")
        self.assertExit(result, 1)
        self.assertEqual(self.requests_for(self.p2, "shared") + self.requests_for(self.p3, "shared"), [])

    def test_fetch_of_a_file_only_this_peer_holds(self):
        result = self.ctl(self.p1, "fetch", "mine.txt")
        self.assertExit(result, 1)
        self.assertEqual(os.listdir(self.p1.download_dir), [])
        result = self.ctl(self.p1, "fetch", "mine.txt", "--peer", str(self.p1.peer_id))
        self.assertExit(result, 1)
        self.assertIn("itself", result.err)

    def test_fetch_into_an_existing_file_leaves_it_untouched(self):
        existing = b"I was here first\n"
        os.makedirs(self.p1.download_dir, exist_ok=True)
        with open(self.final, "wb") as f:
            f.write(existing)
        before = os.stat(self.final)
        for args in ([], ["--peer", str(self.p2.peer_id)]):
            with self.subTest(args=args):
                result = self.ctl(self.p1, "fetch", "shared.bin", *args)
                self.assertExit(result, 1)
                self.assertIn("exists", result.err)
                self.assertIn("shared.bin", result.err)
                with open(self.final, "rb") as f:
                    self.assertEqual(f.read(), existing)
                after = os.stat(self.final)
                self.assertEqual((after.st_ino, after.st_mtime_ns), (before.st_ino, before.st_mtime_ns))
                self.assertEqual(partial_files(self.p1.download_dir), [])
        self.assertAlive(self.p1)

    # -------------------------------------------------------------- status, shares

    def test_status_text_and_json(self):
        result = self.ctl(self.p2, "status")
        self.assertExit(result, 0)
        self.assertRegex(result.out, r"(?m)^name:\s+p2$")
        self.assertRegex(result.out, rf"(?m)^index:\s+connected as peer {self.p2.peer_id} "
                                     rf"\(127\.0\.0\.1:{self.index.port}\)$")
        self.assertRegex(result.out, rf"(?m)^upload address:\s+127\.0\.0\.1:{self.p2.upload_port}$")
        self.assertRegex(result.out, rf"(?m)^share dirs:\s+{re.escape(str(self.p2.share_dir))}$")
        self.assertRegex(result.out, rf"(?m)^download dir:\s+{re.escape(str(self.p2.download_dir))}$")
        self.assertRegex(result.out, r"(?m)^files shared:\s+2 \(")
        # The share dir and the download dir, each watched by inotify.
        self.assertRegex(result.out, r"(?m)^share watch:\s+inotify, 2 dirs$")

        result = self.ctl(self.p2, "status", "--json")
        self.assertExit(result, 0)
        doc = result.json()
        self.assertEqual(doc["name"], "p2")
        self.assertEqual(doc["index_state"], "connected")
        self.assertEqual(doc["peer_id"], self.p2.peer_id)
        self.assertEqual(doc["share_dirs"], [str(self.p2.share_dir)])
        self.assertEqual(doc["download_dir"], str(self.p2.download_dir))
        self.assertEqual(doc["file_count"], 2)
        self.assertEqual(doc["total_bytes"], len(SHARED) + 2)
        self.assertEqual(doc["upload_address"], f"127.0.0.1:{self.p2.upload_port}")
        self.assertEqual(doc["watch_state"], "inotify")
        self.assertEqual(doc["watched_dirs"], 2)
        self.assertEqual(doc["rescan_interval"], 300)

    def test_status_counts_transfers(self):
        result = self.ctl(self.p1, "fetch", "shared.bin", "--peer", str(self.p3.peer_id))
        self.assertExit(result, 0)
        doc = self.ctl(self.p1, "status", "--json").json()
        self.assertEqual(doc["downloads_done"], 1)
        self.assertEqual(doc["downloads_active"], 0)
        # mine.txt and the download, which joins the share just after FETCH_DONE
        wait_for(lambda: self.ctl(self.p1, "status", "--json").json()["file_count"] == 2,
                 "p1 to share the file it downloaded")
        doc = self.ctl(self.p3, "status", "--json").json()
        self.assertEqual(doc["uploads_done"], 1)

    def test_shares_text_and_json(self):
        result = self.ctl(self.p2, "shares")
        self.assertExit(result, 0)
        lines = result.out.splitlines()
        self.assertRegex(lines[0], r"^NAME\s+SIZE\s+ROOT\s+PATH\s+ID$")
        only2_root = tree_root(b"2\n").hex()[:12]
        self.assertRegex(lines[1], rf"^only2\.txt\s+2 B\s+{only2_root}\s+only2\.txt\s+\d+$")
        self.assertRegex(lines[2], rf"^shared\.bin\s+100\.0 KiB\s+{tree_root(SHARED).hex()[:12]}\s+shared\.bin\s+\d+$")
        self.assertEqual(lines[3], "2 files, 100.0 KiB")

        result = self.ctl(self.p2, "shares", "--json")
        self.assertExit(result, 0)
        doc = result.json()
        self.assertEqual(doc["total"], 2)
        by_name = {f["name"]: f for f in doc["files"]}
        self.assertEqual(set(by_name), {"only2.txt", "shared.bin"})
        self.assertEqual(by_name["shared.bin"]["size"], len(SHARED))
        self.assertEqual(by_name["shared.bin"]["rel_path"], "shared.bin")
        # The ids are what the index lists for this peer.
        status, found = self.search_json(self.p1, "shared.bin", exact=True)
        holder = [h for h in found["files"][0]["holders"] if h["peer_id"] == self.p2.peer_id]
        self.assertEqual(holder[0]["file_id"], by_name["shared.bin"]["file_id"])

    def test_shares_of_an_empty_peer(self):
        empty = self.start_peer("empty", self.index)
        result = self.ctl(empty, "shares")
        self.assertExit(result, 0)
        self.assertEqual(result.out, "no files shared\n")
        result = self.ctl(empty, "shares", "--json")
        self.assertExit(result, 0)
        self.assertEqual(result.json(), {"schema": 1, "command": "shares", "ok": True, "total": 0, "files": []})


if __name__ == "__main__":
    main()
