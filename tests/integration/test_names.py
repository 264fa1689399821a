# SPDX-License-Identifier: MIT
"""The seed's problem 1 (long names cut short) must not exist here: any name
the file system allows, up to 255 bytes, UTF-8 or not, is registered, found,
fetched and saved under exactly the same bytes.

The files are 100 KiB so that their transfers do not depend on how the
bytes of a very small file happen to arrive (test_seed_case1 pins that);
this file is about names.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

from harness import NAPCTL, NapsterTestCase, content, file_name_bytes, main, partial_files, printable

ASCII_255 = b"L" * 251 + b".bin"
UTF8_255 = ("\u00e9\U0001f600\u65e5" * 28 + "\u65e5").encode()  # (2+4+3)*28 + 3 bytes
NOT_UTF8 = b"caf\xe9 \xff.bin"
SPACES = b"two  spaces and a tab\there.txt"
QUOTES = b"it's \"quoted\".txt"
BACKSLASH = b"back\\slash.txt"
NEWLINE = b"new\nline.txt"
DASH = b"-looks-like-an-option.txt"
ESCAPES = b"esc\x1b[2Jape \xc2\x9b c1.txt"  # a terminal would obey ESC and C1 CSI
UPPER, LOWER = b"Case.TXT", b"case.txt"  # two files: names are bytes, not case-folded
NAMES = [ASCII_255, UTF8_255, NOT_UTF8, SPACES, QUOTES, BACKSLASH, NEWLINE, DASH, ESCAPES, UPPER, LOWER]
SIZE = 100 * 1024


def body(name):
    return content(b"names test " + name, SIZE)


class Names(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.assertEqual(len(ASCII_255), 255)
        self.assertEqual(len(UTF8_255), 255)
        self.index = self.start_index()
        self.holder = self.start_peer("holder", self.index, files={n: body(n) for n in NAMES})
        self.fetcher = self.start_peer("fetcher", self.index)

    def test_every_name_is_registered_with_the_index(self):
        self.assertEqual(self.holder.shared_count, len(NAMES))
        added = self.index.wait_log(rf"peer {self.holder.peer_id} \(holder\) added 11 files: (.*)$")
        # The line names ten files and counts the rest.
        missing = [name for name in NAMES if printable(name) not in added.group(1)]
        self.assertEqual(len(missing), len(NAMES) - 10, missing)
        self.assertTrue(added.group(1).endswith(f" and {len(NAMES) - 10} more"), added.group(1))
        self.assertNotIn("\n", added.group(0))

    def test_shares_json_keeps_every_name(self):
        result = self.ctl(self.holder, "shares", "--json")
        self.assertExit(result, 0)
        doc = result.json()
        self.assertEqual(doc["total"], len(NAMES))
        self.assertEqual(sorted(file_name_bytes(f) for f in doc["files"]), sorted(NAMES))
        self.assertEqual(sorted(file_name_bytes(f, "rel_path") for f in doc["files"]), sorted(NAMES))

    def test_each_name_is_found_and_fetched_under_the_same_bytes(self):
        download = os.fsencode(self.fetcher.download_dir)
        for name in NAMES:
            with self.subTest(name=printable(name)):
                self.assertEqual(self.holders_of(self.fetcher, name), {self.holder.peer_id})
                result = self.ctl(self.fetcher, "fetch", "--", name)
                self.assertExit(result, 0)
                final = download + b"/" + name
                self.assertEqual(result.out, printable(final) + "\n")
                self.assertIn(name, os.listdir(download))
                with open(final, "rb") as f:
                    self.assertEqual(f.read(), body(name))
        self.assertEqual(sorted(n for n in os.listdir(download)), sorted(NAMES))
        self.assertEqual(partial_files(self.fetcher.download_dir), [])
        for name in NAMES:
            self.holder.wait_log(r" requested " + re.escape(printable(name)) + "$")

    def test_non_utf8_name_in_json_has_name_hex(self):
        status, doc = self.search_json(self.fetcher, NOT_UTF8, exact=True)
        self.assertEqual(status, 0)
        self.assertEqual(len(doc["files"]), 1, doc)
        hit = doc["files"][0]
        self.assertEqual(hit["name_hex"], NOT_UTF8.hex())
        self.assertEqual(hit["name"], "caf\ufffd \ufffd.bin")
        # Valid UTF-8 names carry no _hex twin.
        status, doc = self.search_json(self.fetcher, UTF8_255, exact=True)
        self.assertEqual(status, 0)
        self.assertEqual(doc["files"][0]["name"], UTF8_255.decode())
        self.assertNotIn("name_hex", doc["files"][0])

    def test_text_output_escapes_what_a_terminal_would_obey(self):
        result = self.ctl(self.fetcher, "search", "--exact", NEWLINE)
        self.assertExit(result, 0)
        self.assertIn("new\\x0aline.txt", result.out)
        result = self.ctl(self.fetcher, "search", "caf")
        self.assertExit(result, 0)
        self.assertIn("caf\\xe9 \\xff.bin", result.out)
        result = self.ctl(self.fetcher, "search", "ape")
        self.assertExit(result, 0)
        self.assertIn("esc\\x1b[2Jape \\xc2\\x9b c1.txt", result.out)
        self.assertNotIn("\x1b", result.out)
        self.assertNotIn("\x9b", result.out)

    def test_word_search_finds_a_utf8_name(self):
        result = self.ctl(self.fetcher, "search", "--json", "\u65e5\u00e9")
        self.assertExit(result, 0)
        self.assertEqual([f["name"] for f in result.json()["files"]], [UTF8_255.decode()])

    def test_a_file_deep_in_a_share_is_saved_under_its_name_alone(self):
        # Names from the index are never used as paths: the holder's
        # sub/deep/ stays on its side.
        nested = self.start_peer("nested", self.index,
                                 files={"sub/deep/nested.bin": body(b"nested.bin")})
        shares = self.ctl(nested, "shares", "--json").json()
        self.assertEqual([(f["name"], f["rel_path"]) for f in shares["files"]],
                         [("nested.bin", "sub/deep/nested.bin")])
        result = self.ctl(self.fetcher, "fetch", "nested.bin")
        self.assertExit(result, 0)
        self.assertEqual(os.listdir(self.fetcher.download_dir), ["nested.bin"])
        with open(os.path.join(self.fetcher.download_dir, "nested.bin"), "rb") as f:
            self.assertEqual(f.read(), body(b"nested.bin"))

    def test_results_and_shares_list_numbered_names_in_natural_order(self):
        numbered = [b"track_10.ogg", b"track_2.ogg", b"track_1.ogg", b"track_02b.ogg"]
        album = self.start_peer("album", self.index, files={n: body(n) for n in numbered})
        natural = [b"track_1.ogg", b"track_2.ogg", b"track_02b.ogg", b"track_10.ogg"]
        status, doc = self.search_json(self.fetcher, "track_")
        self.assertEqual(status, 0)
        self.assertEqual([file_name_bytes(f) for f in doc["files"]], natural)
        result = self.ctl(self.fetcher, "search", "track_")
        self.assertExit(result, 0)
        rows = [line.split()[0].encode() for line in result.out.splitlines() if line.startswith("track_")]
        self.assertEqual(rows, natural)
        shares = self.ctl(album, "shares", "--json").json()
        self.assertEqual([file_name_bytes(f, "rel_path") for f in shares["files"]], natural)

    def test_search_names_and_completion_of_remote_names_after_fetch(self):
        numbered = [b"track_10.ogg", b"track_2.ogg", b"other track.ogg", b"two\nlines track.ogg"]
        self.start_peer("album", self.index, files={n: body(n) for n in numbered})
        result = self.ctl(self.fetcher, "search", "--names", "track")
        self.assertExit(result, 0)
        self.assertEqual(result.out, "other track.ogg\ntrack_2.ogg\ntrack_10.ogg\n")

        completion = Path(__file__).resolve().parents[2] / "ctl" / "completion" / "napctl"

        def complete(*words):
            script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _napctl; '
                      'printf "%s\\n" "${COMPREPLY[@]}"')
            done = subprocess.run(["bash", "--norc", "-c", script, "complete", str(completion), NAPCTL, *words],
                                  capture_output=True, timeout=10)
            self.assertEqual(done.returncode, 0, done.stderr)
            return [line for line in done.stdout.decode().split("\n") if line]

        self.assertEqual(complete("--socket", self.fetcher.socket_path, "fetch", "trac"),
                         ["track_2.ogg", "track_10.ogg"])
        self.assertEqual(complete(f"--socket={self.fetcher.socket_path}", "fetch", "oth"), ["other track.ogg"])
        # Only the name: nothing after it, nothing for an option's value.
        self.assertEqual(complete("--socket", self.fetcher.socket_path, "fetch", "track_2.ogg", "tr"), [])
        self.assertEqual(complete("--socket", self.fetcher.socket_path, "fetch", "--peer", "tr"), [])
        # napeerd unreachable: no names and no error.
        self.assertEqual(complete("--socket", "/nonexistent/napeerd.sock", "fetch", "trac"), [])

        # zsh, in a real interactive zsh on a pty, when zsh is here.
        if shutil.which("zsh"):
            driver = Path(__file__).resolve().parents[1] / "install" / "completion_zsh_test.zsh"
            sock = self.fetcher.socket_path
            env = dict(os.environ, PATH=f"{os.path.dirname(os.path.abspath(NAPCTL))}:{os.environ['PATH']}")
            done = subprocess.run(["zsh", "-f", str(driver), str(completion.parent / "_napctl"),
                                   # Tab inserts what both names share, then one of them.
                                   f"napctl --socket {sock} fetch trac", "*fetch track_*",
                                   f"napctl --socket {sock} fetch track_1", "*fetch track_10.ogg*",
                                   f"napctl --socket={sock} fetch oth", "*other\\ track.ogg*"],
                                  capture_output=True, timeout=60, env=env)
            self.assertEqual(done.returncode, 0, done.stdout.decode(errors="replace"))

    def test_a_256_byte_name_is_a_usage_error(self):
        result = self.ctl(self.fetcher, "fetch", b"M" * 256)
        self.assertExit(result, 2)
        self.assertIn("256 bytes", result.err)
        self.assertIn("255", result.err)
        self.assertEqual(os.listdir(self.fetcher.download_dir), [])

    def test_a_name_with_a_slash_is_a_usage_error(self):
        result = self.ctl(self.fetcher, "fetch", "../etc/passwd")
        self.assertExit(result, 2)
        self.assertIn("not a file name", result.err)

    def test_a_256_byte_search_finds_nothing_but_works(self):
        result = self.ctl(self.fetcher, "search", "--exact", b"L" * 256)
        self.assertExit(result, 1)
        self.assertIn("no file matches", result.err)
        self.assertAlive(self.index, self.holder, self.fetcher)


if __name__ == "__main__":
    main()
