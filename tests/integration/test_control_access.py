#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Who may drive napeerd over its control socket: root, its own user and
members of its group, by the kernel's record of the caller (SO_PEERCRED
and SO_PEERGROUPS, never /proc). A refused caller gets ERROR
permission_denied after its HELLO, so napctl says the same thing with the
same exit status every time (regression: the ERROR came before HELLO and
napctl exited 3 in one run and 1 in others).

Needs root, to run napctl as another uid through setpriv(1); skipped
otherwise."""

import os
import shutil
import socket
import subprocess
import unittest

from harness import (CHANNEL_CONTROL, ERR_PERMISSION, ERROR, NAPCTL, NapsterTestCase, hello, main,
                     parse_error)

OTHER_UID = 65534  # nobody
SETPRIV = shutil.which("setpriv")


@unittest.skipUnless(os.geteuid() == 0 and SETPRIV, "needs root and setpriv to call as another uid")
class ControlAccess(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()
        self.peer = self.start_peer("p1", self.index, files={"a.txt": b"a"})
        # Let anyone reach the socket, so that napeerd's own check is what
        # refuses (the unit's 0660 mode and group normally come first).
        for path in (self.tmp, self.tmp / "p1"):
            os.chmod(path, 0o755)
        os.chmod(self.peer.socket_path, 0o666)

    def ctl_as(self, uid, *args, groups=None):
        """napctl run as `uid` (and gid), with only `groups` besides."""
        argv = [SETPRIV, f"--reuid={uid}", f"--regid={uid}"]
        argv += [f"--groups={','.join(str(g) for g in groups)}"] if groups else ["--clear-groups"]
        argv += [NAPCTL, "--socket", self.peer.socket_path, *args]
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)
        return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")

    def test_another_uid_is_refused_the_same_way_every_time(self):
        outcomes = set()
        for _ in range(8):
            status, out, err = self.ctl_as(OTHER_UID, "status")
            outcomes.add((status, err))
        self.assertEqual(len(outcomes), 1, outcomes)
        status, err = outcomes.pop()
        self.assertEqual(status, 3, err)
        self.assertIn(f"cannot reach napeerd at {self.peer.socket_path}: permission denied: "
                      f"napeerd runs as uid {os.geteuid()}", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.peer.wait_log(rf"refused control connection from uid {OTHER_UID}$")
        # Everyone else is still served at once.
        self.assertEqual(self.ctl(self.peer, "status").returncode, 0)
        self.assertAlive(self.index, self.peer)

    def test_a_member_of_napeerds_group_by_supplementary_group_is_let_in(self):
        # Only SO_PEERGROUPS carries a supplementary group; the primary
        # group (SO_PEERCRED) is nobody's here.
        status, out, err = self.ctl_as(OTHER_UID, "status", groups=[os.getegid()])
        self.assertEqual(status, 0, err)
        self.assertIn("p1", out)

    def test_the_refusal_follows_hello_on_the_wire(self):
        # The accepting side sends nothing before HELLO, even to a caller it
        # will refuse: a raw client of another uid reads nothing until it
        # has sent HELLO, then ERROR permission_denied.
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child drops to nobody and reports what it saw
            try:
                os.close(r)
                os.setgroups([])
                os.setgid(OTHER_UID)
                os.setuid(OTHER_UID)
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(5)
                sock.connect(self.peer.socket_path)
                sock.settimeout(0.3)
                try:
                    early = sock.recv(1)
                except socket.timeout:
                    early = b""
                sock.settimeout(5)
                sock.sendall(hello(CHANNEL_CONTROL))
                reply = b""
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
                os.write(w, (b"E" if early else b"-") + reply)
            finally:
                os._exit(0)
        os.close(w)
        data = b""
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                break
            data += chunk
        os.close(r)
        os.waitpid(pid, 0)
        self.assertEqual(data[:1], b"-", "napeerd sent something before HELLO")
        reply = data[1:]
        self.assertGreaterEqual(len(reply), 6)
        length = int.from_bytes(reply[:4], "big")
        msg_type = int.from_bytes(reply[4:6], "big")
        self.assertEqual(msg_type, ERROR)
        code, text = parse_error(reply[6:4 + length])
        self.assertEqual(code, ERR_PERMISSION)
        self.assertIn("permission denied", text)


if __name__ == "__main__":
    main()
