# SPDX-License-Identifier: MIT
"""Malformed, oversized and hostile input on every socket: the index's TCP
port, a peer's upload port and its control socket, and a holder that lies.

Each bad client gets an ERROR frame with the documented code (when the
protocol says so) and the connection closed; after each, the daemons are
alive and a normal `napctl search` still works. Frames are built by hand
from daemon/protocol/protocol.h (see harness.py).
"""

import os
import random
import socket
import struct
import subprocess
import threading

from harness import (CHANNEL_CONTROL, CHANNEL_INDEX, CHANNEL_TRANSFER, DEADLINE, ERR_MALFORMED, PING, PONG,
                     ERR_NOT_FOUND, ERR_UNEXPECTED, ERR_VERSION, ERROR, FETCH, FILES_ADD, GET, GET_OK, HELLO,
                     NAPCTL, REGISTER, REGISTERED, SEARCH, SEARCH_RESULT, STATUS, WELCOME, FakeHolder,
                     NapsterTestCase, RawClient, content, fetch_request, file_entry, frame, get_ok,
                     get_request, hello, main, parse_get_ok, VERSION, hello_v1, parse_error, partial_files,
                     read_root, root_field, search_request, str8, str16, u8, u16, u32, u64, wait_for)

# A well-formed root: 32 bytes (what a hash tree's root is; no file here has it).
SOME_ROOT = bytes(range(32))

HOLDER_FILES = {
    "wanted.bin": content("hostile: wanted", 100 * 1024),
    "other.txt": b"another file\n",
}


