# SPDX-License-Identifier: MIT
"""Helpers for the systemd tests: a stand-in for systemd's notify socket, the
daemons started on 127.0.0.1 with port 0 in a temporary dir, and polling with
a deadline (never fixed sleeps)."""

import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

DEADLINE = 15.0  # seconds any one expected event may take


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def binary(name):
    """NAPINDEXD, NAPEERD, NAPCTL: set by tests/systemd/meson.build."""
    path = os.environ.get(name)
    if not path or not os.access(path, os.X_OK):
        fail(f"${name} does not name an executable ({path!r})")
    return path


class NotifyReceiver:
    """A datagram socket where daemons send sd_notify messages, as systemd's
    would be. `address` is a path or "@abstract". Each datagram is kept with
    the sender's pid (SO_PASSCRED), as systemd checks NotifyAccess=main."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.messages = []  # (pid, [lines])
        self.cond = threading.Condition()
        threading.Thread(target=self._receive, daemon=True).start()

    def _receive(self):
        size = struct.calcsize("3i")
        while True:
            try:
                data, ancillary, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(size))
            except OSError:
                return
            pid = None
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:size])[0]
            with self.cond:
                self.messages.append((pid, data.decode("utf-8", "replace").split("\n")))
                self.cond.notify_all()

    def wait_for(self, what, predicate, timeout=DEADLINE):
        """Waits until predicate(messages) is true; fails naming `what`."""
        end = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.messages):
                left = end - time.monotonic()
                if left <= 0:
                    fail(f"{self.address}: no {what} within {timeout:.0f} s; got {self.messages}")
                self.cond.wait(left)
            return list(self.messages)

    def snapshot(self):
        with self.cond:
            return list(self.messages)

    def close(self):
        self.sock.close()


class Daemon:
    """One daemon process; its stderr lines are collected for wait_log()."""

    def __init__(self, name, argv, env, pass_fds=()):
        self.name = name
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, pass_fds=pass_fds)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stderr:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # end of output
            self.cond.notify_all()

    @property
    def pid(self):
        return self.proc.pid

    def wait_log(self, pattern, timeout=DEADLINE):
        """The first match of `pattern` in the log; fails if none comes."""
        regex = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if line is not None and (m := regex.search(line)):
                        return m
                if self.lines and self.lines[-1] is None:
                    fail(f"{self.name} exited (status {self.proc.wait()}) before logging /{pattern}/:\n"
                         + self.log_text())
                left = end - time.monotonic()
                if left <= 0:
                    fail(f"{self.name} did not log /{pattern}/ within {timeout:.0f} s:\n" + self.log_text())
                self.cond.wait(left)

    def log_text(self):
        with self.cond:
            return "\n".join(f"  | {l}" for l in self.lines if l is not None)

    def signal(self, number):
        self.proc.send_signal(number)

    def wait_exit(self, timeout=DEADLINE):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail(f"{self.name} did not exit within {timeout:.0f} s:\n" + self.log_text())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def clean_env(**extra):
    """The environment for a daemon: ours without any systemd variables that
    the test runner itself may have been given, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID", "LISTEN_FDS",
                        "LISTEN_FDNAMES", "JOURNAL_STREAM")}
    env.update(extra)
    return env


def write_index_config(path, port=0):
    with open(path, "w") as f:
        f.write(f'[listen]\naddress = "127.0.0.1"\nport = {port}\n\n[log]\nlevel = "debug"\n')


def write_peer_config(path, tmp, name, index_port):
    share = os.path.join(tmp, f"{name}-share")
    os.makedirs(share, exist_ok=True)
    for i in range(3):
        with open(os.path.join(share, f"file{i}_{name}.txt"), "w") as f:
            f.write(f"file {i} of {name}\n")
    with open(path, "w") as f:
        f.write(f'name = "{name}"\n\n'
                f'[index]\naddress = "127.0.0.1"\nport = {index_port}\n\n'
                f'[upload]\naddress = "127.0.0.1"\nport = 0\n\n'
                f'[share]\ndirs = ["{share}"]\ndownload_dir = "{os.path.join(tmp, name + "-downloads")}"\n\n'
                f'[control]\nsocket = "{os.path.join(tmp, name + "-control", "napeerd.sock")}"\n\n'
                f'[log]\nlevel = "debug"\n')
    return os.path.join(tmp, name + "-control", "napeerd.sock")


LISTEN_RE = r"listening on 127\.0\.0\.1:(\d+)"
