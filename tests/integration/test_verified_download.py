#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Verified downloads against hostile counterparts (napster-protocol(7),
TRANSFER CHANNEL and "How napeerd downloads").

- A holder whose file changes while it is sent stops before it sends a byte
  of the new content; a GET for a root it does not have is not_found.
- A downloader whose holder's file is overwritten mid-transfer never ends
  with a file of mixed content.
- A holder that lies about the size is refused before a byte is written; one
  that sends a bad block is dropped and the next holder goes on from the
  first unverified block; one that trickles is dropped for download.min_rate.
- A download killed with SIGKILL resumes by itself after a restart, from
  another holder, from its verified blocks.
- Partials older than download.keep_partial, and partial files no state
  describes, are removed at the next start, with or without an index.

The fake holders (harness.FakeHolder) register before the real ones: the
index lists holders by peer ID and napeerd tries them in that order, so
the hostile one is always tried first.
"""

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import threading
import time
import unittest

from harness import (BLOCK_SIZE, CHANNEL_TRANSFER, DEADLINE, ERR_IO, ERR_NOT_FOUND, ERROR, GET_OK, HASHES,
                     FakeHolder, NapsterTestCase, Peer, RawClient, content, get_hashes_request, get_ok,
                     get_request, main, parse_error, parse_get, parse_get_ok, parse_hashes, partial_files,
                     tree_leaves, tree_root, tree_root_of_leaves, wait_for)

MIB = BLOCK_SIZE


def decode_state(data):
    """A resume state (daemon/fs/resume_state.h) as (root, size, name,
    output_dir, [verified block numbers]); None when torn or not one."""
    if len(data) < 8 + 4 + 32 + 8 + 4 + 32 or data[:8] != b"NAPRESUM":
        return None
    at = 12
    root = data[at:at + 32]
    at += 32
    (size,) = struct.unpack(">Q", data[at:at + 8])
    at += 8
    fields = []
    for _ in range(2):
        (length,) = struct.unpack(">H", data[at:at + 2])
        fields.append(data[at + 2:at + 2 + length])
        at += 2 + length
    blocks = max(1, -(-size // MIB))
    bitmap = data[at:at + (blocks + 7) // 8]
    verified = [i for i in range(blocks) if bitmap[i // 8] & (0x80 >> (i % 8))]
    return root, size, fields[0], fields[1], verified


def syscalls_by_thread(trace):
    """strace -f output as {tid: ["name(args) = result", ...]}, each call
    whole even when another thread's cut it in two."""
    calls, unfinished = {}, {}
    for line in trace.splitlines():
        tid, _, call = line.partition(" ")
        call = call.strip()
        if call.endswith("<unfinished ...>"):
            unfinished[tid] = call[:-len("<unfinished ...>")].rstrip()
            continue
        resumed = re.match(r"<\.\.\. \w+ resumed>(.*)", call)
        if resumed:
            call = unfinished.pop(tid, "") + resumed.group(1)
        calls.setdefault(tid, []).append(re.sub(r"\)\s+= ", ") = ", call))  # strace pads short calls
    return calls


