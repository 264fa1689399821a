#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Type=notify as systemd sees it: napindexd and napeerd, started with
NOTIFY_SOCKET pointing at a socket of ours, must send READY=1 once serving,
then STATUS= lines that follow their state, RELOADING=1 (with
MONOTONIC_USEC=) and READY=1 around SIGHUP, STOPPING=1 on SIGTERM, in that
order, from their main pid, and exit 0. napindexd also gets WATCHDOG_USEC and
must keep sending WATCHDOG=1."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdtest import (LISTEN_RE, Daemon, NotifyReceiver, clean_env, binary, fail,  # noqa: E402
                    write_index_config, write_peer_config)


def lines_of(messages):
    return [line for _, lines in messages for line in lines if line]


def count(messages, line):
    return lines_of(messages).count(line)


def has_status(pattern):
    regex = re.compile(pattern)
    return lambda messages: any(l.startswith("STATUS=") and regex.fullmatch(l[7:]) for l in lines_of(messages))


def check_sequence(name, pid, messages, expect_watchdog, reloads=1):
    """The whole conversation, once the daemon has exited."""
    for sender, lines in messages:
        if sender != pid:
            fail(f"{name}: {lines} came from pid {sender}, not the main pid {pid} (NotifyAccess=main)")
    lines = lines_of(messages)
    lifecycle = [l for l in lines if not l.startswith(("STATUS=", "WATCHDOG=", "MONOTONIC_USEC="))]
    expected = ["READY=1"] + ["RELOADING=1", "READY=1"] * reloads + ["STOPPING=1"]
    if lifecycle != expected:
        fail(f"{name}: lifecycle messages {lifecycle}, expected {expected}")
    first_status = next((i for i, l in enumerate(lines) if l.startswith("STATUS=")), None)
    if first_status is None or first_status < lines.index("READY=1"):
        fail(f"{name}: expected a STATUS= line after READY=1, got {lines}")
    if lines[-1] != "STOPPING=1":
        fail(f"{name}: sent {lines[lines.index('STOPPING=1') + 1:]} after STOPPING=1")
    # RELOADING=1 travels with MONOTONIC_USEC= in the same datagram.
    for reloading in (ls for _, ls in messages if "RELOADING=1" in ls):
        if len(reloading) != 2 or not re.fullmatch(r"MONOTONIC_USEC=[1-9][0-9]*", reloading[1]):
            fail(f"{name}: RELOADING=1 datagram is {reloading}, expected MONOTONIC_USEC= beside it")
    statuses = [l for l in lines if l.startswith("STATUS=")]
    if any(a == b for a, b in zip(statuses, statuses[1:])):
        fail(f"{name}: the same STATUS= was sent twice in a row: {statuses}")
    watchdogs = lines.count("WATCHDOG=1")
    if expect_watchdog and watchdogs < 2:
        fail(f"{name}: {watchdogs} WATCHDOG=1 messages, expected a steady stream")
    if not expect_watchdog and watchdogs:
        fail(f"{name}: WATCHDOG=1 sent though WATCHDOG_USEC was not set")
    print(f"{name}: {len(messages)} datagrams, lifecycle {lifecycle}, {len(statuses)} STATUS=, {watchdogs} WATCHDOG=1")


def main():
    napindexd, napeerd = binary("NAPINDEXD"), binary("NAPEERD")
    tmp = tempfile.mkdtemp(prefix="napster-sd-notify-")
    daemons = []
    try:
        # A path socket for one daemon, an abstract one for the other: both
        # forms of $NOTIFY_SOCKET are in use by systemd.
        index_notify = NotifyReceiver(os.path.join(tmp, "index-notify"))
        peer_notify = NotifyReceiver(f"@napster-sd-test-{os.getpid()}")

        write_index_config(os.path.join(tmp, "index.toml"))
        # 0.4 s: WATCHDOG=1 every 0.2 s, several during the test.
        index = Daemon("napindexd", [napindexd, "--config", os.path.join(tmp, "index.toml")],
                       clean_env(NOTIFY_SOCKET=index_notify.address, WATCHDOG_USEC="400000"))
        daemons.append(index)
        port = int(index.wait_log(LISTEN_RE)[1])
        index_notify.wait_for("READY=1", lambda ms: count(ms, "READY=1") == 1)
        index_notify.wait_for("STATUS=0 peers, 0 files", has_status(r"0 peers, 0 files"))

        write_peer_config(os.path.join(tmp, "peer.toml"), tmp, "alice", port)
        peer = Daemon("napeerd", [napeerd, "--config", os.path.join(tmp, "peer.toml")],
                      clean_env(NOTIFY_SOCKET=peer_notify.address))
        daemons.append(peer)
        peer_notify.wait_for("READY=1", lambda ms: count(ms, "READY=1") == 1)
        # STATUS= follows the state: scan done, registered at the index.
        peer_notify.wait_for("STATUS=connected as peer N, 3 files shared",
                             has_status(r"connected as peer \d+, 3 files shared"))
        index_notify.wait_for("STATUS=1 peer, 3 files", has_status(r"1 peer, 3 files"))
        index_notify.wait_for("WATCHDOG=1 twice", lambda ms: count(ms, "WATCHDOG=1") >= 2)

        for daemon, notify in ((index, index_notify), (peer, peer_notify)):
            daemon.signal(signal.SIGHUP)
            notify.wait_for("RELOADING=1", lambda ms: count(ms, "RELOADING=1") == 1)
            notify.wait_for("READY=1 after the reload", lambda ms: count(ms, "READY=1") == 2)
            daemon.wait_log(r"reloaded \S+: nothing changed")

        # napctl reload tells systemd as SIGHUP does.
        reload = subprocess.run([binary("NAPCTL"), "--socket", os.path.join(tmp, "alice-control", "napeerd.sock"), "reload"],
                                capture_output=True, timeout=30)
        if reload.returncode != 0:
            fail(f"napctl reload exited {reload.returncode}: {reload.stderr!r}")
        peer_notify.wait_for("RELOADING=1 for napctl reload", lambda ms: count(ms, "RELOADING=1") == 2)
        peer_notify.wait_for("READY=1 after napctl reload", lambda ms: count(ms, "READY=1") == 3)

        for daemon, notify in ((peer, peer_notify), (index, index_notify)):
            daemon.signal(signal.SIGTERM)
            notify.wait_for("STOPPING=1", lambda ms: count(ms, "STOPPING=1") == 1)
            status = daemon.wait_exit()
            if status != 0:
                fail(f"{daemon.name} exited with status {status}:\n" + daemon.log_text())

        # Everything the daemons sent has arrived once they have exited.
        check_sequence("napindexd", index.pid, index_notify.snapshot(), expect_watchdog=True)
        check_sequence("napeerd", peer.pid, peer_notify.snapshot(), expect_watchdog=False, reloads=2)
        index_notify.close()
        peer_notify.close()
        print("PASS")
    finally:
        for daemon in daemons:
            daemon.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
