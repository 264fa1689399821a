# SPDX-License-Identifier: MIT
"""napctl --json: every command, success or failure, prints exactly one JSON
document on stdout (watch: one a line), each with "schema", "command" and
"ok", and a failure's "error" with a stable "code"; the exit status is the
one napctl(1) gives for the failure. Unknown values are null, never "".
"""

import json
import subprocess
from pathlib import Path

from harness import DEADLINE, NAPCTL, NapsterTestCase, content, main

SCHEMA = 1
WANTED = content("json: wanted.bin", 64 * 1024)


class JsonOutputTest(NapsterTestCase):
    def document(self, result, command, ok, status, code=None):
        """The one document of `result`, checked against what it must say."""
        self.assertExit(result, status)
        try:
            doc = json.loads(result.stdout)  # one document: trailing data fails
        except ValueError as e:
            self.fail(f"stdout is not one JSON document ({e}): {result!r}")
        self.assertEqual(result.stdout.count(b"\n"), 1, repr(result))
        self.assertIsInstance(doc, dict, repr(result))
        self.assertEqual(list(doc)[:3], ["schema", "command", "ok"], repr(result))
        self.assertEqual((doc["schema"], doc["command"], doc["ok"]), (SCHEMA, command, ok), repr(result))
        if ok:
            self.assertNotIn("error", doc)
        else:
            self.assertEqual(sorted(doc["error"]), ["code", "detail", "message"], repr(result))
            self.assertEqual(doc["error"]["code"], code, repr(result))
            self.assertTrue(doc["error"]["message"])
            # The text message still goes to stderr, for people.
            self.assertIn(b"napctl: ", result.stderr)
        return doc

    def test_every_command_without_napeerd(self):
        missing = str(self.tmp / "nobody.sock")
        for command in (["cancel", "1"], ["fetch", "x"], ["reload"], ["rescan"], ["search", "x"],
                        ["shares"], ["status"], ["transfers"], ["wait", "1"], ["watch"]):
            with self.subTest(command=command):
                result = self.ctl(missing, "--json", *command)
                self.document(result, command[0], False, 3, "unreachable")

    def test_usage_errors(self):
        missing = str(self.tmp / "nobody.sock")
        cases = [
            (["--json", "nosuch"], None),
            (["--json", "--bogus", "status"], "status"),
            (["--json"], None),
            (["fetch", "--bogus", "--json"], "fetch"),
            (["--json", "cancel"], "cancel"),
            (["cancel", "abc", "--json"], "cancel"),
            (["wait", "0", "--json"], "wait"),
            (["status", "extra", "--json"], "status"),
            (["search", "--json", "--", " "], "search"),
            (["fetch", "--json", "--hash", "zz"], "fetch"),
        ]
        for args, command in cases:
            with self.subTest(args=args):
                doc = self.document(self.ctl(missing, *args), command, False, 2, "usage")
                self.assertTrue(doc["error"]["detail"])
        # Without --json (--json=yes is not it) a usage error prints nothing on stdout.
        for args in (["fetch", "--bogus"], ["fetch", "--json=yes", "x"]):
            result = self.ctl(missing, *args)
            self.assertExit(result, 2)
            self.assertEqual(result.stdout, b"")

    def test_help_and_version(self):
        doc = self.document(self.ctl(str(self.tmp / "none"), "--json", "help", "fetch"), "help", True, 0)
        self.assertIn("usage: napctl fetch", doc["text"])
        doc = self.document(self.ctl(str(self.tmp / "none"), "status", "--help", "--json"), "status", True, 0)
        self.assertIn("usage: napctl status", doc["text"])
        doc = self.document(self.ctl(str(self.tmp / "none"), "--json", "--version"), None, True, 0)
        self.assertTrue(doc["text"].startswith("napctl "))
        self.document(self.ctl(str(self.tmp / "none"), "--json", "help", "nosuch"), "help", False, 2, "usage")

    def test_commands_against_daemons(self):
        index = self.start_index()
        holder = self.start_peer("holder", index, files={"wanted.bin": WANTED})
        asker = self.start_peer("asker", index)

        status = self.document(self.ctl(asker, "status", "--json"), "status", True, 0)
        self.assertEqual(status["name"], "asker")
        self.assertIsNone(status["last_error"])  # no error: null, not ""

        shares = self.document(self.ctl(holder, "shares", "--json"), "shares", True, 0)
        self.assertEqual([f["name"] for f in shares["files"]], ["wanted.bin"])

        found = self.document(self.ctl(asker, "search", "--json", "wanted"), "search", True, 0)
        self.assertEqual([f["name"] for f in found["files"]], ["wanted.bin"])
        self.assertEqual(found["files"][0]["holders"][0]["peer_name"], "holder")

        # No match: one error document, still holding the search's fields.
        nothing = self.document(self.ctl(asker, "search", "--json", "nothingmatches"), "search", False, 1,
                                "not_found")
        self.assertEqual((nothing["query"], nothing["files"]), ("nothingmatches", []))

        self.document(self.ctl(asker, "fetch", "--json", "nosuch"), "fetch", False, 1, "not_found")
        self.document(self.ctl(asker, "fetch", "--json", "--hash", "ab" * 32), "fetch", False, 1, "not_found")

        fetched = self.document(self.ctl(asker, "fetch", "--json", "wanted.bin"), "fetch", True, 0)
        self.assertEqual((fetched["size"], fetched["peer_name"], fetched["verified"]),
                         (len(WANTED), "holder", True))
        self.assertEqual(Path(fetched["path"]).read_bytes(), WANTED)

        started = self.document(self.ctl(asker, "fetch", "--json", "--background", "--output", str(self.tmp),
                                         "wanted.bin"), "fetch", True, 0)
        waited = self.document(self.ctl(asker, "wait", "--json", str(started["transfer_id"])), "wait", True, 0)
        self.assertEqual(waited["size"], len(WANTED))

        transfers = self.document(self.ctl(asker, "transfers", "--json"), "transfers", True, 0)
        self.assertIn(started["transfer_id"], [t["id"] for t in transfers["transfers"]])

        self.document(self.ctl(asker, "cancel", "--json", "99999"), "cancel", False, 1, "not_found")
        self.document(self.ctl(asker, "wait", "--json", "99999"), "wait", False, 1, "not_found")
        # An ended transfer cannot be cancelled either: refused, exit 1.
        self.document(self.ctl(asker, "cancel", "--json", str(started["transfer_id"])), "cancel", False, 1,
                      "invalid_argument")

        rescan = self.document(self.ctl(holder, "rescan", "--json"), "rescan", True, 0)
        self.assertEqual(rescan["file_count"], 1)
        reload = self.document(self.ctl(holder, "reload", "--json"), "reload", True, 0)
        self.assertEqual(reload["changes"], [])

        # watch is a stream: one document a line, each with the envelope.
        watch = subprocess.Popen([NAPCTL, "--socket", asker.socket_path, "watch", "--json"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (watch.poll() is None and watch.kill(), watch.communicate()))
        line = watch.stdout.readline()
        update = json.loads(line)
        self.assertEqual((update["schema"], update["command"], update["ok"]), (SCHEMA, "watch", True))
        self.assertEqual(update["index"]["state"], "connected")
        self.assertIsNone(update["index"]["last_error"])
        # napeerd going away ends the stream with an error object.
        self.daemons.remove(asker)
        self.assertEqual(asker.terminate_and_check(), [])
        rest, _ = watch.communicate(timeout=6 * DEADLINE)
        last = json.loads(rest.splitlines()[-1])
        self.assertEqual((last["schema"], last["command"], last["ok"]), (SCHEMA, "watch", False))
        self.assertNotEqual(watch.returncode, 0)
        self.assertEqual(last["error"]["code"], "connection_closed")


if __name__ == "__main__":
    main()
