#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`napctl fetch --output DIR` writes into the caller's directory (issue 12,
item 2). napctl opens DIR with its own rights and passes the descriptor to
napeerd with FETCH (SCM_RIGHTS); napeerd creates the partial file and links
the final name relative to it, and never opens DIR by its path.

Regression: napeerd created its temporary file by path with its own
rights, so a user's directory failed with "Permission denied", and under
the unit (ProtectHome=yes, ProtectSystem=strict) no directory but the
download dir could work. The tests run as root, whose rights open
anything, so the directory napeerd must not be able to reach is arranged
with a mount namespace: napctl runs under unshare(1) where a tmpfs covers
a directory that napeerd sees empty. A path-based napeerd finds no such
directory there; the descriptor reaches it."""

import os
import shutil
import subprocess
import unittest

from harness import (CHANNEL_CONTROL, ERR_MALFORMED, ERROR, NAPCTL, STATUS, STATUS_RESULT, NapsterTestCase,
                     RawClient, can_unshare_mounts, check_no_sanitizer_report, fetch_request, frame, main,
                     parse_error)

ERR_INVALID_ARGUMENT = 8
NOBODY = 65534
UNSHARE = shutil.which("unshare")
SETPRIV = shutil.which("setpriv")
CONTENT = b"the caller's own directory\n" * 100



class OutputDir(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()
        self.holder = self.start_peer("holder", self.index, files={"wanted.bin": CONTENT})
        self.asker = self.start_peer("asker", self.index)

    def napctl(self, *args, prefix=(), env=None):
        argv = [*prefix, NAPCTL, "--socket", self.asker.socket_path, *args]
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, env=env)
        err = proc.stderr.decode(errors="replace")
        check_no_sanitizer_report(self, err, "napctl")
        return proc.returncode, proc.stdout.decode(errors="replace"), err

    @unittest.skipUnless(can_unshare_mounts(), "needs root, unshare(1) and mount namespaces")
    def test_a_directory_napeerd_cannot_reach_by_its_path(self):
        private = self.tmp / "private"
        private.mkdir()
        incoming = private / "incoming"
        # In napctl's namespace a tmpfs covers `private`, holding incoming/;
        # napeerd sees `private` empty. After the fetch, the same shell
        # checks the file where napctl put it.
        script = ('mount -t tmpfs none "$1" && mkdir "$1/incoming" && '
                  '"$2" --socket "$3" fetch wanted.bin --output "$1/incoming" && '
                  'cmp "$1/incoming/wanted.bin" "$4" && ls -A "$1/incoming"')
        argv = [UNSHARE, "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(private), NAPCTL,
                self.asker.socket_path, str(self.holder.share_dir / "wanted.bin")]
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        err = proc.stderr.decode(errors="replace")
        check_no_sanitizer_report(self, err, "napctl")
        self.assertEqual(proc.returncode, 0, err)
        out = proc.stdout.decode()
        # napctl prints the path; ls shows only the file: no partial left.
        self.assertEqual(out.splitlines(), [f"{incoming}/wanted.bin", "wanted.bin"], out)
        # Nothing went to napeerd's view of that path, nor its download dir.
        self.assertEqual(os.listdir(private), [])
        self.assertEqual(os.listdir(self.asker.download_dir), [])
        self.asker.wait_log(r"downloaded wanted\.bin from .* saved as " + str(incoming) + "/wanted.bin$")

    @unittest.skipUnless(os.geteuid() == 0 and SETPRIV, "needs root and setpriv to run napctl as another uid")
    def test_the_man_page_example_for_a_user_who_owns_the_directory(self):
        # napctl(1): napctl fetch file8_3.txt --peer 1 --output ~/incoming,
        # run by a member of napeerd's group into a directory only it may
        # enter (0700, its own).
        home = self.tmp / "home"
        (home / "incoming").mkdir(parents=True)
        os.chown(home, NOBODY, NOBODY)
        os.chown(home / "incoming", NOBODY, NOBODY)
        os.chmod(home / "incoming", 0o700)
        for path in (self.tmp, self.tmp / "asker"):
            os.chmod(path, 0o755)
        os.chmod(self.asker.socket_path, 0o660)
        env = {k: v for k, v in os.environ.items() if k != "NAPSTER_SOCKET"}
        env["HOME"] = str(home)
        status, out, err = self.napctl("fetch", "wanted.bin", "--peer", str(self.holder.peer_id), "--output",
                                       str(home / "incoming"), env=env,
                                       prefix=(SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}",
                                               f"--groups={os.getegid()}"))
        self.assertEqual(status, 0, err)
        self.assertEqual(out, f"{home}/incoming/wanted.bin\n")
        self.assertEqual((home / "incoming" / "wanted.bin").read_bytes(), CONTENT)

    def test_an_output_dir_napctl_cannot_open_is_its_error(self):
        status, out, err = self.napctl("fetch", "wanted.bin", "--output", str(self.tmp / "missing"))
        self.assertEqual(status, 1, err)
        self.assertEqual(err, f"napctl: cannot open the output directory {self.tmp}/missing: "
                              "No such file or directory\n")
        (self.tmp / "plain").write_bytes(b"x")
        status, out, err = self.napctl("fetch", "wanted.bin", "--output", str(self.tmp / "plain"))
        self.assertEqual(status, 1, err)
        self.assertIn("Not a directory", err)

    # ------------------------------------------------ the descriptor on the wire

    def raw_fetch(self, fds, output_dir=b"/somewhere", output_fd=True):
        with RawClient(self.asker.socket_path) as client:
            client.handshake(CHANNEL_CONTROL)
            client.send_with_fds(fetch_request(b"wanted.bin", output_dir=output_dir, output_fd=output_fd), fds)
            reply = client.read_frame()
            self.assertIsNotNone(reply, "closed without a reply")
            self.assertEqual(reply[0], ERROR, reply)
            self.assertEqual(client.wait_closed(), b"")
            return parse_error(reply[1])

    def test_a_fetch_that_says_it_carries_a_descriptor_but_has_none(self):
        code, text = self.raw_fetch([])
        self.assertEqual(code, ERR_MALFORMED)
        self.assertIn("descriptor comes with it, but none came", text)

    def test_a_path_without_its_descriptor_is_refused(self):
        self.asker.download_dir.mkdir(exist_ok=True)
        fd = os.open(self.asker.download_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            code, text = self.raw_fetch([fd], output_fd=False)
        finally:
            os.close(fd)
        self.assertEqual(code, ERR_MALFORMED)
        self.assertIn("output dir is named but the output fd flag is 0", text)

    def test_the_descriptor_must_be_a_directory_and_come_alone(self):
        plain = self.tmp / "plain"
        plain.write_bytes(b"x")
        fd = os.open(plain, os.O_RDONLY)
        dir_fd = os.open(self.tmp, os.O_RDONLY | os.O_DIRECTORY)
        try:
            code, text = self.raw_fetch([fd])
            self.assertEqual(code, ERR_INVALID_ARGUMENT)
            self.assertIn("the descriptor sent with FETCH for /somewhere is not a directory", text)
            code, text = self.raw_fetch([dir_fd, dir_fd])
            self.assertEqual(code, ERR_MALFORMED)
            self.assertIn("FETCH came with 2 descriptors; it takes one", text)
        finally:
            os.close(fd)
            os.close(dir_fd)
        self.assertFalse(self.napeerd_holds(plain))
        self.assertAlive(self.index, self.holder, self.asker)

    def napeerd_holds(self, path):
        fd_dir = f"/proc/{self.asker.proc.pid}/fd"
        held = []
        for name in os.listdir(fd_dir):
            try:
                held.append(os.readlink(os.path.join(fd_dir, name)))
            except OSError:
                pass
        return str(path) in held

    def test_a_stray_descriptor_on_another_request_is_closed(self):
        stray = self.tmp / "stray"
        stray.write_bytes(b"x")
        fd = os.open(stray, os.O_RDONLY)
        try:
            with RawClient(self.asker.socket_path) as client:
                client.handshake(CHANNEL_CONTROL)
                client.send_with_fds(frame(STATUS, b""), [fd])
                reply = client.read_frame()
                self.assertEqual(reply[0], STATUS_RESULT, reply)
                # Answered after the descriptor was dropped, on the loop
                # thread, in the same turn.
                self.assertFalse(self.napeerd_holds(stray))
        finally:
            os.close(fd)


if __name__ == "__main__":
    main()
