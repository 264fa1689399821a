#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An index that lies: napeerd must not take its word for more than the
protocol lets it. The index here is played by the test over a raw socket.

Regression: `napctl fetch innocent.txt`, answered with hits named
`other.txt` and `INNOCENT.TXT`, fetched from that holder anyway. A fetch
by name uses only hits whose name is that name, byte for byte."""

import socket
import struct
import threading

from harness import (CHANNEL_INDEX, DEADLINE, FILES_ADD, HELLO, PING, PONG, REGISTER, REGISTERED, SEARCH,
                     SEARCH_RESULT, VERSION, WELCOME, NapsterTestCase, RawClient, frame, main, root_field,
                     str8, str16, u8, u16, u32, u64, wait_for)


def search_result(request_id, hits):
    """hits: [(name, size, root, [(peer_id, peer_name, address, port, file_id)])]. A hit
    without a root (None) is one name: each holder's name for the file is the hit's,
    or napeerd would refuse the whole reply as malformed, not for the lie."""
    body = u32(request_id) + u32(len(hits)) + u8(0) + u16(len(hits))  # flags 0: an exact count
    for name, size, root, holders in hits:
        body += str8(name) + u64(size) + root_field(root) + u32(len(holders)) + u16(len(holders))
        for peer_id, peer_name, address, port, file_id in holders:
            body += u32(peer_id) + str8(peer_name) + str8(address) + u16(port) + u64(file_id) + str8(name)
    return frame(SEARCH_RESULT, body)


class LyingIndex:
    """Registers one napeerd and answers each SEARCH with `hits`."""

    def __init__(self, hits):
        self.hits = hits
        self.searches = []
        self.errors = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.registered = threading.Event()
        self.ping_answered = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.listener.accept()
            client = RawClient.wrap(conn)
            first = client.read_frame(timeout=DEADLINE)
            assert first and first[0] == HELLO, first
            client.send(frame(WELCOME, u16(VERSION)))
            # PING is valid from WELCOME on: napeerd must answer it while it
            # waits for REGISTERED, not hang up.
            client.send(frame(PING, u64(42)))
            reg = client.read_frame(timeout=DEADLINE)
            assert reg and reg[0] == REGISTER, reg
            pong = client.read_frame(timeout=DEADLINE)
            assert pong == (PONG, u64(42)), pong
            self.ping_answered = True
            client.send(frame(REGISTERED, u32(7)))
            self.registered.set()
            while True:
                got = client.read_frame(timeout=6 * DEADLINE)
                if got is None:
                    return
                kind, payload = got
                if kind == SEARCH:
                    (request_id,) = struct.unpack(">I", payload[:4])
                    self.searches.append(payload)
                    client.send(search_result(request_id, self.hits))
                elif kind == PING:
                    client.send(frame(PONG, payload))
                elif kind not in (FILES_ADD, PONG):
                    raise AssertionError(f"unexpected frame {kind:#x}")
        except Exception as e:  # reported through .errors
            self.errors.append(repr(e))

    def close(self):
        self.listener.close()


class LyingIndexTests(NapsterTestCase):
    def setUp(self):
        super().setUp()
        # A holder that records whether anyone came to it.
        self.holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.holder.bind(("127.0.0.1", 0))
        self.holder.listen(4)
        self.holder.settimeout(0.1)
        self.addCleanup(self.holder.close)
        port = self.holder.getsockname()[1]
        self.index = LyingIndex([
            (b"other.txt", 5, None, [(3, b"liar", b"127.0.0.1", port, 1)]),
            (b"INNOCENT.TXT", 5, None, [(3, b"liar", b"127.0.0.1", port, 2)]),
        ])
        self.addCleanup(self.index.close)
        self.peer = self.start_peer("p1", self.index.port, wait_connected=False)
        self.assertTrue(self.index.registered.wait(DEADLINE), f"napeerd never registered: {self.index.errors}")
        self.assertTrue(self.index.ping_answered)
        wait_for(lambda: self.ctl(self.peer, "status", "--json").json()["index_state"] == "connected",
                 "napeerd to be connected")

    def test_a_fetch_by_name_ignores_hits_of_other_names(self):
        result = self.ctl(self.peer, "fetch", "innocent.txt")
        self.assertExit(result, 1)
        self.assertIn("innocent.txt", result.err)
        self.assertEqual(len(self.index.searches), 1)
        # A version-3 SEARCH by name: the query, then an empty root field.
        self.assertTrue(self.index.searches[0].endswith(str16("innocent.txt") + root_field()),
                        repr(self.index.searches[0]))
        # The reply was taken as well-formed: a malformed one would have
        # cost napeerd its index connection, and the lie would go untested.
        self.assertEqual(self.ctl(self.peer, "status", "--json").json()["index_state"], "connected")
        # Nobody went to the holder of the wrong names.
        try:
            conn, _ = self.holder.accept()
            conn.close()
            self.fail("napeerd connected to a holder of another name")
        except socket.timeout:
            pass
        self.assertEqual(self.index.errors, [])
        self.assertAlive(self.peer)


if __name__ == "__main__":
    main()
