#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bounded time and room on every socket: idle floods, per-address caps,
slow handshakes and busy uploads against napindexd's port, napeerd's
upload port and its control socket. After each, a normal client is served
at once and the daemon's memory is back near where it was.

Regression: 10,000 idle sockets made the index answer real peers "the
index is full" for about 10 s, and idle connections to the upload port
and the control socket were never closed."""

import os
import resource
import socket
import time
from pathlib import Path

from harness import (CHANNEL_CONTROL, CHANNEL_INDEX, CHANNEL_TRANSFER, DEADLINE, ERR_BUSY, ERR_LIMIT, ERROR,
                     GET_OK, REGISTER, REGISTERED, NapsterTestCase, RawClient, content, frame, get_request,
                     hello, main, parse_error, str8, u16, wait_for)

FLOOD = 2000


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def open_idle(address, count):
    """`count` connections that connect and then send nothing."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    socks = []
    for _ in range(count):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(DEADLINE)
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                s.connect(address)
                break
            except BlockingIOError:  # a Unix listener's backlog is full: it accepts as it can
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        socks.append(s)
    return socks


def closed_by_peer(sock, timeout):
    """Whether the other side closed `sock` within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (socket.timeout, BlockingIOError):
        return False
    except ConnectionResetError:
        return True


class Floods(NapsterTestCase):
    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, FLOOD + 1024)), hard))

    def setUp(self):
        super().setUp()
        self.socks = []
        self.addCleanup(self.close_flood)

    def close_flood(self):
        for s in self.socks:
            s.close()
        self.socks = []

    def register_raw(self, port, name):
        client = RawClient(("127.0.0.1", port))
        client.handshake(CHANNEL_INDEX)
        client.send(frame(REGISTER, str8(name) + u16(4000)))
        return client, client.read_frame()

    # ------------------------------------------------------------ napindexd

    def test_an_idle_flood_never_keeps_a_new_peer_out_of_the_index(self):
        index = self.start_index()
        holder = self.start_peer("holder", index, files={"x.txt": b"x"})
        before = rss_kib(index.pid)
        self.socks = open_idle(("127.0.0.1", index.port), FLOOD)
        # A newcomer from the same address registers at once: the flood's
        # oldest connections make room for it.
        started = time.monotonic()
        newcomer = self.start_peer("newcomer", index)
        self.assertLess(time.monotonic() - started, DEADLINE)
        self.assertEqual(self.holders_of(newcomer, "x.txt"), {holder.peer_id})
        index.wait_log(r"turned away [\d,]+ connections since the last report \(limits\.max_pending is 256, "
                       r"limits\.max_per_address is 64\)")
        self.close_flood()
        wait_for(lambda: rss_kib(index.pid) < before + 16 * 1024, "the index's memory to come back")
        self.assertAlive(index, holder, newcomer)

    def test_an_address_of_registered_peers_only_is_refused_at_its_cap(self):
        index = self.start_index(extra_sections={"limits": {"max_per_address": 2}})
        first, reply1 = self.register_raw(index.port, b"one")
        second, reply2 = self.register_raw(index.port, b"two")
        self.assertEqual(reply1[0], REGISTERED)
        self.assertEqual(reply2[0], REGISTERED)
        third = socket.create_connection(("127.0.0.1", index.port), timeout=DEADLINE)
        self.socks.append(third)
        self.assertTrue(closed_by_peer(third, DEADLINE), "the third connection stayed open")
        first.close()
        # Room again once one leaves.
        def third_registers():
            try:
                return self.register_raw(index.port, b"three")[1][0] == REGISTERED
            except (AssertionError, OSError):  # refused: the index has not seen `first` go yet
                return False
        wait_for(third_registers, "a third peer to register")
        second.close()
        self.assertAlive(index)

    def test_max_peers_counts_registered_peers_only(self):
        index = self.start_index(extra_sections={"limits": {"max_peers": 1}})
        self.socks = open_idle(("127.0.0.1", index.port), 20)
        first, reply = self.register_raw(index.port, b"one")
        self.assertEqual(reply[0], REGISTERED)
        _, refused = self.register_raw(index.port, b"two")
        self.assertEqual(refused[0], ERROR)
        code, text = parse_error(refused[1])
        self.assertEqual(code, ERR_LIMIT)
        self.assertIn("the index is full: limits.max_peers is 1", text)
        first.close()

    def test_a_handshake_at_one_byte_a_second_is_cut_off(self):
        index = self.start_index(extra_sections={"limits": {"handshake_timeout": 2}, "log": {"level": "debug"}})
        slow = socket.create_connection(("127.0.0.1", index.port), timeout=DEADLINE)
        self.socks.append(slow)
        message = hello(CHANNEL_INDEX)
        started = time.monotonic()
        closed = False
        for byte in message:
            try:
                slow.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_by_peer(slow, 1.0):
                closed = True
                break
        self.assertTrue(closed, "a HELLO dribbled at a byte a second was let through")
        self.assertLess(time.monotonic() - started, 2 + 3)
        index.wait_log(r"no registration within 2 s \(limits\.handshake_timeout\)")
        peer = self.start_peer("normal", index)
        self.assertIsNotNone(peer.peer_id)

    # ------------------------------------------------------------ upload port

    def test_an_idle_flood_on_the_upload_port_ages_out_and_fetches_go_on(self):
        index = self.start_index()
        holder = self.start_peer("holder", index, files={"wanted.bin": content("flood", 64 * 1024)},
                                 extra_sections={"upload": {"handshake_timeout": 2}})
        asker = self.start_peer("asker", index)
        before = rss_kib(holder.pid)
        self.socks = open_idle(("127.0.0.1", holder.upload_port), 500)
        result = self.ctl(asker, "fetch", "wanted.bin")
        self.assertExit(result, 0)
        # Those left are closed by the handshake timeout.
        self.assertTrue(closed_by_peer(self.socks[-1], 2 + DEADLINE))
        holder.wait_log(r"upload port: turned away [\d,]+ connections")
        self.close_flood()
        wait_for(lambda: rss_kib(holder.pid) < before + 16 * 1024, "the holder's memory to come back")
        self.assertAlive(index, holder, asker)

    def test_a_get_beyond_max_concurrent_is_busy(self):
        index = self.start_index()
        big = content("busy", 24 * 1024 * 1024)
        holder = self.start_peer("holder", index, files={"big.bin": big},
                                 extra_sections={"upload": {"max_concurrent": 1, "idle_timeout": 2}})
        shares = self.ctl(holder, "shares", "--json").json()["files"]
        file_id = shares[0]["file_id"]
        # The first GET takes the one slot and then reads nothing.
        stuck = RawClient(("127.0.0.1", holder.upload_port))
        stuck.handshake(CHANNEL_TRANSFER)
        stuck.send(get_request(file_id, "big.bin"))
        self.assertEqual(stuck.read_frame()[0], GET_OK)
        second = RawClient(("127.0.0.1", holder.upload_port))
        second.handshake(CHANNEL_TRANSFER)
        second.send(get_request(file_id, "big.bin"))
        reply = second.read_frame()
        self.assertEqual(reply[0], ERROR)
        code, text = parse_error(reply[1])
        self.assertEqual(code, ERR_BUSY)
        self.assertIn("upload.max_concurrent", text)
        # The stuck downloader is dropped by upload.idle_timeout, which frees
        # the slot for a real fetch.
        holder.wait_log(r"the downloader took nothing for 2 s \(upload\.idle_timeout\)", timeout=2 + 3 * DEADLINE)
        asker = self.start_peer("asker", index)
        self.assertExit(self.ctl(asker, "fetch", "big.bin"), 0)
        self.assertEqual((asker.download_dir / "big.bin").read_bytes(), big)
        stuck.close()
        second.close()

    # ------------------------------------------------------------ control socket

    def test_idle_control_connections_are_closed_and_napctl_is_served_at_once(self):
        index = self.start_index()
        peer = self.start_peer("p1", index, extra_sections={"control": {"handshake_timeout": 2}})
        before = rss_kib(peer.pid)
        self.socks = open_idle(peer.socket_path, 300)
        started = time.monotonic()
        self.assertExit(self.ctl(peer, "status"), 0)
        self.assertLess(time.monotonic() - started, DEADLINE)
        # Even those that sent HELLO but no request are closed.
        half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        half.connect(peer.socket_path)
        half.sendall(hello(CHANNEL_CONTROL))
        self.socks.append(half)
        self.assertTrue(closed_by_peer(self.socks[-2], 2 + DEADLINE))
        self.assertTrue(closed_by_peer(half, 2 + DEADLINE))
        self.close_flood()
        wait_for(lambda: rss_kib(peer.pid) < before + 16 * 1024, "napeerd's memory to come back")
        self.assertAlive(index, peer)


if __name__ == "__main__":
    main()