def hash_cache_file(entries):
    """A hash cache file (daemon/content/hash_cache.h) of (os.stat_result,
    root, leaves) entries, whatever the files hold."""
    body = b"NAPHASHC" + struct.pack(">IQ", 1, len(entries))
    for st, root, leaves in entries:
        body += struct.pack(">QQQqq", st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        body += root + b"".join(leaves)
    return body + hashlib.sha256(body).digest()


class Content:
    """Bytes with their leaves and root, as a holder announces them."""

    def __init__(self, tag, size):
        self.data = content(tag, size)
        self.leaves = tree_leaves(self.data)
        self.root = tree_root(self.data)
        self.hex = self.root.hex()

    def __len__(self):
        return len(self.data)


def send_quietly(conn, data):
    """Sends; False once the downloader has hung up (as it may, on purpose)."""
    try:
        conn.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


class VerifiedDownload(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()

    # ------------------------------------------------------------ helpers

    def peer(self, name, files=None, **sections):
        return self.start_peer(name, self.index, files=files, extra_sections=sections)

    def again(self, old, step, wait_connected=True, **sections):
        """`old` started again (after it stopped or was killed): the same
        name, dirs and state dir; its log in a workdir of its own."""
        peer = Peer(self.tmp / f"{old.name}-{step}", old.name, self.index.port, share_dirs=old.share_dirs,
                    download_dir=old.download_dir, state_dir=old.state_dir, extra_sections=sections,
                    wait_connected=wait_connected)
        self.daemons.append(peer)
        return peer

    def stop(self, peer):
        problems = peer.terminate_and_check()
        self.daemons.remove(peer)
        self.assertEqual(problems, [])

    def status(self, peer):
        result = self.ctl(peer, "status", "--json")
        self.assertExit(result, 0)
        return result.json()

    def wait_holders(self, asker, name, root_hex, peer_ids):
        """Waits until the index lists exactly these holders for the content."""
        def listed():
            _, doc = self.search_json(asker, name, exact=True)
            hits = [f for f in doc["files"] if f["root"] == root_hex]
            return len(hits) == 1 and sorted(h["peer_id"] for h in hits[0]["holders"]) == sorted(peer_ids)
        wait_for(listed, f"the index to list {name} ({root_hex[:12]}) at peers {sorted(peer_ids)}")

    def fake(self, name, files, serve):
        """A FakeHolder of Content objects {file_id: (name, Content)},
        announced with their true roots and answering GET_HASHES honestly."""
        holder = FakeHolder(self.index.port, name,
                            {fid: (fname, len(c), c.root) for fid, (fname, c) in files.items()}, serve,
                            leaves={fid: c.leaves for fid, (fname, c) in files.items()})
        self.addCleanup(holder.close)
        return holder

    def state_path(self, peer_workdir, item):
        return self.tmp / peer_workdir / "state" / "partials" / f"{item.hex}.state"

    def part_path(self, peer, item):
        return os.path.join(peer.download_dir, f".napster-{item.hex}.part")

    def fetch_json(self, downloader, *args):
        """FETCH_DONE of a napctl fetch that must succeed."""
        result = self.ctl(downloader, "fetch", *args, "--json")
        self.assertExit(result, 0)
        return result.json()

    def fetch_fails(self, downloader, name, why):
        """A napctl fetch of `name` that must fail, saying `why`."""
        result = self.ctl(downloader, "fetch", name)
        self.assertExit(result, 1)
        self.assertIn(why, result.err)

    def assert_saved(self, downloader, name, item):
        """`name` is saved whole with `item`'s bytes, and no partial file is left."""
        with open(os.path.join(downloader.download_dir, name), "rb") as f:
            self.assertTrue(f.read() == item.data, f"the saved {name} is not the content")
        self.assertEqual(partial_files(downloader.download_dir), [])

    def shared_file(self, peer, rel):
        result = self.ctl(peer, "shares", "--json")
        self.assertExit(result, 0)
        return [f for f in result.json()["files"] if f["rel_path"] == rel][0]

    # ------------------------------------------------------------ the holder's side

    def test_the_holder_stops_when_its_file_changes_while_sent(self):
        big = Content("verified: changing", 64 * MIB)
        holder = self.peer("holder", {"big.bin": big.data})
        holder.wait_hashed()
        entry = self.shared_file(holder, "big.bin")
        self.assertEqual(entry["root"], big.hex)
        address = ("127.0.0.1", holder.upload_port)

        # Not its content: not_found, for GET and for GET_HASHES, and nothing sent.
        other = tree_root(b"some other content")
        with RawClient(address) as raw:
            raw.handshake(CHANNEL_TRANSFER)
            raw.send(get_request(entry["file_id"], b"big.bin", requester_name=b"raw", root=other))
            reply = raw.read_frame()
            self.assertEqual(reply[0], ERROR, reply)
            code, text = parse_error(reply[1])
            self.assertEqual(code, ERR_NOT_FOUND, text)
            self.assertIn("not the content asked for", text)
            self.assertEqual(raw.wait_closed(), b"")
        with RawClient(address) as raw:
            raw.handshake(CHANNEL_TRANSFER)
            raw.send(get_hashes_request(entry["file_id"], b"big.bin", other, 0, 64))
            reply = raw.read_frame()
            self.assertEqual(reply[0], ERROR, reply)
            self.assertEqual(parse_error(reply[1])[0], ERR_NOT_FOUND)
        # Its content: the true leaves.
        with RawClient(address) as raw:
            raw.handshake(CHANNEL_TRANSFER)
            raw.send(get_hashes_request(entry["file_id"], b"big.bin", big.root, 0, 16384))
            reply = raw.read_frame()
            self.assertEqual(reply[0], HASHES, reply)
            self.assertEqual(parse_hashes(reply[1]), (big.root, len(big), 0, big.leaves))

        # A slow reader takes the first MiB, the file is rewritten in place
        # far past what the holder can have read ahead, then the reader
        # takes what comes: the holder must stop before the end, and every
        # byte it sent must be the old content.
        with RawClient(address) as raw:
            raw.handshake(CHANNEL_TRANSFER)
            raw.send(get_request(entry["file_id"], b"big.bin", requester_name=b"slow", root=big.root))
            reply = raw.read_frame()
            self.assertEqual(reply[0], GET_OK, reply)
            self.assertEqual(parse_get_ok(reply[1]), (len(big), big.root, 0, len(big)))
            first = raw.read_raw(MIB)
            self.assertEqual(first, big.data[:MIB])
            with open(holder.share_dir / "big.bin", "r+b") as f:  # dd conv=notrunc
                f.seek(48 * MIB)
                f.write(b"\xff" * MIB)
            rest = raw.wait_closed(timeout=3 * DEADLINE)
        received = first + rest
        self.assertLess(len(received), len(big), "the holder sent the whole file after it changed")
        self.assertTrue(received == big.data[:len(received)], "the holder sent bytes of the changed file")
        # requester_id 0xFFFFFFFF: the log names the address alone.
        found = holder.wait_log(r"upload of big\.bin to 127\.0\.0\.1:\d+: (\d+) of (\d+) bytes sent, "
                                r"failed: the file changed while being sent$")
        self.assertEqual(int(found.group(2)), len(big))
        self.assertGreaterEqual(int(found.group(1)), len(received))
        self.assertLess(int(found.group(1)), len(big))
        self.assertAlive(holder)

    def test_a_block_that_does_not_match_its_hash_ends_the_upload_and_the_file_is_hashed_again(self):
        # Bytes can change with size, mtime and ctime as they were (two
        # writes within one tick of the file system's clock, a disk that
        # returns other bytes, a hash cache that lies; ctime cannot be set
        # back from user space, so a test cannot do it by writing): stat
        # does not show it, the leaf of each block read does. Here the hash
        # cache lies: it holds, under the files' true stat, leaves whose
        # block 1 is another block's (and a root made from them).
        lied = Content("verified: lied about", 3 * MIB)
        ranged = Content("verified: ranged", 3 * MIB)
        share = self.tmp / "holder-share"
        share.mkdir()
        state = self.tmp / "holder-state"
        state.mkdir()
        stale = {}
        entries = []
        for name, item in (("lied.bin", lied), ("ranged.bin", ranged)):
            (share / name).write_bytes(item.data)
            leaves = list(item.leaves)
            leaves[1] = tree_leaves(b"not what block 1 holds")[0]
            stale[name] = tree_root_of_leaves(leaves)
            entries.append((os.stat(share / name), stale[name], leaves))
        (state / "hash-cache").write_bytes(hash_cache_file(entries))

        holder = self.start_peer("holder", self.index, share_dirs=[str(share)], state_dir=state)
        holder.wait_log(r"2 files hashed before \(hash cache\)$")
        self.assertEqual(self.shared_file(holder, "lied.bin")["root"], stale["lied.bin"].hex())
        downloader = self.peer("downloader")
        self.wait_holders(downloader, "lied.bin", stale["lied.bin"].hex(), [holder.peer_id])

        # A fetch of what the index lists: block 0 matches and is sent;
        # block 1 does not, and the upload ends there.
        self.fetch_fails(downloader, "lied.bin", "after 1048576 of 3145728 bytes")
        holder.wait_log(rf"upload of lied\.bin to peer {downloader.peer_id} \(downloader\) at .*: "
                        rf"1048576 of 3145728 bytes sent, failed: block 1 of lied\.bin does not match its hash: "
                        rf"the file changed while it was sent$")
        holder.wait_log(r"warn: hashing lied\.bin again: its bytes do not match its hashes although its stat "
                        r"did not change$")
        self.assertFalse(os.path.lexists(os.path.join(downloader.download_dir, "lied.bin")))
        # Hashed again, the index hears the true root, and a fetch of it
        # completes from the same holder.
        self.wait_holders(downloader, "lied.bin", lied.hex, [holder.peer_id])
        result = self.ctl(downloader, "fetch", "lied.bin", "--json")
        self.assertExit(result, 0)
        done = result.json()
        self.assertEqual((done["peer_id"], done["root"], done["verified"]), (holder.peer_id, lied.hex, True))
        with open(os.path.join(downloader.download_dir, "lied.bin"), "rb") as f:
            self.assertTrue(f.read() == lied.data, "the saved file is not the content")

        # A range that starts and ends inside block 1: the whole block is
        # read and checked against its (wrong) leaf, and as the first read
        # comes before GET_OK, the downloader is told why with ERROR.
        entry = self.shared_file(holder, "ranged.bin")
        self.assertEqual(entry["root"], stale["ranged.bin"].hex())
        with RawClient(("127.0.0.1", holder.upload_port)) as raw:
            raw.handshake(CHANNEL_TRANSFER)
            raw.send(get_request(entry["file_id"], b"ranged.bin", requester_name=b"raw", offset=MIB + 1000,
                                 length=100, root=stale["ranged.bin"]))
            reply = raw.read_frame()
            self.assertEqual(reply[0], ERROR, reply)
            self.assertEqual(parse_error(reply[1]), (ERR_IO, "block 1 of ranged.bin does not match its hash: "
                                                             "the file changed while it was sent"))
            self.assertEqual(raw.wait_closed(), b"")
        wait_for(lambda: self.shared_file(holder, "ranged.bin")["root"] == ranged.hex,
                 "ranged.bin to be hashed again")
        # Ranges of the true content, inside a block and across one, are
        # served: each from its whole, checked block.
        entry = self.shared_file(holder, "ranged.bin")
        for offset, length in ((MIB + 1000, 100), (MIB - 10, 20), (2 * MIB + 5, 0)):
            with RawClient(("127.0.0.1", holder.upload_port)) as raw:
                raw.handshake(CHANNEL_TRANSFER)
                raw.send(get_request(entry["file_id"], b"ranged.bin", requester_name=b"raw", offset=offset,
                                     length=length, root=ranged.root))
                reply = raw.read_frame()
                self.assertEqual(reply[0], GET_OK, reply)
                want = ranged.data[offset:offset + length] if length else ranged.data[offset:]
                self.assertEqual(parse_get_ok(reply[1]), (len(ranged), ranged.root, offset, len(want)))
                self.assertTrue(raw.read_raw(len(want)) == want, f"not the bytes at {offset}")
                self.assertEqual(raw.wait_closed(), b"")
        self.assertAlive(holder, downloader)

    # ------------------------------------------------------------ the downloader's side

    def test_a_file_overwritten_mid_transfer_is_never_saved_mixed(self):
        # 64 MiB between two sanitized napeerds on one machine take long
        # enough that an overwrite made as soon as the holder logs the GET
        # lands mid-transfer in most runs: in each of 6 runs here the holder
        # had sent 0.25 to 7.5 MiB when it ended the upload ("the file
        # changed while being sent") and the fetch failed, keeping 0 to 7
        # verified blocks. When the overwrite lands after the holder read
        # the last block, the download must be the old content, whole.
        movie = Content("verified: movie", 64 * MIB)
        holder = self.peer("holder", {"movie.bin": movie.data})
        downloader = self.peer("downloader")
        holder.wait_hashed()
        self.wait_holders(downloader, "movie.bin", movie.hex, [holder.peer_id])
        fetch = self.start_fetch(downloader, "movie.bin", "--json")
        holder.wait_log(r"requested movie\.bin$", timeout=3 * DEADLINE)
        with open(holder.share_dir / "movie.bin", "r+b") as f:
            f.seek(60 * MIB)
            f.write(b"\x00" * MIB)
        out, err = fetch.communicate(timeout=6 * DEADLINE)
        final = os.path.join(downloader.download_dir, "movie.bin")
        if fetch.returncode == 0:
            print("note: the overwrite came after the holder had read the whole file", flush=True)
            done = json.loads(out)
            self.assertEqual((done["root"], done["verified"]), (movie.hex, True))
            with open(final, "rb") as f:
                self.assertTrue(f.read() == movie.data, "the saved file is not the original content")
        else:
            self.assertEqual(fetch.returncode, 1, err)
            self.assertIn(b"movie.bin", err)
            self.assertFalse(os.path.lexists(final), "a failed download left a final file")
            # What is kept to resume is the old content, block by block.
            state_file = self.state_path("downloader", movie)
            part = self.part_path(downloader, movie)
            if os.path.exists(state_file):
                state = decode_state(state_file.read_bytes())
                self.assertIsNotNone(state)
                with open(part, "rb") as f:
                    for block in state[4]:
                        f.seek(block * MIB)
                        self.assertTrue(f.read(MIB) == movie.data[block * MIB:(block + 1) * MIB],
                                        f"block {block} is kept as verified but is not the old content")
        self.assertAlive(holder, downloader)

    def test_a_holder_announcing_another_size_is_refused_before_a_byte_is_written(self):
        item = Content("verified: sized", 20_000)

        def serve(conn, get_payload):
            # Its true root and leaves, then a GET_OK twice the size and
            # the bytes to fill it.
            send_quietly(conn, get_ok(40_000, root=item.root) + item.data + item.data)

        liar = self.fake("liar", {1: ("sized.bin", item)}, serve)
        downloader = self.peer("downloader")
        self.wait_holders(downloader, "sized.bin", item.hex, [liar.peer_id])
        self.fetch_fails(downloader, "sized.bin", "the holder announced 40000 bytes, the index listed 20000")
        downloader.wait_log(rf"download of sized\.bin from peer {liar.peer_id} \(liar\) failed: "
                            rf".*the holder announced 40000 bytes, the index listed 20000")
        self.assertEqual(len(liar.hash_requests), 1)
        self.assertEqual(len(liar.requests), 1)
        final = os.path.join(downloader.download_dir, "sized.bin")
        self.assertFalse(os.path.lexists(final))
        part = self.part_path(downloader, item)
        self.assertIn(partial_files(downloader.download_dir), ([], [os.fsencode(os.path.basename(part))]))
        if os.path.exists(part):
            self.assertEqual(os.path.getsize(part), 0, "bytes of the refused holder were written")

        # An honest holder of the same content: the liar is tried first
        # again, then the fetch completes, verified, from the honest one.
        honest = self.peer("honest", {"sized.bin": item.data})
        honest.wait_hashed()
        self.wait_holders(downloader, "sized.bin", item.hex, [liar.peer_id, honest.peer_id])
        result = self.ctl(downloader, "fetch", "sized.bin", "--json")
        self.assertExit(result, 0)
        done = result.json()
        self.assertEqual((done["peer_id"], done["root"], done["verified"]), (honest.peer_id, item.hex, True))
        with open(final, "rb") as f:
            self.assertEqual(f.read(), item.data)
        self.assertEqual(len(liar.requests), 2)
        self.assertEqual(len(downloader.lines_matching(rf"download of sized\.bin from peer {liar.peer_id} \(liar\) "
                                                       rf"failed: .*the holder announced 40000 bytes")), 2)
        self.assertFalse(os.path.lexists(part))
        self.assertEqual(liar.errors, [])

    def test_a_bad_block_drops_the_holder_and_the_next_goes_on_from_it(self):
        five = Content("verified: five", 5 * MIB)
        gets = []

        def serve(conn, get_payload):
            get = parse_get(get_payload)
            gets.append(get)
            body = bytearray(five.data[get["offset"]:])
            bad = 2 * MIB + 12345 - get["offset"]
            if 0 <= bad < len(body):
                body[bad] ^= 0x40  # one bit of block 2
            send_quietly(conn, get_ok(len(five), offset=get["offset"], root=five.root) + bytes(body))

        mallory = self.fake("mallory", {7: ("five.bin", five)}, serve)
        honest = self.peer("honest", {"five.bin": five.data})
        # One holder at a time, in the index's order: what this pins is
        # that the next one goes on from the verified blocks
        # (test_multi_source.py has holders in parallel).
        downloader = self.peer("downloader", download={"max_sources": 1})
        honest.wait_hashed()
        self.wait_holders(downloader, "five.bin", five.hex, [mallory.peer_id, honest.peer_id])
        result = self.ctl(downloader, "fetch", "five.bin", "--json")
        self.assertExit(result, 0)
        done = result.json()
        self.assertEqual((done["peer_id"], done["root"], done["verified"], done["size"]),
                         (honest.peer_id, five.hex, True, len(five)))
        with open(os.path.join(downloader.download_dir, "five.bin"), "rb") as f:
            self.assertTrue(f.read() == five.data, "the saved file is not the content")
        self.assertEqual([(g["file_id"], g["name"], g["root"], g["offset"]) for g in gets],
                         [(7, b"five.bin", five.root, 0)])
        downloader.wait_log(rf"warn: peer {mallory.peer_id} \(mallory\) sent bad data for five\.bin: block 2 does "
                            rf"not match its hash; it is dropped for this download$")
        # Blocks 0 and 1 came from mallory and were good: the honest holder
        # is asked from block 2 to the end.
        honest.wait_log(rf"upload of five\.bin to peer {downloader.peer_id} \(downloader\) at .*: "
                        rf"{3 * MIB} of {3 * MIB} bytes sent, complete$")
        self.assertEqual(len(mallory.requests), 1)
        self.assertEqual(mallory.errors, [])
        self.assertEqual(partial_files(downloader.download_dir), [])

    def test_a_download_killed_mid_transfer_resumes_by_itself_after_a_restart(self):
        twelve = Content("verified: twelve", 12 * MIB)
        sent_all = threading.Event()
        release = threading.Event()
        self.addCleanup(release.set)

        def serve(conn, get_payload):
            # Correct bytes for 5 blocks, then nothing more: a stall.
            get = parse_get(get_payload)
            if send_quietly(conn, get_ok(len(twelve), offset=get["offset"], root=twelve.root)
                            + twelve.data[get["offset"]:5 * MIB]):
                sent_all.set()
            release.wait(6 * DEADLINE)

        staller = self.fake("staller", {1: ("twelve.bin", twelve)}, serve)
        downloader = self.peer("downloader")
        self.wait_holders(downloader, "twelve.bin", twelve.hex, [staller.peer_id])
        fetch = self.start_fetch(downloader, "twelve.bin")
        self.assertTrue(sent_all.wait(DEADLINE), f"the staller never sent its 5 MiB: {staller.errors}")
        # The state is saved at most every 2 s while the download runs: wait
        # until it says the 5 blocks are verified, then crash.
        state_file = self.state_path("downloader", twelve)

        def saved_blocks():
            try:
                state = decode_state(state_file.read_bytes())
            except FileNotFoundError:
                return None
            return state and state[4] == [0, 1, 2, 3, 4]

        wait_for(saved_blocks, "the download state to list blocks 0 to 4 as verified")
        downloader.kill_hard()
        fetch.communicate(timeout=DEADLINE)
        self.assertNotEqual(fetch.returncode, 0)
        release.set()
        staller.close()
        part = self.part_path(downloader, twelve)
        self.assertEqual(os.path.getsize(part), 5 * MIB)

        honest = self.peer("honest", {"twelve.bin": twelve.data})
        honest.wait_hashed()
        self.wait_holders(honest, "twelve.bin", twelve.hex, [honest.peer_id])
        # The same configuration, and no napctl command.
        downloader = self.again(downloader, "restarted")
        downloader.wait_log(r"resuming the download of twelve\.bin$")
        downloader.wait_log(r"twelve\.bin: 5 blocks of 12 blocks verified by an earlier fetch; "
                            r"they are checked again$")
        downloader.wait_log(r"resuming twelve\.bin with 5,242,880 of 12,582,912 bytes verified$")
        downloader.wait_log(rf"downloaded twelve\.bin from peer {honest.peer_id} \(honest\): "
                            rf"12582912 bytes in [\d.]+ s, verified {twelve.hex[:12]}, saved as ")
        honest.wait_log(rf"upload of twelve\.bin to peer {downloader.peer_id} \(downloader\) at .*: "
                        rf"{7 * MIB} of {7 * MIB} bytes sent, complete$")
        with open(os.path.join(downloader.download_dir, "twelve.bin"), "rb") as f:
            self.assertTrue(f.read() == twelve.data, "the resumed file is not the content")
        wait_for(lambda: not os.path.exists(part) and not state_file.exists(),
                 "the partial file and its state to be removed")

    def test_a_trickling_holder_is_dropped_for_the_minimum_rate(self):
        slow = Content("verified: slow", 256 * 1024)
        stop = threading.Event()
        self.addCleanup(stop.set)

        def serve(conn, get_payload):
            get = parse_get(get_payload)
            if not send_quietly(conn, get_ok(len(slow), offset=get["offset"], root=slow.root)):
                return
            # One byte every half second: 2 bytes/s, far below 1000.
            for byte in slow.data[get["offset"]:]:
                if stop.wait(0.5) or not send_quietly(conn, bytes([byte])):
                    return

        trickler = self.fake("trickler", {1: ("slow.bin", slow)}, serve)
        honest = self.peer("honest", {"slow.bin": slow.data})
        downloader = self.peer("downloader", download={"min_rate": 1000, "min_rate_window": 2})
        honest.wait_hashed()
        self.wait_holders(downloader, "slow.bin", slow.hex, [trickler.peer_id, honest.peer_id])
        result = self.ctl(downloader, "fetch", "slow.bin", "--json")
        self.assertExit(result, 0)
        done = result.json()
        self.assertEqual((done["peer_id"], done["verified"]), (honest.peer_id, True))
        with open(os.path.join(downloader.download_dir, "slow.bin"), "rb") as f:
            self.assertEqual(f.read(), slow.data)
        found = downloader.wait_log(rf"download of slow\.bin from peer {trickler.peer_id} \(trickler\) failed: "
                                    rf"it sent (\d+) bytes? in (\d+) s, less than download\.min_rate "
                                    rf"\(1000 bytes/s\)")
        self.assertLess(int(found.group(1)), 1000 * int(found.group(2)))
        self.assertEqual(len(trickler.requests), 1)

    @unittest.skipUnless(shutil.which("strace"), "strace is needed to see the system calls")
    def test_the_download_directory_is_synced_after_the_link(self):
        # "Synced and linked" survives a crash only once the directory
        # that holds the new name is synced too.
        item = Content("verified: durable", 100_000)
        holder = self.peer("holder", {"durable.bin": item.data})
        downloader = self.peer("downloader")
        holder.wait_hashed()
        self.wait_holders(downloader, "durable.bin", item.hex, [holder.peer_id])
        trace_path = self.tmp / "downloader.strace"
        strace = subprocess.Popen(["strace", "-f", "-p", str(downloader.pid), "-o", str(trace_path),
                                   "-e", "trace=link,linkat,openat,fsync,accept4"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def detach():
            if strace.poll() is None:
                strace.terminate()  # detaches: napeerd runs on
                strace.wait(DEADLINE)
        self.addCleanup(detach)

        def attached():
            self.status(downloader)  # one accept4 once strace follows every thread
            return trace_path.exists() and "accept4(" in trace_path.read_text()
        wait_for(attached, "strace to attach to napeerd")
        done = self.fetch_json(downloader, "durable.bin")
        self.assertEqual((done["root"], done["verified"]), (item.hex, True))
        self.assert_saved(downloader, "durable.bin", item)
        detach()

        # The partial file is linked to its name relative to the download
        # directory's descriptor (the one a caller's --output would pass),
        # and that same descriptor is synced after the link.
        part_name = os.path.basename(self.part_path(downloader, item))
        opened = rf'openat\(AT_FDCWD, "{re.escape(str(downloader.download_dir))}", [^)]*O_DIRECTORY[^)]*\) = (\d+)'
        calls = syscalls_by_thread(trace_path.read_text())
        dir_fds = {m.group(1) for made in calls.values() for m in (re.fullmatch(opened, c) for c in made) if m}
        self.assertTrue(dir_fds, f"the download directory is never opened: {calls}")
        linked = (rf'linkat\((\d+), "{re.escape(part_name)}", (\d+), "durable\.bin", 0\) = 0')
        order = []
        for tid, made in calls.items():
            for at, call in enumerate(made):
                m = re.fullmatch(linked, call)
                if m and m.group(1) == m.group(2) and m.group(1) in dir_fds:
                    order.append((tid, at, m.group(1)))
        self.assertEqual(len(order), 1, f"no single link of the partial file to its name: {calls}")
        tid, at, dir_fd = order[0]
        after = calls[tid][at + 1:]
        self.assertIn(f"fsync({dir_fd}) = 0", after, f"the download directory is not synced after the link: {after}")

    # ------------------------------------------------------------ content its holders had not hashed

    def unhashed_fake(self, name, files, serve):
        """A FakeHolder of Content objects announced without a root, as a
        holder still hashing them would."""
        holder = FakeHolder(self.index.port, name, {fid: (fname, len(c)) for fid, (fname, c) in files.items()},
                            serve)
        self.addCleanup(holder.close)
        return holder

    def wait_unhashed_holders(self, asker, name, peer_ids):
        def listed():
            _, doc = self.search_json(asker, name, exact=True)
            hits = [f for f in doc["files"] if f.get("root") is None]
            return len(hits) == 1 and sorted(h["peer_id"] for h in hits[0]["holders"]) == sorted(peer_ids)
        wait_for(listed, f"the index to list {name} without a root at peers {sorted(peer_ids)}")

    def test_an_unhashed_file_is_verified_against_the_root_its_holder_names(self):
        item = Content("verified: late root", 2 * MIB + 77)

        def serve(conn, get_payload):
            # Hashed since it was announced: GET_OK names the root.
            send_quietly(conn, get_ok(len(item), root=item.root) + item.data)

        late = self.unhashed_fake("late", {1: ("late.bin", item)}, serve)
        downloader = self.peer("downloader")
        self.wait_unhashed_holders(downloader, "late.bin", [late.peer_id])
        result = self.ctl(downloader, "fetch", "late.bin")
        self.assertExit(result, 0)
        self.assertIn(f"verified {item.hex[:12]}", result.out + result.err)
        self.assertEqual([parse_get(g)["root"] for g in late.requests], [None])
        downloader.wait_log(rf"downloaded late\.bin from peer {late.peer_id} \(late\): {len(item)} bytes in [\d.]+ s, "
                            rf"verified {item.hex[:12]}, saved as ")
        self.assert_saved(downloader, "late.bin", item)
        # Shared on with the hashes it was verified against.
        wait_for(lambda: self.shared_file(downloader, "late.bin").get("root") == item.hex,
                 "late.bin to be shared with its root")
        self.assertEqual(late.errors, [])

    def test_an_unhashed_file_whose_holder_names_a_wrong_root_is_fetched_from_the_next(self):
        item = Content("verified: wrong root", MIB + 5)
        other = tree_root(b"some other content")

        def lying(conn, get_payload):
            # The right bytes, but a root they do not hash to: the
            # downloader cannot tell which is wrong, only that this holder
            # is.
            send_quietly(conn, get_ok(len(item), root=other) + item.data)

        def honest(conn, get_payload):
            send_quietly(conn, get_ok(len(item), root=item.root) + item.data)

        liar = self.unhashed_fake("liar", {1: ("wrong.bin", item)}, lying)
        good = self.unhashed_fake("good", {1: ("wrong.bin", item)}, honest)
        downloader = self.peer("downloader")
        self.wait_unhashed_holders(downloader, "wrong.bin", [liar.peer_id, good.peer_id])
        done = self.fetch_json(downloader, "wrong.bin")
        self.assertEqual((done["peer_id"], done["root"], done["verified"]), (good.peer_id, item.hex, True))
        downloader.wait_log(rf"warn: peer {liar.peer_id} \(liar\) sent bad data for wrong\.bin: the bytes do not "
                            rf"match the root it announced$")
        downloader.wait_log(rf"download of wrong\.bin from peer {liar.peer_id} \(liar\) failed: the bytes do not "
                            rf"match the root it announced$")
        self.assert_saved(downloader, "wrong.bin", item)
        self.assertEqual((len(liar.requests), len(good.requests)), (1, 1))
        # The second holder was asked for the whole file again.
        self.assertEqual(parse_get(good.requests[0])["offset"], 0)
        self.assertEqual(liar.errors + good.errors, [])

    def test_an_unhashed_file_without_a_root_says_it_was_not_verified(self):
        item = Content("verified: no root", 300_000)

        def serve(conn, get_payload):
            send_quietly(conn, get_ok(len(item)) + item.data)

        plain = self.unhashed_fake("plain", {1: ("plain.bin", item)}, serve)
        downloader = self.peer("downloader")
        self.wait_unhashed_holders(downloader, "plain.bin", [plain.peer_id])
        result = self.ctl(downloader, "fetch", "plain.bin")
        self.assertExit(result, 0)
        self.assertIn("not verified: the holder had not hashed it yet", result.out + result.err)
        downloader.wait_log(rf"downloaded plain\.bin from peer {plain.peer_id} \(plain\): {len(item)} bytes in "
                            rf"[\d.]+ s, not verified, saved as ")
        os.unlink(os.path.join(downloader.download_dir, "plain.bin"))
        wait_for(lambda: not any(f["rel_path"] == "plain.bin"
                                 for f in self.ctl(downloader, "shares", "--json").json()["files"]),
                 "plain.bin to leave the share list")
        done = self.fetch_json(downloader, "plain.bin")
        self.assertEqual((done["peer_id"], done["root"], done["verified"], done["size"]),
                         (plain.peer_id, None, False, len(item)))
        self.assert_saved(downloader, "plain.bin", item)
        self.assertEqual(plain.errors, [])

    # ------------------------------------------------------------ partials

    def test_a_later_fetch_in_the_same_run_resumes_from_the_verified_blocks(self):
        four = Content("verified: four", 4 * MIB)

        def serve(conn, get_payload):
            # Two good blocks, then the holder hangs up.
            get = parse_get(get_payload)
            send_quietly(conn, get_ok(len(four), offset=get["offset"], root=four.root)
                         + four.data[get["offset"]:2 * MIB])

        quitter = self.fake("quitter", {1: ("four.bin", four)}, serve)
        downloader = self.peer("downloader")
        self.wait_holders(downloader, "four.bin", four.hex, [quitter.peer_id])
        self.fetch_fails(downloader, "four.bin", "2,097,152 of 4,194,304 bytes are verified and kept to resume")
        self.assertEqual(partial_files(downloader.download_dir), [os.fsencode(f".napster-{four.hex}.part")])
        index_mark = self.index.mark()
        quitter.close()
        self.index.wait_log(rf"peer {quitter.peer_id} \(quitter\) disconnected", since=index_mark)

        # The same napeerd, no restart: the next fetch starts from block 2.
        honest = self.peer("honest", {"four.bin": four.data})
        honest.wait_hashed()
        self.wait_holders(downloader, "four.bin", four.hex, [honest.peer_id])
        mark = downloader.mark()
        done = self.fetch_json(downloader, "four.bin")
        self.assertEqual((done["peer_id"], done["root"], done["verified"]), (honest.peer_id, four.hex, True))
        downloader.wait_log(r"four\.bin: 2 blocks of 4 blocks verified by an earlier fetch; they are checked again$",
                            since=mark)
        downloader.wait_log(r"resuming four\.bin with 2,097,152 of 4,194,304 bytes verified$", since=mark)
        honest.wait_log(rf"upload of four\.bin to peer {downloader.peer_id} \(downloader\) at .*: "
                        rf"{2 * MIB} of {2 * MIB} bytes sent, complete$")
        self.assert_saved(downloader, "four.bin", four)
        self.assertEqual(quitter.errors, [])

    def test_stale_and_orphan_partials_are_removed_at_start(self):
        old = Content("verified: old partial", 3 * MIB)
        recent = Content("verified: recent partial", 3 * MIB)

        sections = {"download": {"keep_partial": 3600}}
        downloader = self.peer("downloader", **sections)

        def serve(conn, get_payload):
            # Two and a half good blocks, then the holder hangs up at once:
            # the whole blocks that arrived before it left are still
            # checked and written, however the close races napeerd's disk
            # writes; the half block is not (only checked blocks are
            # written, so several holders never mix bytes in one block).
            get = parse_get(get_payload)
            item = old if get["file_id"] == 1 else recent
            send_quietly(conn, get_ok(len(item), offset=get["offset"], root=item.root)
                         + item.data[get["offset"]:2 * MIB + MIB // 2])

        quitter = self.fake("quitter", {1: ("old.bin", old), 2: ("recent.bin", recent)}, serve)
        for name, item in (("old.bin", old), ("recent.bin", recent)):
            self.wait_holders(downloader, name, item.hex, [quitter.peer_id])
            result = self.ctl(downloader, "fetch", name)
            self.assertExit(result, 1)
            self.assertIn("2,097,152 of 3,145,728 bytes are verified and kept to resume", result.err)
        self.assertEqual(quitter.errors, [])
        index_mark = self.index.mark()
        quitter.close()
        self.index.wait_log(rf"peer {quitter.peer_id} \(quitter\) disconnected", since=index_mark)
        self.stop(downloader)
        states = {item: self.state_path("downloader", item) for item in (old, recent)}
        parts = {item: self.part_path(downloader, item) for item in (old, recent)}
        for item in (old, recent):
            self.assertEqual(decode_state(states[item].read_bytes())[4], [0, 1])
            self.assertEqual(os.path.getsize(parts[item]), 2 * MIB)
        two_days_ago = time.time() - 2 * 86400
        os.utime(states[old], (two_days_ago, two_days_ago))
        orphan = os.path.join(downloader.download_dir, ".napster-0123456789abcdef-x.part")
        with open(orphan, "wb") as f:
            f.write(b"left by a download of content without a root")

        # The index is down: the removal does not wait for it.
        self.stop(self.index)
        downloader = self.again(downloader, "restarted", wait_connected=False, **sections)
        downloader.wait_log(r"removing the partial download of old\.bin \(2,097,152 of 3,145,728 bytes\), "
                            r"untouched for 2 days \(download\.keep_partial\)$")
        downloader.wait_log(r"removing 1 partial file left by interrupted downloads that cannot resume$")
        wait_for(lambda: not os.path.lexists(orphan) and not os.path.lexists(parts[old])
                 and not os.path.lexists(states[old]), "the stale partial and the orphan to be removed")
        self.assertNotEqual(self.status(downloader)["index_state"], "connected")
        # The recent one is kept, and waits for an index to find holders.
        self.assertTrue(os.path.exists(states[recent]))
        self.assertEqual(os.path.getsize(parts[recent]), 2 * MIB)
        self.assertEqual(downloader.lines_matching(r"removing the partial download of recent\.bin"), [])
        self.assertEqual(downloader.lines_matching(r"recent\.bin"), [])

        # With an index again: nobody holds it now, so it still waits.
        self.stop(downloader)
        self.index = self.start_index("index-again")
        downloader = self.again(downloader, "with-index", **sections)
        downloader.wait_log(r"the partial download of recent\.bin is kept for later: ")
        self.assertTrue(os.path.exists(states[recent]))
        self.assertEqual(os.path.getsize(parts[recent]), 2 * MIB)
        self.assertEqual(downloader.lines_matching(r"removing the partial download"), [])


if __name__ == "__main__":
    main()
