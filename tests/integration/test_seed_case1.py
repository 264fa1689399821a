# SPDX-License-Identifier: MIT
"""The seed transcript's Case 1 (file download), run against the real daemons.

Peer p1 shares file1_1.txt..file10_1.txt, peer p3 shares file8_3.txt and a
few more. p1 looks for file8_3 (not found as a whole name), then for
file8_3.txt (found at p3), downloads it; p3 logs the upload, and the index
hears of p1's one new file without a re-send of p1's whole list.
"""

import os
import re
import socket

from harness import (FakeHolder, NapsterTestCase, content, get_ok, main, partial_files, sha256,
                     wait_for)

P1_FILES = {f"file{i}_1.txt": f"file {i} of peer 1: {'x' * i}\n".encode() for i in range(1, 11)}
P3_FILES = {
    "file8_3.txt": b"file 8 of peer 3\n",
    "file1_3.txt": b"file 1 of peer 3\n",
    "file2_3.txt": b"file 2 of peer 3, a little longer\n",
}


class SeedCase1(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.index = self.start_index()
        self.p1 = self.start_peer("p1", self.index, files=P1_FILES)
        self.p3 = self.start_peer("p3", self.index, files=P3_FILES)

    def test_peers_get_the_seeds_ids_and_sync_their_lists(self):
        # The seed's peers got IDs 0 and 1 in the order they connected.
        self.assertEqual((self.p1.peer_id, self.p3.peer_id), (0, 1))
        self.assertEqual(self.p1.shared_count, 10)
        self.index.wait_log(r"peer 0 \(p1\) connected from 127\.0\.0\.1, upload port "
                            + str(self.p1.upload_port) + "$")
        added = self.index.wait_log(r"peer 0 \(p1\) added 10 files: (.*)$")
        self.assertEqual(set(added.group(1).split(", ")), set(P1_FILES))
        self.index.wait_log(r"peer 1 \(p3\) added 3 files: ")

    def test_exact_search_for_a_partial_name_finds_nothing(self):
        result = self.ctl(self.p1, "search", "--exact", "file8_3")
        self.assertExit(result, 1)
        self.assertIn("no file", result.err)
        self.assertIn("file8_3", result.err)
        self.assertEqual(result.out, "")
        self.index.wait_log(r'peer 0 \(p1\) searched "file8_3" \(exact\): not found at any peer$')

    def test_word_search_lists_the_holder(self):
        result = self.ctl(self.p1, "search", "file8_3")
        self.assertExit(result, 0)
        rows = [line for line in result.out.splitlines() if line.startswith("file8_3.txt ")]
        self.assertEqual(len(rows), 1, result.out)
        self.assertIn(f"p3#{self.p3.peer_id}", rows[0])
        self.assertNotIn("file8_1.txt", result.out)
        self.index.wait_log(rf'peer 0 \(p1\) searched "file8_3": 1 file at peers {self.p3.peer_id}$')

    def test_fetch_downloads_and_the_index_learns_the_one_new_file(self):
        index_mark, p1_mark, p3_mark = self.index.mark(), self.p1.mark(), self.p3.mark()
        result = self.ctl(self.p1, "fetch", "file8_3.txt")  # stdin is a pipe, not a tty
        self.assertExit(result, 0)
        final_path = os.path.join(self.p1.download_dir, "file8_3.txt")
        self.assertEqual(result.out, final_path + "\n")
        with open(final_path, "rb") as f:
            self.assertEqual(f.read(), P3_FILES["file8_3.txt"])

        # The holder logs who asked for what, and the outcome.
        self.p3.wait_log(rf"peer 0 \(p1\) at 127\.0\.0\.1:\d+ requested file8_3\.txt$", since=p3_mark)
        size = len(P3_FILES["file8_3.txt"])
        self.p3.wait_log(r"upload of file8_3\.txt to peer 0 \(p1\) at 127\.0\.0\.1:\d+: "
                         rf"{size} of {size} bytes sent, complete$", since=p3_mark)
        self.p1.wait_log(rf"downloaded file8_3\.txt from peer {self.p3.peer_id} \(p3\): {size} bytes in "
                         rf"[\d.]+ s, verified [0-9a-f]{{12}}, saved as {re.escape(final_path)}$", since=p1_mark)
        self.p1.wait_log(r"now sharing file8_3\.txt; index updated$", since=p1_mark)

        # The index hears of that one file, not the whole list again.
        self.index.wait_log(r"peer 0 \(p1\) added 1 file: file8_3\.txt$", since=index_mark)
        adds = self.index.lines_matching(r"peer 0 \(p1\) added", since=index_mark)
        self.assertEqual(len(adds), 1, adds)

        # Both holders now show up for the exact name.
        self.wait_for_holders("file8_3.txt", {self.p1.peer_id, self.p3.peer_id})
        status, doc = self.search_json(self.p1, "file8_3.txt", exact=True)
        self.assertEqual(status, 0)
        self.assertEqual(len(doc["files"]), 1, doc)
        hit = doc["files"][0]
        self.assertEqual((hit["name"], hit["size"], hit["holder_total"]), ("file8_3.txt", size, 2))
        by_id = {h["peer_id"]: h for h in hit["holders"]}
        self.assertEqual(by_id[self.p1.peer_id]["port"], self.p1.upload_port)
        self.assertEqual(by_id[self.p3.peer_id]["port"], self.p3.upload_port)
        self.assertEqual(by_id[self.p3.peer_id]["peer_name"], "p3")

        self.assertEqual(partial_files(self.p1.download_dir), [])
        self.assertEqual(sorted(os.listdir(self.p1.download_dir)), ["file8_3.txt"])

    def test_fetch_of_a_5_mib_random_file_arrives_intact(self):
        big = content("seed case 1: 5 MiB", 5 * 1024 * 1024)
        (self.p3.share_dir / "big.bin").write_bytes(big)
        # Restart p3 so its scan picks the file up without relying on inotify.
        self.daemons.remove(self.p3)
        self.assertEqual(self.p3.terminate_and_check(), [])
        self.p3 = self.start_peer("p3", self.index)
        p3_mark = self.p3.mark()

        result = self.ctl(self.p1, "fetch", "big.bin")
        self.assertExit(result, 0)
        final_path = os.path.join(self.p1.download_dir, "big.bin")
        self.assertEqual(result.out, final_path + "\n")
        with open(final_path, "rb") as f:
            data = f.read()
        self.assertEqual(len(data), len(big))
        self.assertEqual(sha256(data), sha256(big))
        self.p3.wait_log(rf"upload of big\.bin to peer {self.p1.peer_id} \(p1\) at 127\.0\.0\.1:\d+: "
                         rf"{len(big)} of {len(big)} bytes sent, complete$", since=p3_mark)
        self.assertEqual(partial_files(self.p1.download_dir), [])

    def test_fetch_when_the_whole_file_arrives_with_get_ok(self):
        # Regression: napeerd's downloader paused reading on GET_OK while it
        # opened the temporary file, left the bytes that came in the same
        # read in its buffer, and on the end of stream that followed closed
        # without consuming them: "closed by the other side after 0 of N
        # bytes". A small file from a real peer often arrives that way (the
        # seed's file8_3.txt failed about one run in three); a fake holder
        # sending GET_OK, the body and FIN back to back makes it certain.
        body = b"file 8 of peer 3, sent with GET_OK\n"

        def serve(conn, get_payload):
            conn.sendall(get_ok(len(body)) + body)
            conn.shutdown(socket.SHUT_WR)

        fake = FakeHolder(self.index.port, "fake3", {42: ("tiny8_3.txt", len(body))}, serve)
        self.addCleanup(fake.close)
        self.index.wait_log(rf"peer {fake.peer_id} \(fake3\) added 1 file: tiny8_3\.txt$")

        result = self.ctl(self.p1, "fetch", "tiny8_3.txt", "--peer", str(fake.peer_id))
        self.assertEqual(fake.errors, [])
        self.assertEqual(len(fake.requests), 1)
        self.assertExit(result, 0)
        final_path = os.path.join(self.p1.download_dir, "tiny8_3.txt")
        with open(final_path, "rb") as f:
            self.assertEqual(f.read(), body)
        self.assertEqual(partial_files(self.p1.download_dir), [])

    def test_a_large_share_syncs_in_batches(self):
        # The seed's figure 2 at scale: 5,000 files go to the index in
        # FILES_ADD batches of at most 4,096, and every one is searchable.
        # Distinct contents: files of one content are one hit.
        files = {f"many_{i:05}.txt": f"many {i}\n".encode() for i in range(5000)}
        mark = self.index.mark()
        big = self.start_peer("big", self.index, files=files)
        self.assertEqual(big.shared_count, 5000)
        self.index.wait_log(rf"peer {big.peer_id} \(big\) added 4,096 files: many_", since=mark)
        self.index.wait_log(rf"peer {big.peer_id} \(big\) added 904 files: many_", since=mark)
        result = self.ctl(self.p1, "search", "--json", "many_")
        self.assertExit(result, 0)
        doc = result.json()
        # limits.max_counted_matches (1,000): a word in 5,000 names is
        # counted that far and answered as a lower bound.
        self.assertEqual(doc["total_matches"], 1000)
        self.assertTrue(doc["total_is_lower_bound"])
        self.assertEqual(len(doc["files"]), 100)  # limits.max_results
        text = self.ctl(self.p1, "search", "many_")
        self.assertIn("of more than 1,000 matches", text.out)
        # Every one is there: each found by its own name.
        for i in (0, 1234, 4095, 4096, 4999):
            found = self.ctl(self.p1, "search", "--json", "--exact", f"many_{i:05}.txt").json()
            self.assertEqual((found["total_matches"], found["total_is_lower_bound"]), (1, False))
        self.assertEqual(self.holders_of(self.p1, "many_04999.txt"), {big.peer_id})
        shares = self.ctl(big, "shares", "--json")
        self.assertExit(shares, 0)
        self.assertEqual(shares.json()["total"], 5000)
        self.assertEqual(sorted(f["name"] for f in shares.json()["files"]), sorted(files))

    def wait_for_holders(self, name, expected):
        wait_for(lambda: self.holders_of(self.p1, name) == expected,
                 f"the index to list {name} at peers {sorted(expected)}")


if __name__ == "__main__":
    main()