class HostileInput(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()
        self.holder = self.start_peer("holder", self.index, files=HOLDER_FILES)
        self.asker = self.start_peer("asker", self.index)
        shares = self.ctl(self.holder, "shares", "--json")
        self.assertExit(shares, 0)
        self.file_ids = {f["name"]: f["file_id"] for f in shares.json()["files"]}

    # -------------------------------------------------------------- helpers

    def assert_still_serving(self):
        self.assertAlive(self.index, self.holder, self.asker)
        self.assertEqual(self.holders_of(self.asker, "wanted.bin"), {self.holder.peer_id})
        status = self.ctl(self.holder, "status", "--json")
        self.assertExit(status, 0)
        self.assertEqual(status.json()["index_state"], "connected")

    def expect_error_then_close(self, client, code):
        """The next frame is ERROR with `code`; then the daemon closes."""
        reply = client.read_frame()
        self.assertIsNotNone(reply, "closed without an ERROR frame")
        self.assertEqual(reply[0], ERROR, f"expected ERROR, got {reply!r}")
        got_code, text = parse_error(reply[1])
        self.assertEqual(got_code, code, f"ERROR {got_code} ({text!r}), expected {code}")
        self.assertTrue(text, "an ERROR frame should say what was wrong")
        self.assertEqual(client.wait_closed(), b"", "bytes after the ERROR frame")
        return text

    def expect_closed(self, client):
        """Closed, after at most an ERROR frame."""
        rest = client.wait_closed()
        if rest:
            (length,) = struct.unpack(">I", rest[:4])
            self.assertEqual(len(rest), 4 + length, f"more than one frame before close: {rest!r}")
            self.assertEqual(struct.unpack(">H", rest[4:6])[0], ERROR)

    def endpoints(self):
        return {
            "index": (("127.0.0.1", self.index.port), CHANNEL_INDEX),
            "upload": (("127.0.0.1", self.holder.upload_port), CHANNEL_TRANSFER),
            "control": (self.holder.socket_path, CHANNEL_CONTROL),
        }

    def for_each_endpoint(self, action):
        for name, (address, channel) in self.endpoints().items():
            with self.subTest(endpoint=name):
                with RawClient(address) as client:
                    action(client, channel)
                self.assert_still_serving()

    # -------------------------------------------------------------- every socket

    def test_random_garbage(self):
        garbage = random.Random(550).randbytes(4096)
        self.assertGreater(struct.unpack(">I", garbage[:4])[0], 1024 * 1024)

        def action(client, channel):
            client.send(garbage)
            self.expect_closed(client)
        self.for_each_endpoint(action)

    def test_garbage_shaped_like_a_frame(self):
        junk = frame(0xBEEF, random.Random(7).randbytes(40))

        def action(client, channel):
            client.send(junk)
            self.expect_error_then_close(client, ERR_UNEXPECTED)
        self.for_each_endpoint(action)

    def test_frame_longer_than_one_mib(self):
        def action(client, channel):
            # Only the header: the length alone must be refused.
            client.send(u32(1024 * 1024 + 1) + u16(HELLO))
            text = self.expect_error_then_close(client, ERR_MALFORMED)
            self.assertIn("1048577", text)
        self.for_each_endpoint(action)

    def test_frame_exactly_one_mib_is_read_then_judged(self):
        def action(client, channel):
            payload = b"\0" * (1024 * 1024 - 2)
            client.send(u32(1024 * 1024) + u16(HELLO) + payload)
            self.expect_error_then_close(client, ERR_MALFORMED)  # a HELLO with trailing bytes
        self.for_each_endpoint(action)

    def test_frame_length_below_two(self):
        for length in (0, 1):
            def action(client, channel, length=length):
                client.send(u32(length) + b"\x00\x01")
                self.expect_error_then_close(client, ERR_MALFORMED)
            self.for_each_endpoint(action)

    def test_hello_with_wrong_magic(self):
        def action(client, channel):
            client.send(hello(channel, magic=0x48545450))  # "HTTP"
            self.expect_error_then_close(client, ERR_MALFORMED)
        self.for_each_endpoint(action)

    def test_http_request(self):
        def action(client, channel):
            client.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            self.expect_closed(client)
        self.for_each_endpoint(action)

    def test_hello_with_version_99(self):
        def action(client, channel):
            client.send(hello(channel, version=99))
            text = self.expect_error_then_close(client, ERR_VERSION)
            self.assertIn("99", text)
        self.for_each_endpoint(action)

    def test_a_version_1_client_is_refused_with_both_ranges(self):
        # 0.1.0's HELLO, without min_version: each side names what it speaks.
        def action(client, channel):
            client.send(hello_v1(channel))
            text = self.expect_error_then_close(client, ERR_VERSION)
            self.assertIn(f"speaks protocol version {VERSION}", text)
            self.assertIn("the client version 1", text)
        self.for_each_endpoint(action)

    def test_a_range_of_versions_gets_the_highest_both_speak(self):
        def action(client, channel):
            client.send(hello(channel, version=VERSION + 5, min_version=1))
            reply = client.read_frame()
            self.assertEqual(reply, (WELCOME, u16(VERSION)))
        self.for_each_endpoint(action)

    def test_ping_after_the_handshake_is_answered_on_every_channel(self):
        # napster-protocol(7): after the handshake either side may send PING.
        def action(client, channel):
            client.handshake(channel)
            for token in (1, 0xDEADBEEF01020304):
                client.send(frame(PING, u64(token)))
                self.assertEqual(client.read_frame(), (PONG, u64(token)))
        self.for_each_endpoint(action)

    def test_a_second_control_request_is_answered_unexpected_message(self):
        with RawClient(self.holder.socket_path) as client:
            client.handshake(CHANNEL_CONTROL)
            # One write, so napeerd reads both before the index can answer.
            client.send(search_request(1, b"wanted") + frame(STATUS))
            frames = []
            while True:
                got = client.read_frame()
                if got is None:
                    break
                frames.append(got)
            kinds = [f[0] for f in frames]
            self.assertIn(ERROR, kinds, frames)
            code, text = parse_error(frames[kinds.index(ERROR)][1])
            self.assertEqual(code, ERR_UNEXPECTED, text)
            self.assertIn("one request per connection", text)
        self.assert_still_serving()

    def test_hello_for_the_wrong_channel(self):
        wrong = {CHANNEL_INDEX: CHANNEL_TRANSFER, CHANNEL_TRANSFER: CHANNEL_CONTROL,
                 CHANNEL_CONTROL: CHANNEL_INDEX}

        def action(client, channel):
            client.send(hello(wrong[channel]))
            self.expect_error_then_close(client, ERR_UNEXPECTED)
        self.for_each_endpoint(action)

    def test_hello_with_channel_zero(self):
        def action(client, channel):
            client.send(hello(0))
            self.expect_error_then_close(client, ERR_MALFORMED)
        self.for_each_endpoint(action)

    def test_request_before_hello(self):
        first = {
            CHANNEL_INDEX: frame(REGISTER, str8("sneaky") + u16(4000)),
            CHANNEL_TRANSFER: get_request(self.file_ids["other.txt"], "other.txt"),
            CHANNEL_CONTROL: frame(STATUS),
        }

        def action(client, channel):
            client.send(first[channel])
            self.expect_error_then_close(client, ERR_UNEXPECTED)
        self.for_each_endpoint(action)
        self.assertEqual(self.index.lines_matching("sneaky"), [])

    def test_a_client_that_sends_nothing_does_not_block_others(self):
        address_of = {name: address for name, (address, _) in self.endpoints().items()}
        silent = [RawClient(address) for address in address_of.values()]
        half = [RawClient(address) for address in address_of.values()]
        try:
            for client in half:  # half a frame header, then nothing
                client.send(b"\x00\x00")
            for _ in range(3):
                self.assert_still_serving()
            # And the upload port serves a whole file meanwhile.
            with RawClient(address_of["upload"]) as client:
                client.handshake(CHANNEL_TRANSFER)
                client.send(get_request(self.file_ids["wanted.bin"], "wanted.bin"))
                reply = client.read_frame()
                self.assertEqual(reply[0], GET_OK, repr(reply))
                size, root, offset, length = parse_get_ok(reply[1])
                self.assertEqual((size, offset, length), (len(HOLDER_FILES["wanted.bin"]), 0,
                                                          len(HOLDER_FILES["wanted.bin"])))
                self.assertEqual(client.read_raw(length), HOLDER_FILES["wanted.bin"])
                self.assertEqual(client.wait_closed(), b"")
        finally:
            for client in silent + half:
                client.close()
        self.assert_still_serving()

    def test_index_drops_a_connection_that_never_registers(self):
        # The index allows 10 s for HELLO and REGISTER; then the socket goes.
        with RawClient(("127.0.0.1", self.index.port)) as client:
            client.send(hello(CHANNEL_INDEX))
            self.assertEqual(client.read_frame()[0], WELCOME)
            client.wait_closed(timeout=20)
        self.assert_still_serving()

    # -------------------------------------------------------------- index channel

    def registered_fake(self, name):
        client = RawClient(("127.0.0.1", self.index.port))
        client.handshake(CHANNEL_INDEX)
        client.send(frame(REGISTER, str8(name) + u16(9)))
        reply = client.read_frame()
        self.assertEqual(reply[0], REGISTERED, repr(reply))
        return client, struct.unpack(">I", reply[1])[0]

    def test_files_add_with_a_slash_or_dot_dot(self):
        bad_entries = {
            "slash": file_entry(1, 10, b"a/b", b"a/b"),
            "dotdot name": file_entry(2, 10, b"..", b".."),
            "dotdot path": file_entry(3, 10, b"passwd", b"../../etc/passwd"),
            "absolute path": file_entry(4, 10, b"passwd", b"/etc/passwd"),
            "name not last component": file_entry(5, 10, b"x.txt", b"dir/y.txt"),
            "NUL byte": file_entry(6, 10, b"a\0b", b"a\0b"),
            "empty name": file_entry(7, 10, b"", b""),
        }
        for label, entry in bad_entries.items():
            with self.subTest(entry=label):
                mark = self.index.mark()
                client, peer_id = self.registered_fake("evil")
                with client:
                    good = file_entry(100, 5, b"evilgood.txt")
                    client.send(frame(FILES_ADD, u32(2) + good + entry))
                    self.expect_error_then_close(client, ERR_MALFORMED)
                self.index.wait_log(rf"peer {peer_id} \(evil\) disconnected \(.*\); dropped 0 files$",
                                    since=mark)
                # The refused batch left nothing behind, not even its good entry.
                self.assertEqual(self.ctl(self.asker, "search", "evilgood").returncode, 1)
                self.assertEqual(self.ctl(self.asker, "search", "passwd").returncode, 1)
                self.assert_still_serving()

    def test_names_cannot_forge_log_lines_or_terminal_output(self):
        # A peer name and a file name carrying a newline, an escape sequence
        # and bytes that are not UTF-8 stay on one escaped log line, and
        # napctl's text output shows them escaped too.
        peer_name = b"evil\nINJECTED peer 0 (p1) added 1 file: fake.txt \x1b[2J\xff"
        file_name = b"forged\nINJECTED\x1b]0;title\x07.txt"
        mark = self.index.mark()
        client, peer_id = self.registered_fake(peer_name)
        with client:
            client.send(frame(FILES_ADD, u32(1) + file_entry(1, 10, file_name)))
            self.index.wait_log(rf"peer {peer_id} \(evil\\x0aINJECTED .*\\x1b\[2J\\xff\) added 1 file: "
                                rf"forged\\x0aINJECTED\\x1b\]0;title\\x07\.txt$", since=mark)
            self.assertEqual([l for l in self.index.log()[mark:].splitlines() if l.startswith("INJECTED")], [])
            result = self.ctl(self.asker, "search", "INJECTED")
            self.assertExit(result, 0)
            self.assertNotIn("\x1b", result.out)
            self.assertIn("forged\\x0aINJECTED\\x1b]0;title\\x07.txt", result.out)
            self.assertIn("evil\\x0aINJECTED", result.out)
            status, doc = self.search_json(self.asker, "INJECTED")
            holder = doc["files"][0]["holders"][0]
            self.assertEqual(bytes.fromhex(holder["peer_name_hex"]), peer_name)
            self.assertEqual(doc["files"][0]["name"].encode(), file_name)
        self.assert_still_serving()

    def test_files_add_with_a_count_larger_than_the_frame(self):
        client, _ = self.registered_fake("liar")
        with client:
            client.send(frame(FILES_ADD, u32(4000) + file_entry(1, 1, b"one.txt")))
            self.expect_error_then_close(client, ERR_MALFORMED)
        self.assert_still_serving()

    def test_truncated_register(self):
        with RawClient(("127.0.0.1", self.index.port)) as client:
            client.handshake(CHANNEL_INDEX)
            client.send(frame(REGISTER, u8(200) + b"short"))
            self.expect_error_then_close(client, ERR_MALFORMED)
        self.assert_still_serving()

    def test_search_before_register(self):
        with RawClient(("127.0.0.1", self.index.port)) as client:
            client.handshake(CHANNEL_INDEX)
            client.send(search_request(1, "wanted"))
            self.expect_error_then_close(client, ERR_UNEXPECTED)
        self.assert_still_serving()

    def test_malformed_search(self):
        head = u32(1) + u8(0) + u16(0)
        cases = {
            "reserved flags": search_request(1, "wanted", flags=0x80),
            "no query, no root": search_request(1, ""),
            "a query and a root": search_request(1, "wanted", root=SOME_ROOT),
            "a root of 31 bytes": frame(SEARCH, head + str16("") + u8(31) + SOME_ROOT[:31]),
            "a root of 33 bytes": frame(SEARCH, head + str16("") + u8(33) + SOME_ROOT + b"!"),
            "no root field (version 2)": frame(SEARCH, head + str16("wanted")),
        }
        for label, request in cases.items():
            with self.subTest(case=label):
                client, _ = self.registered_fake("searcher")
                with client:
                    client.send(request)
                    text = self.expect_error_then_close(client, ERR_MALFORMED)
                    self.assertIn("SEARCH", text)
                self.assert_still_serving()

    def test_a_raw_peer_can_search(self):
        # The positive case for the frames above: a well-formed SEARCH works.
        client, _ = self.registered_fake("polite")
        with client:
            client.send(search_request(77, "wanted.bin", flags=1))
            reply = client.read_frame()
            self.assertEqual(reply[0], SEARCH_RESULT, repr(reply))
            request_id, total, flags, hits = struct.unpack(">IIBH", reply[1][:11])
            self.assertEqual((request_id, total, flags, hits), (77, 1, 0, 1))
            # The hit: name, size, root (none or 32 bytes), holder total and
            # count, then the one holder, whose own name for the file ends it.
            at = 11
            name = reply[1][at + 1:at + 1 + reply[1][at]]
            at += 1 + len(name)
            (size,) = struct.unpack(">Q", reply[1][at:at + 8])
            self.assertEqual((name, size), (b"wanted.bin", len(HOLDER_FILES["wanted.bin"])))
            _, at = read_root(reply[1], at + 8)
            self.assertEqual(struct.unpack(">IH", reply[1][at:at + 6]), (1, 1))
            self.assertTrue(reply[1].endswith(str8("wanted.bin")), repr(reply))

    # -------------------------------------------------------------- upload port

    def upload_client(self):
        client = RawClient(("127.0.0.1", self.holder.upload_port))
        client.handshake(CHANNEL_TRANSFER)
        return client

    def test_get_for_a_file_id_the_peer_does_not_have(self):
        mark = self.holder.mark()
        with self.upload_client() as client:
            client.send(get_request(987654321, "wanted.bin"))
            self.expect_error_then_close(client, ERR_NOT_FOUND)
        self.holder.wait_log(r"requested wanted\.bin$", since=mark)
        self.assert_still_serving()

    def test_get_whose_name_does_not_match_the_file_id(self):
        with self.upload_client() as client:
            client.send(get_request(self.file_ids["wanted.bin"], "other.txt"))
            self.expect_error_then_close(client, ERR_NOT_FOUND)
        self.assert_still_serving()

    def test_get_with_a_path_instead_of_a_name(self):
        for name in (b"../../etc/passwd", b"..", b"/etc/passwd", b""):
            with self.subTest(name=name):
                with self.upload_client() as client:
                    client.send(get_request(self.file_ids["other.txt"], name))
                    self.expect_error_then_close(client, ERR_MALFORMED)
        self.assert_still_serving()

    def test_get_with_an_offset_past_the_end(self):
        with self.upload_client() as client:
            client.send(get_request(self.file_ids["other.txt"], "other.txt", offset=10 ** 9))
            reply = client.read_frame()
            self.assertEqual(reply[0], ERROR, repr(reply))
            self.assertEqual(client.wait_closed(), b"")
        self.assert_still_serving()

    def test_get_with_an_offset_resumes(self):
        data = HOLDER_FILES["wanted.bin"]
        with self.upload_client() as client:
            client.send(get_request(self.file_ids["wanted.bin"], "wanted.bin", offset=1000))
            reply = client.read_frame()
            self.assertEqual(reply[0], GET_OK, repr(reply))
            size, root, offset, length = parse_get_ok(reply[1])
            self.assertEqual((size, offset, length), (len(data), 1000, len(data) - 1000))
            self.assertEqual(client.read_raw(len(data) - 1000), data[1000:])
            self.assertEqual(client.wait_closed(), b"")

    def test_malformed_get(self):
        file_id = self.file_ids["wanted.bin"]
        head = u32(0xFFFFFFFF) + str8("raw") + u64(file_id) + str8("wanted.bin")
        cases = {
            "offset + length overflows": get_request(file_id, "wanted.bin", offset=2 ** 64 - 1, length=1),
            "a root of 1 byte": frame(GET, head + u8(1) + b"\0" + u64(0) + u64(0)),
            "a root of 31 bytes": frame(GET, head + u8(31) + SOME_ROOT[:31] + u64(0) + u64(0)),
            "no root and no length (version 2)": frame(GET, head + u64(0)),
        }
        for label, request in cases.items():
            with self.subTest(case=label):
                with self.upload_client() as client:
                    client.send(request)
                    text = self.expect_error_then_close(client, ERR_MALFORMED)
                    self.assertIn("GET", text)
        self.assert_still_serving()

    def test_a_second_get_on_one_connection(self):
        with self.upload_client() as client:
            client.send(get_request(987654321, "a.txt") + get_request(987654322, "b.txt"))
            self.expect_error_then_close(client, ERR_NOT_FOUND)
        self.assert_still_serving()

    def test_downloader_vanishing_mid_upload(self):
        big = content("hostile: big", 8 * 1024 * 1024)
        (self.holder.share_dir / "big.bin").write_bytes(big)
        self.restart_holder()
        for _ in range(3):
            mark = self.holder.mark()
            client = self.upload_client()
            client.send(get_request(self.file_ids["big.bin"], "big.bin"))
            self.assertEqual(client.read_frame()[0], GET_OK)
            client.read_raw(1000)
            # RST rather than FIN: the holder finds out while writing.
            client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            self.holder.wait_log(r"upload of big\.bin to .*: \d+ of 8388608 bytes sent, failed", since=mark)
        self.assert_still_serving()

    def restart_holder(self):
        self.daemons.remove(self.holder)
        self.assertEqual(self.holder.terminate_and_check(), [])
        self.holder = self.start_peer("holder", self.index)
        shares = self.ctl(self.holder, "shares", "--json")
        self.file_ids = {f["name"]: f["file_id"] for f in shares.json()["files"]}

    def test_symlinks_that_lead_outside_the_share_are_not_served(self):
        outside = self.tmp / "outside"
        outside.mkdir()
        secret = b"not for sharing\n" * 100
        (outside / "secret.txt").write_bytes(secret)
        share = self.holder.share_dir
        os.symlink(outside / "secret.txt", share / "link-out.txt")
        os.symlink("../../outside/secret.txt", share / "rel-link-out.txt")
        os.symlink("wanted.bin", share / "link-in.bin")  # inside: may be shared
        (share / "swap.txt").write_bytes(b"harmless\n")
        self.restart_holder()
        self.assertNotIn("link-out.txt", self.file_ids)
        self.assertNotIn("rel-link-out.txt", self.file_ids)
        self.assertEqual(self.ctl(self.asker, "search", "link-out").returncode, 1)
        for guess in range(1, 50):  # no id serves the secret
            with self.upload_client() as client:
                client.send(get_request(guess, "link-out.txt"))
                self.expect_error_then_close(client, ERR_NOT_FOUND)

        # A shared file swapped for a symlink to the outside after it was
        # listed: the holder must check again when it serves.
        swap_id = self.file_ids["swap.txt"]
        os.unlink(share / "swap.txt")
        os.symlink(outside / "secret.txt", share / "swap.txt")
        with self.upload_client() as client:
            client.send(get_request(swap_id, "swap.txt"))
            reply = client.read_frame()
            self.assertIsNotNone(reply)
            self.assertEqual(reply[0], ERROR, f"served a symlink that leads outside: {reply!r}")
            self.assertNotIn(b"not for sharing", client.wait_closed())
        self.assert_still_serving()

    # -------------------------------------------------------------- control socket

    def control_client(self):
        client = RawClient(self.holder.socket_path)
        client.handshake(CHANNEL_CONTROL)
        return client

    def test_control_fetch_with_a_bad_name_root_or_output_dir(self):
        no_peer = u8(0) + u32(0) + str16(b"")
        cases = {
            "slash": fetch_request(b"../x"),
            "dotdot": fetch_request(b".."),
            "dotdot with a root": fetch_request(b"..", root=SOME_ROOT),
            "empty name, no root": fetch_request(b""),
            "relative output": fetch_request(b"wanted.bin", output_dir=b"relative/dir"),
            "peer flag 2": frame(FETCH, str8(b"wanted.bin") + u8(2) + u32(0) + str16(b"") + root_field()),
            "NUL in output": fetch_request(b"wanted.bin", output_dir=b"/tmp/a\0b"),
            "a root of 31 bytes": frame(FETCH, str8(b"") + no_peer + u8(31) + SOME_ROOT[:31]),
            "no root field (version 2)": frame(FETCH, str8(b"wanted.bin") + no_peer),
        }
        for label, request in cases.items():
            with self.subTest(case=label):
                with RawClient(self.asker.socket_path) as client:
                    client.handshake(CHANNEL_CONTROL)
                    client.send(request)
                    self.expect_error_then_close(client, ERR_MALFORMED)
                self.assertEqual(os.listdir(self.asker.download_dir), [])
        self.assert_still_serving()

    def test_control_status_with_a_payload(self):
        with self.control_client() as client:
            client.send(frame(STATUS, b"extra"))
            self.expect_error_then_close(client, ERR_MALFORMED)
        self.assert_still_serving()

    def test_control_message_that_is_not_a_request(self):
        with self.control_client() as client:
            client.send(get_request(1, "wanted.bin"))
            self.expect_error_then_close(client, ERR_UNEXPECTED)
        self.assert_still_serving()

    # -------------------------------------------------------------- a lying holder

    def fake_holder(self, name, body, serve):
        fake = FakeHolder(self.index.port, name, {5: ("lie.bin", len(body))}, serve)
        self.addCleanup(fake.close)
        self.index.wait_log(rf"peer {fake.peer_id} \({name}\) added 1 file: lie\.bin$")
        return fake

    def assert_fetch_fails_cleanly(self, fake):
        result = self.ctl(self.asker, "fetch", "lie.bin", "--peer", str(fake.peer_id))
        self.assertEqual(fake.errors, [])
        self.assertExit(result, 1)
        self.assertIn("lie.bin", result.err)
        self.assertFalse(os.path.lexists(os.path.join(self.asker.download_dir, "lie.bin")),
                         "a failed download left a file under the final name")
        wait_for(lambda: partial_files(self.asker.download_dir) == [],
                 "the partial file of a failed download to be removed")
        self.assert_still_serving()

    def test_holder_that_sends_fewer_bytes_than_announced(self):
        body = content("hostile: short", 200 * 1024)

        def serve(conn, get_payload):
            conn.sendall(get_ok(len(body)) + body[:-1000])
        self.assert_fetch_fails_cleanly(self.fake_holder("shorty", body, serve))

    def test_holder_that_announces_more_than_the_index_listed(self):
        # Regression: GET_OK with 40,000 instead of the listed 20,000 bytes,
        # then 40,000 bytes, made a 40,000-byte download: a hostile holder
        # could fill the downloader's disk. Refused before a byte is written.
        listed = content("hostile: listed", 20_000)
        oversized = content("hostile: oversized", 40_000)

        def serve(conn, get_payload):
            conn.sendall(get_ok(len(oversized)) + oversized)
        fake = self.fake_holder("bloater", listed, serve)
        result = self.ctl(self.asker, "fetch", "lie.bin", "--peer", str(fake.peer_id))
        self.assertExit(result, 1)
        self.assertIn("the holder announced 40000 bytes, the index listed 20000", result.err)
        self.assertFalse(os.path.lexists(os.path.join(self.asker.download_dir, "lie.bin")))
        self.assertEqual(partial_files(self.asker.download_dir), [], "a partial file was created")
        self.assert_still_serving()

    def test_napeerd_stopping_mid_download_leaves_no_file(self):
        body = content("hostile: stall", 1024 * 1024)
        release = threading.Event()

        def serve(conn, get_payload):
            conn.sendall(get_ok(len(body)) + body[:len(body) // 2])
            release.wait(6 * DEADLINE)  # then stall until the test ends

        fake = self.fake_holder("staller", body, serve)
        self.addCleanup(release.set)
        argv = [NAPCTL, "--socket", self.asker.socket_path, "fetch", "lie.bin", "--peer", str(fake.peer_id)]
        napctl = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.addCleanup(lambda: napctl.poll() is None and napctl.kill())
        # Wait until half the file sits in the temporary file.
        wait_for(lambda: any(os.path.getsize(os.path.join(os.fsencode(self.asker.download_dir), n))
                             >= len(body) // 2 for n in partial_files(self.asker.download_dir)),
                 "the partial download to reach half the file")
        self.daemons.remove(self.asker)
        self.assertEqual(self.asker.terminate_and_check(), [])
        out, err = napctl.communicate(timeout=DEADLINE)
        self.assertEqual(napctl.returncode, 1, err)
        self.assertFalse(os.path.lexists(os.path.join(self.asker.download_dir, "lie.bin")))
        self.assertEqual(partial_files(self.asker.download_dir), [],
                         "an interrupted download left its temporary file")
        release.set()

    def test_holder_that_answers_garbage(self):
        def serve(conn, get_payload):
            conn.sendall(random.Random(3).randbytes(5000))
        self.assert_fetch_fails_cleanly(self.fake_holder("noisy", b"x" * 5000, serve))

    def test_holder_that_answers_an_error(self):
        def serve(conn, get_payload):
            conn.sendall(frame(ERROR, u16(ERR_NOT_FOUND) + str16("gone")))
        self.assert_fetch_fails_cleanly(self.fake_holder("refuser", b"x" * 5000, serve))


if __name__ == "__main__":
    main()
