#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Which control socket napctl tries (issue 12, item 1). A user other than
root without --socket or $NAPSTER_SOCKET tries its own napeerd's socket,
then the system daemon's /run/napster/napeerd.sock; when none answers the
error names every path and what it answered, on one line, exit 3.

Regression: napctl tried only $XDG_RUNTIME_DIR/napster/napeerd.sock, so a
member of the napster group never reached the system daemon.

napctl runs as nobody through setpriv(1) (the tests run as root, and root
tries only the system socket). The fallback itself needs a napeerd at
/run/napster/napeerd.sock, which a test must not create on the machine:
napctl runs in a mount namespace of its own (unshare(1)) where a tmpfs
covers /run and the test peer's socket is bind-mounted at that path."""

import os
import shutil
import subprocess
import unittest

from harness import NAPCTL, NapsterTestCase, can_unshare_mounts, check_no_sanitizer_report, main

NOBODY = 65534
SETPRIV = shutil.which("setpriv")
UNSHARE = shutil.which("unshare")
SYSTEM_SOCKET = "/run/napster/napeerd.sock"



@unittest.skipUnless(os.geteuid() == 0 and SETPRIV, "needs root and setpriv to run napctl as another uid")
class SocketFallback(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.runtime_dir = self.tmp / "runtime"  # an empty XDG_RUNTIME_DIR
        self.runtime_dir.mkdir()
        os.chmod(self.tmp, 0o755)
        os.chmod(self.runtime_dir, 0o755)

    def env(self):
        env = {k: v for k, v in os.environ.items() if k != "NAPSTER_SOCKET"}
        env["XDG_RUNTIME_DIR"] = str(self.runtime_dir)
        return env

    def napctl_as_nobody(self, *args, prefix=(), groups=None):
        argv = [*prefix, SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}"]
        argv += [f"--groups={','.join(str(g) for g in groups)}"] if groups else ["--clear-groups"]
        argv += [NAPCTL, *args]
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=self.env(), timeout=60)
        err = proc.stderr.decode(errors="replace")
        check_no_sanitizer_report(self, err, "napctl")
        return proc.returncode, proc.stdout.decode(errors="replace"), err

    def test_no_napeerd_anywhere_names_both_paths(self):
        status, out, err = self.napctl_as_nobody("status")
        self.assertEqual(status, 3, err)
        own = f"{self.runtime_dir}/napster/napeerd.sock"
        self.assertRegex(err, rf"^napctl: cannot reach napeerd: tried {own} \(No such file or directory\), "
                              rf"{SYSTEM_SOCKET} \([^)]+\)\n$")

    def test_an_explicit_socket_is_tried_alone(self):
        missing = str(self.tmp / "missing.sock")
        status, out, err = self.napctl_as_nobody("--socket", missing, "status")
        self.assertEqual(status, 3, err)
        self.assertEqual(err, f"napctl: cannot reach napeerd at {missing}: No such file or directory\n")
        env = dict(self.env(), NAPSTER_SOCKET=missing)
        proc = subprocess.run([SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", NAPCTL,
                               "status"], stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=60)
        self.assertEqual(proc.returncode, 3)
        self.assertEqual(proc.stderr.decode(), f"napctl: cannot reach napeerd at {missing}: No such file or directory\n")

    @unittest.skipUnless(can_unshare_mounts(), "needs unshare(1) and mount namespaces to fake /run/napster")
    def test_a_group_member_without_a_socket_of_its_own_reaches_the_system_daemon(self):
        index = self.start_index()
        peer = self.start_peer("system", index, files={"a.txt": b"a"})
        for path in (self.tmp / "system",):
            os.chmod(path, 0o755)
        # The unit makes the socket 0660 and group napster; here root's
        # group stands for it, and nobody is made a member.
        os.chmod(peer.socket_path, 0o660)
        setup = (f"mount -t tmpfs -o mode=0755 none /run && mkdir -m 0755 /run/napster && "
                 f"touch {SYSTEM_SOCKET} && mount --bind \"$0\" {SYSTEM_SOCKET} && exec \"$@\"")
        prefix = (UNSHARE, "--mount", "--propagation", "private", "sh", "-c", setup, peer.socket_path)
        status, out, err = self.napctl_as_nobody("status", prefix=prefix, groups=[os.getegid()])
        self.assertEqual(status, 0, err)
        self.assertIn("system", out)
        # Not a member of napeerd's group: the system daemon's refusal is
        # the answer, named with the socket before it.
        status, out, err = self.napctl_as_nobody("status", prefix=prefix)
        self.assertEqual(status, 3, err)
        own = f"{self.runtime_dir}/napster/napeerd.sock"
        self.assertRegex(err, rf"^napctl: cannot reach napeerd: tried {own} \(No such file or directory\), "
                              rf"{SYSTEM_SOCKET} \(Permission denied\)\n$")
        self.assertAlive(index, peer)


if __name__ == "__main__":
    main()
