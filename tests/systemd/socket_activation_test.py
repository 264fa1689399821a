#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Socket activation of napindexd, done the way systemd does it: the test
binds and listens on 127.0.0.1:0, hands the socket over as fd 3 with
LISTEN_FDS=1 and LISTEN_PID set to napindexd's own pid, and a napeerd then
registers through that port. The config names the same port, so a napindexd
that tried to bind it itself would fail with "port N is in use".
Also: LISTEN_PID naming another process means no activation (the config's
port is used), and an fd 3 that is not a listening TCP socket is refused."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdtest import (DEADLINE, LISTEN_RE, Daemon, NotifyReceiver, binary, clean_env, fail,  # noqa: E402
                    write_index_config, write_peer_config)

# Runs in the child between fork and exec: puts the socket at fd 3 and sets
# LISTEN_PID to its own pid, which exec keeps (as systemd does after fork).
ACTIVATE = (
    "import os, sys\n"
    "fd = int(sys.argv[1])\n"
    "if fd != 3:\n"
    "    os.dup2(fd, 3)\n"
    "    os.close(fd)\n"
    "os.environ['LISTEN_PID'] = sys.argv[2] or str(os.getpid())\n"
    "os.environ['LISTEN_FDS'] = '1'\n"
    "os.environ['LISTEN_FDNAMES'] = 'napindexd.socket'\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def activated(name, sock, argv, notify=None, listen_pid=""):
    """Starts argv with `sock` as fd 3; listen_pid "" means the child's own.
    With `notify`, NOTIFY_SOCKET points there: READY=1 says the signal
    handlers are in place, so a SIGTERM after it is a clean stop."""
    env = clean_env(NOTIFY_SOCKET=notify.address) if notify else clean_env()
    return Daemon(name, [sys.executable, "-c", ACTIVATE, str(sock.fileno()), listen_pid] + argv,
                  env, pass_fds=(sock.fileno(),))


def wait_ready(notify):
    notify.wait_for("READY=1", lambda ms: any("READY=1" in lines for _, lines in ms))


def napctl_status(napctl, control_socket):
    run = subprocess.run([napctl, "--socket", control_socket, "status", "--json"],
                         capture_output=True, text=True, timeout=DEADLINE)
    if run.returncode != 0:
        return None
    return json.loads(run.stdout)


def test_inherited_socket(tmp, napindexd, napeerd, napctl):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    config = os.path.join(tmp, "index-activated.toml")
    write_index_config(config, port=port)
    notify = NotifyReceiver(os.path.join(tmp, "notify-activated"))
    index = activated("napindexd (activated)", listener, [napindexd, "--config", config], notify)
    listener.close()  # napindexd holds the only copy now
    try:
        m = index.wait_log(LISTEN_RE + r" \(socket inherited from systemd")
        if int(m[1]) != port:
            fail(f"napindexd reports port {m[1]}, but the socket it was given is on {port}")
        wait_ready(notify)

        control = write_peer_config(os.path.join(tmp, "peer.toml"), tmp, "bob", port)
        peer = Daemon("napeerd", [napeerd, "--config", os.path.join(tmp, "peer.toml")], clean_env())
        try:
            end = time.monotonic() + DEADLINE
            while True:
                status = napctl_status(napctl, control)
                if status and status.get("index_state") == "connected" and status.get("peer_id") is not None:
                    break
                if time.monotonic() > end:
                    fail(f"napeerd did not register through the inherited socket; last status {status}:\n"
                         + peer.log_text() + "\n" + index.log_text())
                time.sleep(0.05)
            index.wait_log(r"connected from 127\.0\.0\.1")
            print(f"peer {status['peer_id']} registered through inherited port {port}")
            peer.signal(signal.SIGTERM)
            if peer.wait_exit() != 0:
                fail("napeerd did not exit cleanly:\n" + peer.log_text())
        finally:
            peer.kill()
        index.signal(signal.SIGTERM)
        if index.wait_exit() != 0:
            fail("napindexd did not exit cleanly:\n" + index.log_text())
    finally:
        index.kill()


def test_listen_pid_of_another_process(tmp, napindexd):
    # LISTEN_PID names our pid, not napindexd's: the fds are not for it, and
    # it must bind the config's port (0 here) itself.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    config = os.path.join(tmp, "index-not-activated.toml")
    write_index_config(config, port=0)
    notify = NotifyReceiver(os.path.join(tmp, "notify-not-activated"))
    index = activated("napindexd (not for it)", listener, [napindexd, "--config", config], notify,
                      str(os.getpid()))
    try:
        m = index.wait_log(LISTEN_RE)
        wait_ready(notify)
        if "inherited" in m.string or int(m[1]) == listener.getsockname()[1]:
            fail(f"napindexd used a socket meant for another process: {m.string}")
        index.signal(signal.SIGTERM)
        if index.wait_exit() != 0:
            fail("napindexd did not exit cleanly:\n" + index.log_text())
        print(f"LISTEN_PID of another process ignored; bound port {m[1]} from the config")
    finally:
        index.kill()
        listener.close()


def test_fd_that_is_not_listening(tmp, napindexd):
    # Bound, not listening: napindexd must refuse it with a clear line
    # rather than fall back or hang.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = os.path.join(tmp, "index-bad-fd.toml")
    write_index_config(config, port=0)
    index = activated("napindexd (bad fd)", sock, [napindexd, "--config", config])
    try:
        index.wait_log(r"fd 3 from systemd \(LISTEN_FDS\) is a TCP socket that is not listening")
        status = index.wait_exit()
        if status != 1:
            fail(f"napindexd exited with {status} on a bad inherited fd, expected 1")
        print("a non-listening fd 3 is refused")
    finally:
        index.kill()
        sock.close()


def main():
    napindexd, napeerd, napctl = binary("NAPINDEXD"), binary("NAPEERD"), binary("NAPCTL")
    tmp = tempfile.mkdtemp(prefix="napster-sd-activation-")
    try:
        test_inherited_socket(tmp, napindexd, napeerd, napctl)
        test_listen_pid_of_another_process(tmp, napindexd)
        test_fd_that_is_not_listening(tmp, napindexd)
        print("PASS")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
