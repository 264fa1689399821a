#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Multi-source downloads (napster-protocol(7), "How napeerd downloads"):

- Three holders of one content serve it in parallel: the file arrives
  intact and each holder sent part of it.
- A holder killed with SIGKILL in the middle of its range: its blocks go to
  the other holder and the download completes; until then napctl status
  names both holders as in use.
- The endgame: a holder that sends nothing of its range has it copied to
  the holder that has finished its own, and is stopped when outrun.
- A holder at upload.max_concurrent = 1 answers busy: the downloader says
  so, waits with backoff, asks again and completes once the slot is free.

Timing is made deterministic without sleeps: the killed holder is a Python
process that sends one block of its range and then waits to be killed, the
other holder is stopped (SIGSTOP) until then, and the busy slot is held by
a raw client that does not read its bytes until the downloader has logged
that it was told busy.
"""

import os
import re
import signal
import subprocess
import sys
import threading

from harness import (BLOCK_SIZE, CHANNEL_TRANSFER, DEADLINE, GET_OK, FakeHolder, NapsterTestCase, RawClient, content,
                     get_ok, get_request, main, parse_get, parse_get_ok, partial_files, tree_leaves,
                     tree_root, wait_for)

MIB = BLOCK_SIZE

# A holder in a process of its own, so the test can SIGKILL it: it
# registers big.bin, answers GET_HASHES honestly, and to a GET sends
# GET_OK and the first block of the range asked for, prints "sent OFFSET
# LENGTH", and holds the connection until it is killed.
VICTIM = r"""
import sys, threading
from harness import BLOCK_SIZE, FakeHolder, content, get_ok, parse_get, tree_leaves, tree_root
port, size, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
data = content(tag, size)
root = tree_root(data)

def serve(conn, payload):
    get = parse_get(payload)
    length = get["length"] or size - get["offset"]
    conn.sendall(get_ok(size, offset=get["offset"], length=length, root=root)
                 + data[get["offset"]:get["offset"] + BLOCK_SIZE])
    print("sent", get["offset"], length, flush=True)
    threading.Event().wait()

holder = FakeHolder(port, "victim", {1: ("big.bin", size, root)}, serve, leaves={1: tree_leaves(data)})
print("registered", holder.peer_id, flush=True)
threading.Event().wait()
"""


def sent_bytes(holder, name, downloader):
    """The bytes each complete upload of `name` to `downloader` sent, per the holder's log."""
    pattern = (rf"upload of {re.escape(name)} to peer {downloader.peer_id} \(downloader\) at .*: "
               rf"(\d+) of \d+ bytes sent, complete$")
    return [int(re.search(pattern, line).group(1)) for line in holder.lines_matching(pattern)]


