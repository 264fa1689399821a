# SPDX-License-Identifier: MIT
"""Managing transfers: transfer ids, napctl transfers, cancel, fetch
--background and wait, watch, Ctrl-C in a foreground fetch, and the progress
display on a pseudo-terminal (percent, rate, ETA, sources, syncing, the
summary that stays; no control sequences with TERM=dumb; -q).

Transfers are made slow enough to observe with the holder's
upload.rate_limit (as test_rate_limits does): 8 MiB at 1 MiB/s take about
8 s, and every step waits for what it needs to see (bytes done, a line on
the terminal), never for a fixed time.
"""

import json
import os
import pty
import re
import select
import signal
import subprocess
import time

from harness import DEADLINE, NAPCTL, NapsterTestCase, check_no_sanitizer_report, content, main, wait_for

MIB = 1024 * 1024
RATE = 1 * MIB
BIG = content("transfers: big.bin", 8 * MIB)
SMALL = content("transfers: small.bin", 3 * MIB)


class Terminal:
    """napctl with stdin, stdout and stderr on one pseudo-terminal."""

    def __init__(self, argv, term="xterm"):
        self.master, slave = pty.openpty()
        env = dict(os.environ)
        env.pop("NAPSTER_SOCKET", None)
        env["TERM"] = term
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.screen = b""

    def _read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return None
        try:
            return os.read(self.master, 4096)
        except OSError:  # EIO: napctl exited and the terminal closed
            return b""

    def read_until(self, pattern, timeout=None):
        regex = re.compile(pattern)
        deadline = time.monotonic() + (timeout or 3 * DEADLINE)
        while not regex.search(self.screen):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the terminal never showed {pattern!r}; it shows:\n{self.screen!r}")
            chunk = self._read(left)
            if chunk == b"":
                raise AssertionError(f"napctl exited ({self.proc.poll()}) before showing {pattern!r}; "
                                     f"it showed:\n{self.screen!r}")
            if chunk:
                self.screen += chunk
        return self.screen

    def finish(self):
        """Reads until napctl has exited and closed the terminal; its status."""
        deadline = time.monotonic() + 6 * DEADLINE
        while time.monotonic() < deadline:
            chunk = self._read(deadline - time.monotonic())
            if not chunk:
                break
            self.screen += chunk
        status = self.proc.wait(DEADLINE)
        os.close(self.master)
        return status

    def text(self):
        return self.screen.decode(errors="replace")


class SlowHolder(NapsterTestCase):
    """An index, a holder of `files` sending at RATE, and a downloader."""

    files = {"small.bin": SMALL}

    def setUp(self):
        super().setUp()
        self.index = self.start_index()
        self.holder = self.start_peer("holder", self.index, self.files,
                                      extra_sections={"upload": {"rate_limit": RATE}})
        self.downloader = self.start_peer("downloader", self.index)
        first = next(iter(self.files))
        wait_for(lambda: self.holders_of(self.downloader, first) == {self.holder.peer_id},
                 "the index to list the holder")