class MultiSource(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()

    def peer(self, name, files=None, **sections):
        return self.start_peer(name, self.index, files=files, extra_sections=sections)

    def wait_holders(self, asker, name, root_hex, count):
        def listed():
            _, doc = self.search_json(asker, name, exact=True)
            hits = [f for f in doc["files"] if f["root"] == root_hex]
            return len(hits) == 1 and len(hits[0]["holders"]) == count
        wait_for(listed, f"the index to list {count} holders of {name}")

    def assert_saved(self, downloader, name, data):
        with open(os.path.join(downloader.download_dir, name), "rb") as f:
            self.assertTrue(f.read() == data, f"the saved {name} is not the content")
        self.assertEqual(partial_files(downloader.download_dir), [])

    def test_three_holders_each_send_part_of_the_file(self):
        data = content("multi source: three", 24 * MIB)
        holders = [self.peer(name, {"three.bin": data}) for name in ("a", "b", "c")]
        downloader = self.peer("downloader")
        self.wait_holders(downloader, "three.bin", tree_root(data).hex(), 3)
        result = self.ctl(downloader, "fetch", "three.bin", "--json")
        self.assertExit(result, 0)
        self.assertTrue(result.json()["verified"])
        self.assert_saved(downloader, "three.bin", data)
        downloader.wait_log(r"fetching three\.bin from up to 3 of 3 holders$")
        served = [sent_bytes(h, "three.bin", downloader) for h in holders]
        for holder, sent in zip(holders, served):
            self.assertTrue(sent and all(n > 0 for n in sent), f"{holder.name} sent no part: {served}")
            self.assertTrue(all(n % MIB == 0 for n in sent), f"ranges are whole blocks: {served}")
        # Copies in the endgame may send a range twice; nothing is missing.
        self.assertGreaterEqual(sum(map(sum, served)), len(data))
        done = downloader.wait_log(r"downloaded three\.bin from (.*): \d+ bytes in").group(1)
        for holder in holders:
            self.assertIn(f"peer {holder.peer_id} ({holder.name})", done)

    def test_a_holder_killed_mid_range_leaves_its_blocks_to_the_other(self):
        tag = "multi source: killed"
        data = content(tag, 16 * MIB)
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.abspath(__file__)))
        victim = subprocess.Popen([sys.executable, "-c", VICTIM, str(self.index.port), str(len(data)), tag],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=env, text=True)

        def reap():
            if victim.poll() is None:
                victim.kill()
            victim.communicate()
        self.addCleanup(reap)
        registered = victim.stdout.readline().split()
        self.assertEqual(registered[:1], ["registered"], victim.stderr.read() if victim.poll() is not None else "")
        victim_id = int(registered[1])

        honest = self.peer("honest", {"big.bin": data})
        downloader = self.peer("downloader")
        self.wait_holders(downloader, "big.bin", tree_root(data).hex(), 2)
        # The victim registered first, so it is asked first (for the block
        # hashes and the first range); the honest holder is held back until
        # the victim is gone, so the blocks left of its range must move.
        honest.signal(signal.SIGSTOP)
        self.addCleanup(honest.signal, signal.SIGCONT)
        fetch = self.start_fetch(downloader, "big.bin", "--json")
        sent = victim.stdout.readline().split()
        self.assertEqual(sent, ["sent", "0", str(2 * MIB)], "the victim's first range is two blocks")
        # Both holders are in use now: napctl status says which.
        status = self.ctl(downloader, "status", "--json")
        self.assertExit(status, 0)
        self.assertEqual(sorted((s["peer_id"], s["peer_name"]) for s in status.json()["download_sources"]),
                         [(victim_id, "victim"), (honest.peer_id, "honest")])
        text = self.ctl(downloader, "status")
        self.assertIn(f"from 2 holders: peer {victim_id} (victim), peer {honest.peer_id} (honest)\n", text.out)
        victim.kill()
        victim.wait(DEADLINE)
        downloader.wait_log(rf"download of big\.bin from peer {victim_id} \(victim\) failed: ")
        honest.signal(signal.SIGCONT)

        out, err = fetch.communicate(timeout=DEADLINE)
        self.assertEqual(fetch.returncode, 0, err)
        self.assert_saved(downloader, "big.bin", data)
        done = downloader.wait_log(r"downloaded big\.bin from (.*): \d+ bytes in").group(1)
        self.assertIn(f"peer {honest.peer_id} (honest)", done)
        # The honest holder sent everything the victim did not have
        # verified: the block it sent, if it arrived whole, and nothing else.
        victim_block = MIB if f"peer {victim_id} (victim)" in done else 0
        honest.wait_log(r"upload of big\.bin to .* bytes sent, complete$")
        self.assertEqual(sum(sent_bytes(honest, "big.bin", downloader)) + victim_block, len(data))

    def test_the_last_range_is_copied_to_a_faster_holder_and_the_slow_one_is_stopped(self):
        data = content("multi source: endgame", 8 * MIB)
        root = tree_root(data)
        release = threading.Event()

        def serve(conn, payload):
            # GET_OK, then nothing until the test ends: the slowest holder.
            get = parse_get(payload)
            conn.sendall(get_ok(len(data), offset=get["offset"], length=get["length"] or len(data) - get["offset"],
                                root=root))
            release.wait(DEADLINE)

        slow = FakeHolder(self.index.port, "slow", {1: ("end.bin", len(data), root)}, serve,
                          leaves={1: tree_leaves(data)})
        self.addCleanup(slow.close)
        self.addCleanup(release.set)  # before slow.close, which waits for serve to return
        honest = self.peer("honest", {"end.bin": data})
        downloader = self.peer("downloader")
        self.wait_holders(downloader, "end.bin", root.hex(), 2)
        result = self.ctl(downloader, "fetch", "end.bin", "--json")
        self.assertExit(result, 0)
        self.assert_saved(downloader, "end.bin", data)
        # The slow holder was asked first (it registered first) for one block.
        self.assertEqual([(g["offset"], g["length"]) for g in map(parse_get, slow.requests)], [(0, MIB)])
        downloader.wait_log(rf"peer {slow.peer_id} \(slow\) was outrun by peer {honest.peer_id} \(honest\) for the "
                            rf"last blocks of end\.bin; it is stopped$")
        downloader.wait_log(rf"downloaded end\.bin from peer {honest.peer_id} \(honest\): {len(data)} bytes in")
        self.assertEqual(sum(sent_bytes(honest, "end.bin", downloader)), len(data))
        self.assertEqual(downloader.lines_matching(r"download of end\.bin from .* failed"), [])
        self.assertEqual(slow.errors, [])

    def test_a_busy_holder_is_asked_again_after_a_backoff(self):
        data = content("multi source: busy", 24 * MIB)
        holder = self.peer("holder", {"busy.bin": data}, upload={"max_concurrent": 1})
        downloader = self.peer("downloader")
        self.wait_holders(downloader, "busy.bin", tree_root(data).hex(), 1)
        _, doc = self.search_json(downloader, "busy.bin", exact=True)
        file_id = doc["files"][0]["holders"][0]["file_id"]

        # The first downloader takes the one upload slot and reads nothing
        # past GET_OK until the second has been told busy.
        first = RawClient(("127.0.0.1", holder.upload_port))
        self.addCleanup(first.close)
        first.handshake(CHANNEL_TRANSFER)
        first.send(get_request(file_id, b"busy.bin", requester_name=b"first"))
        reply = first.read_frame()
        self.assertEqual(reply[0], GET_OK, reply)
        self.assertEqual(parse_get_ok(reply[1])[3], len(data))

        mark = holder.mark()
        fetch = self.start_fetch(downloader, "busy.bin")
        downloader.wait_log(rf"peer {holder.peer_id} \(holder\) is busy for busy\.bin; trying another holder$")
        downloader.wait_log(r"every holder of busy\.bin is busy; asking again in \d+\.\d s$")
        holder.wait_log(rf"upload of busy\.bin to peer {downloader.peer_id} \(downloader\) at .*: 0 of 0 bytes sent, "
                        r"refused: this peer is sending 1 uploads \(upload\.max_concurrent\)", since=mark)

        body = first.read_raw(len(data))
        self.assertTrue(body == data, "the first downloader's bytes are not the content")
        first.close()
        out, err = fetch.communicate(timeout=DEADLINE)
        self.assertEqual(fetch.returncode, 0, err)
        self.assert_saved(downloader, "busy.bin", data)
        self.assertEqual(sent_bytes(holder, "busy.bin", downloader), [len(data)])


if __name__ == "__main__":
    main()