class Transfers(SlowHolder):
    files = {"big.bin": BIG, "small.bin": SMALL}

    def setUp(self):
        super().setUp()
        self.final = self.downloader.download_dir / "big.bin"

    def transfers(self, peer):
        result = self.ctl(peer, "transfers", "--json")
        self.assertExit(result, 0)
        return result.json()["transfers"]

    def transfer(self, peer, transfer_id):
        found = [t for t in self.transfers(peer) if t["id"] == transfer_id]
        return found[0] if found else None

    def background_fetch(self, name="big.bin"):
        result = self.ctl(self.downloader, "fetch", "--background", name)
        self.assertExit(result, 0)
        self.assertRegex(result.out, r"^\d+\n$")
        transfer_id = int(result.out)
        self.assertEqual(result.err, f"fetching {name} as transfer {transfer_id}; napctl wait {transfer_id} "
                                     f"follows it, napctl cancel {transfer_id} stops it\n")
        return transfer_id

    def wait_bytes(self, peer, transfer_id, at_least):
        def far_enough():
            t = self.transfer(peer, transfer_id)
            return t if t and t["bytes_done"] >= at_least and t["state"] == "transferring" else None
        wait_for(far_enough, f"transfer {transfer_id} to pass {at_least} bytes", timeout=3 * DEADLINE)
        return self.transfer(peer, transfer_id)

    def test_background_fetch_is_listed_on_both_sides_then_waited_for(self):
        transfer_id = self.background_fetch()
        t = self.wait_bytes(self.downloader, transfer_id, 2 * MIB)
        self.assertEqual(t["direction"], "download")
        self.assertEqual(t["name"], "big.bin")
        self.assertEqual(t["bytes_total"], len(BIG))
        self.assertEqual(t["peers"], [{"peer_id": self.holder.peer_id, "peer_name": "holder"}])
        self.assertIsNone(t["error"])
        # The rate is the holder's limit, give or take; the ETA follows from it.
        self.assertGreater(t["rate"], RATE // 2)
        self.assertLess(t["rate"], 2 * RATE)
        self.assertIsNotNone(t["eta_seconds"])
        self.assertLessEqual(t["eta_seconds"], 2 * (len(BIG) - t["bytes_done"]) // RATE + 1)
        self.assertEqual(t["percent"], t["bytes_done"] * 100 // len(BIG))

        uploads = [u for u in self.transfers(self.holder) if u["direction"] == "upload"]
        self.assertEqual(len(uploads), 1, uploads)
        self.assertEqual(uploads[0]["name"], "big.bin")
        self.assertEqual(uploads[0]["state"], "transferring")
        self.assertEqual(uploads[0]["peers"], [{"peer_id": self.downloader.peer_id, "peer_name": "downloader"}])

        text = self.ctl(self.downloader, "transfers")
        self.assertExit(text, 0)
        self.assertRegex(text.out, r"^ID +DIR +STATE +DONE +% +RATE +ETA +PEERS +NAME\n")
        self.assertRegex(text.out, rf"\n *{transfer_id} +down +transferring +[\d.]+ MiB of 8\.0 MiB +\d+% +"
                                   rf"[\d.]+ (KiB|MiB)/s +\d+ s +holder +big\.bin\n")

        waited = self.ctl(self.downloader, "wait", str(transfer_id))
        self.assertExit(waited, 0)
        self.assertEqual(waited.out, f"{self.final}\n")
        self.assertRegex(waited.err, r"^8\.0 MiB in (\d+(\.\d)? s|\d+ ms) \([\d.]+ (KiB|MiB)/s\), verified [0-9a-f]{12}\n$")
        self.assertEqual(self.final.read_bytes(), BIG)
        done = self.transfer(self.downloader, transfer_id)
        self.assertEqual(done["state"], "done")
        self.assertEqual(done["rate"], 0)
        self.assertIsNone(done["eta_seconds"])
        wait_for(lambda: self.transfer(self.holder, uploads[0]["id"])["state"] == "done", "the upload to end")

        # An ended download is answered at once, as it ended.
        again = self.ctl(self.downloader, "wait", str(transfer_id), "--json")
        self.assertExit(again, 0)
        self.assertEqual(again.json()["path"], str(self.final))
        self.assertTrue(again.json()["verified"])
        self.assertAlive(self.holder, self.downloader)

    def test_cancel_keeps_the_verified_part_and_a_fetch_resumes_it(self):
        transfer_id = self.background_fetch()
        follower = subprocess.Popen([NAPCTL, "--socket", self.downloader.socket_path, "wait", str(transfer_id)],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: follower.poll() is None and follower.kill())
        self.wait_bytes(self.downloader, transfer_id, 3 * MIB)

        cancelled = self.ctl(self.downloader, "cancel", str(transfer_id))
        self.assertExit(cancelled, 0)
        self.assertEqual(cancelled.out, f"cancelled download {transfer_id} (big.bin)\n")
        # Whoever follows it hears why it ended.
        out, err = follower.communicate(timeout=6 * DEADLINE)
        check_no_sanitizer_report(self, err.decode(errors="replace"), "napctl")
        self.assertEqual(follower.returncode, 1, err)
        self.assertEqual(out, b"")
        self.assertRegex(err.decode(), rf"^napctl: the download of big\.bin was cancelled with napctl cancel "
                                       rf"{transfer_id}; [\d,]+ of 8,388,608 bytes are verified and kept to resume\n$")
        wait_for(lambda: self.transfer(self.downloader, transfer_id)["state"] == "cancelled", "the cancel")
        t = self.transfer(self.downloader, transfer_id)
        self.assertIn(f"cancelled with napctl cancel {transfer_id}", t["error"])
        self.assertEqual(t["peers"], [])
        self.assertFalse(self.final.exists())
        # The holder sees its upload end.
        wait_for(lambda: all(u["state"] != "transferring" for u in self.transfers(self.holder)),
                 "the upload to end at the holder")

        # Errors: ended, unknown, not a number.
        ended = self.ctl(self.downloader, "cancel", str(transfer_id))
        self.assertExit(ended, 1)
        self.assertEqual(ended.err, f"napctl: transfer {transfer_id} (big.bin) has already ended: cancelled\n")
        unknown = self.ctl(self.downloader, "cancel", "999")
        self.assertExit(unknown, 1)
        self.assertEqual(unknown.err, "napctl: no transfer 999 (napctl transfers lists them)\n")
        self.assertExit(self.ctl(self.downloader, "cancel", "0"), 2)
        self.assertExit(self.ctl(self.downloader, "wait", "x1"), 2)
        self.assertExit(self.ctl(self.downloader, "wait", "999"), 1)

        # The next fetch goes on from the verified blocks, under a new id.
        mark = self.downloader.mark()
        again = self.ctl(self.downloader, "fetch", "big.bin", "--json")
        self.assertExit(again, 0)
        self.downloader.wait_log(r"big\.bin: [1-7] blocks? of 8 blocks verified by an earlier fetch; "
                                 r"they are checked again$", since=mark)
        self.assertEqual(self.final.read_bytes(), BIG)
        ids = [t["id"] for t in self.transfers(self.downloader)]
        self.assertEqual(sorted(ids), [transfer_id, transfer_id + 1])
        self.assertAlive(self.holder, self.downloader)

    def test_cancel_of_an_upload_closes_its_connection(self):
        fetch = self.start_fetch(self.downloader, "big.bin")

        def running_upload():
            ups = [u for u in self.transfers(self.holder) if u["state"] == "transferring" and u["bytes_done"] > 0]
            return ups[0] if ups else None
        wait_for(running_upload, "the upload to start", timeout=3 * DEADLINE)
        upload = running_upload()
        self.assertEqual(upload["direction"], "upload")
        result = self.ctl(self.holder, "cancel", str(upload["id"]), "--json")
        self.assertExit(result, 0)
        self.assertEqual(result.json(), {"schema": 1, "command": "cancel", "ok": True, "transfer_id": upload["id"], "direction": "upload", "name": "big.bin"})
        self.holder.wait_log(rf"upload of big\.bin to peer {self.downloader.peer_id} \(downloader\) at .*: "
                             rf"\d+ of {len(BIG)} bytes sent, cancelled with napctl cancel {upload['id']}$")
        wait_for(lambda: self.transfer(self.holder, upload["id"])["state"] == "cancelled", "the upload to end")
        # The one holder is gone for this download: it fails, and says so.
        out, err = fetch.communicate(timeout=6 * DEADLINE)
        self.assertEqual(fetch.returncode, 1, err)
        self.assertIn(b"could not fetch big.bin", err)
        self.assertAlive(self.holder, self.downloader)

    def test_ctrl_c_leaves_the_download_running_and_says_how_to_cancel_it(self):
        session = Terminal([NAPCTL, "--socket", self.downloader.socket_path, "fetch", "big.bin"])
        self.addCleanup(lambda: session.proc.poll() is None and session.proc.kill())
        session.read_until(rb"big\.bin +\d+%  [\d.]+ (B|KiB|MiB) of 8\.0 MiB  [\d.]+ (B|KiB|MiB)/s  ETA ")
        transfers = self.transfers(self.downloader)
        self.assertEqual(len(transfers), 1)
        transfer_id = transfers[0]["id"]
        os.kill(session.proc.pid, signal.SIGINT)
        status = session.finish()
        self.assertEqual(status, 130, session.text())
        self.assertTrue(session.text().replace("\r\n", "\n").endswith(
            f"\r\x1b[Knapctl: stopped following transfer {transfer_id}; it goes on in napeerd: "
            f"napctl cancel {transfer_id} stops it, napctl wait {transfer_id} follows it\n"), session.text())
        self.assertNotIn("?", session.text())  # nothing was asked
        # napeerd goes on without its napctl, to the end.
        self.downloader.wait_log(r"downloaded big\.bin from peer \d+ \(holder\): ", timeout=6 * DEADLINE)
        self.assertEqual(self.final.read_bytes(), BIG)
        self.assertEqual(self.transfer(self.downloader, transfer_id)["state"], "done")
        self.assertAlive(self.holder, self.downloader)

    def running_download(self):
        found = [t for t in self.transfers(self.downloader) if t["state"] == "transferring" and t["bytes_done"] > 0]
        return found[0] if found else None

    def one_error_document(self, fetch, status, code):
        out, err = fetch.communicate(timeout=6 * DEADLINE)
        check_no_sanitizer_report(self, err.decode(errors="replace"), "napctl")
        self.assertEqual(fetch.returncode, status, (out, err))
        self.assertEqual(out.count(b"\n"), 1, out)
        doc = json.loads(out)
        self.assertEqual((doc["schema"], doc["command"], doc["ok"]), (1, "fetch", False), doc)
        self.assertEqual(doc["error"]["code"], code, doc)
        return doc

    def test_json_fetch_interrupted_gives_the_id_to_cancel(self):
        fetch = self.start_fetch(self.downloader, "--json", "big.bin")
        wait_for(self.running_download, "the download to start", timeout=3 * DEADLINE)
        transfer_id = self.running_download()["id"]
        fetch.send_signal(signal.SIGINT)
        doc = self.one_error_document(fetch, 130, "interrupted")
        self.assertEqual(doc["transfer_id"], transfer_id)
        self.assertIn(f"napctl cancel {transfer_id}", doc["error"]["message"])
        # The download goes on without its napctl, as without --json.
        self.downloader.wait_log(r"downloaded big\.bin from peer \d+ \(holder\): ", timeout=6 * DEADLINE)
        self.assertEqual(self.final.read_bytes(), BIG)

    def test_json_fetch_cancelled_mid_transfer_is_one_error_document(self):
        fetch = self.start_fetch(self.downloader, "--json", "big.bin")
        wait_for(self.running_download, "the download to start", timeout=3 * DEADLINE)
        transfer_id = self.running_download()["id"]
        self.assertExit(self.ctl(self.downloader, "cancel", str(transfer_id)), 0)
        doc = self.one_error_document(fetch, 1, "cancelled")
        self.assertIn(f"napctl cancel {transfer_id}", doc["error"]["message"])
        self.assertFalse(self.final.exists())
        self.assertAlive(self.holder, self.downloader)


class JsonLines:
    """A process's stdout read one JSON line at a time, with a deadline."""

    def __init__(self, proc):
        self.proc = proc
        self.buffer = b""
        self.lines = []

    def next(self):
        deadline = time.monotonic() + 3 * DEADLINE
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no JSON line within {3 * DEADLINE} s; got {self.lines!r}")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"napctl watch exited ({self.proc.wait()}): "
                                         f"{self.proc.stderr.read()!r}")
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        self.lines.append(line)
        return json.loads(line)

    def until(self, predicate, what):
        while True:
            doc = self.next()
            if predicate(doc):
                return doc


class Watch(SlowHolder):
    def test_watch_json_prints_one_object_per_change(self):
        proc = subprocess.Popen([NAPCTL, "--socket", self.downloader.socket_path, "watch", "--json"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.communicate()))
        lines = JsonLines(proc)
        first = lines.next()
        self.assertEqual(first["index"]["state"], "connected")
        self.assertEqual(first["index"]["peer_id"], self.downloader.peer_id)
        self.assertIsNone(first["index"]["last_error"])
        self.assertEqual(first["transfers"], [])
        transfer_id = int(self.ctl(self.downloader, "fetch", "--background", "-q", "small.bin").out)

        def state_of(doc):
            found = [t for t in doc["transfers"] if t["id"] == transfer_id]
            return found[0]["state"] if found else None
        moving = lines.until(lambda d: state_of(d) == "transferring" and d["transfers"][0]["bytes_done"] > 0,
                             "the download to move")
        self.assertEqual(moving["transfers"][0]["peers"][0]["peer_name"], "holder")
        lines.until(lambda d: state_of(d) == "done", "the download to end")
        # One object a change: never the same twice in a row.
        for a, b in zip(lines.lines, lines.lines[1:]):
            self.assertNotEqual(a, b)
        # A 3 s download sampled at most twice a second, plus its changes of state.
        self.assertLess(len(lines.lines), 40, lines.lines)
        proc.kill()
        proc.communicate()
        self.assertAlive(self.holder, self.downloader)

    def test_watch_redraws_in_place_on_a_terminal(self):
        session = Terminal([NAPCTL, "--socket", self.downloader.socket_path, "watch"])
        self.addCleanup(lambda: session.proc.poll() is None and session.proc.kill())
        session.read_until(rb"\x1b\[H\x1b\[2Jindex: connected as peer \d+ \(127\.0\.0\.1:\d+\)\r?\n"
                           rb"no transfers\r?\n")
        self.ctl(self.downloader, "fetch", "--background", "small.bin")
        session.read_until(rb"\x1b\[H\x1b\[2Jindex: connected[^\n]*\n+ID +DIR +STATE[^\n]*\n *1 +down +"
                           rb"(connecting|transferring) ")
        session.proc.send_signal(signal.SIGINT)
        self.assertEqual(session.finish(), -signal.SIGINT)
        self.assertAlive(self.holder, self.downloader)


class ProgressDisplay(SlowHolder):
    def setUp(self):
        super().setUp()
        self.final = str(self.downloader.download_dir / "small.bin")

    def fetch_on_terminal(self, *args, term="xterm"):
        session = Terminal([NAPCTL, "--socket", self.downloader.socket_path, "fetch", "small.bin", *args], term)
        self.addCleanup(lambda: session.proc.poll() is None and session.proc.kill())
        return session

    def test_the_line_shows_rate_eta_sources_then_syncing_and_a_summary_stays(self):
        session = self.fetch_on_terminal()
        session.read_until(rb"\r\x1b\[Ksmall\.bin +\d+%  [\d.]+ (B|KiB|MiB) of 3\.0 MiB  [\d.]+ (B|KiB|MiB)/s  "
                           rb"ETA \d+ s  from holder")
        status = session.finish()
        text = session.text()
        self.assertEqual(status, 0, text)
        check_no_sanitizer_report(self, text, "napctl")
        # napeerd said it was syncing, and napctl showed it.
        self.assertRegex(text, r"\r\x1b\[Ksmall\.bin  100%  3\.0 MiB of 3\.0 MiB  syncing")
        # The line gives way to the path (stdout) and the summary, which stays.
        self.assertRegex(text, r"syncing\r\x1b\[K" + re.escape(self.final) + r"\r?\n3\.0 MiB in \d+(\.\d)? s "
                               r"\([\d.]+ (KiB|MiB)/s\), verified [0-9a-f]{12}\r?\n$")
        # Every redraw fits an 80-column terminal.
        for line in re.split(r"\r\x1b\[K|\r?\n", text):
            self.assertLessEqual(len(line), 79, line)

    def test_no_control_sequences_with_term_dumb(self):
        session = self.fetch_on_terminal(term="dumb")
        status = session.finish()
        text = session.text()
        self.assertEqual(status, 0, text)
        self.assertNotIn("\x1b", text)
        self.assertNotIn("\r\x1b", text)
        self.assertRegex(text, r"^" + re.escape(self.final) + r"\r?\n3\.0 MiB in \d+(\.\d)? s "
                               r"\([\d.]+ (KiB|MiB)/s\), verified [0-9a-f]{12}\r?\n$")

    def test_quiet_shows_the_path_only(self):
        session = self.fetch_on_terminal("-q")
        status = session.finish()
        self.assertEqual(status, 0, session.text())
        self.assertEqual(session.text().replace("\r\n", "\n"), self.final + "\n")

    def test_without_a_terminal_only_the_summary(self):
        result = self.ctl(self.downloader, "fetch", "small.bin", "--quiet")
        self.assertExit(result, 0)
        self.assertEqual(result.out, self.final + "\n")
        self.assertEqual(result.err, "")
        os.unlink(self.final)
        result = self.ctl(self.downloader, "fetch", "small.bin")
        self.assertExit(result, 0)
        self.assertRegex(result.err, r"^3\.0 MiB in (\d+(\.\d)? s|\d+ ms) \([\d.]+ (KiB|MiB)/s\), verified [0-9a-f]{12}\n$")


if __name__ == "__main__":
    main()
