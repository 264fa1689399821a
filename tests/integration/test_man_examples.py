#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every example in every man page is run (issue 12).

Reads man/*.in, takes each .EX ... .EE block and runs what it shows:

- a shell block (lines starting "$ " or "# ") runs each command line, with
  any here-document it opens, in one bash per block (so a variable set by
  one line reaches the next), against a napindexd and two napeerds on
  127.0.0.1 started here: alice, whose socket is $NAPSTER_SOCKET, and bob,
  who shares the sample files the examples name. Each command must exit 0;
  the lines printed under it in the page (its output) must appear in what
  it printed, in order, loosely: numbers, sizes, units and roots may
  differ (see output_regex).
- a TOML block (a config file) is loaded by the real config loader,
  `napindexd --check-config` or `napeerd --check-config`, which must
  accept it.

Paths and names outside the test's temporary dir are replaced first, the
same way in the commands and in the output they show (SUBSTITUTIONS). A
line that cannot run here (systemd, sysctl, an editor, files under /etc)
is listed in NOT_RUN with the reason; the test fails on any command line
that is neither run nor listed, and on a NOT_RUN line no page has any more,
so a new example comes with its test. Daemons an example starts in the
foreground (DAEMON_LINES) run until they are ready, then get SIGTERM and
must exit 0. napctl watch runs until Ctrl-C: here for RUN_FOR seconds,
then SIGINT.

Blocks that are neither (a command's output shown on its own, JSON
output, diagnostics, protocol bytes: tests/unit/test_frame_codec.cpp and
test_reload_messages.cpp pin those) are only counted."""

import os
import re
import select
import subprocess
import time
from pathlib import Path

from harness import (DEADLINE, NAPCTL, NAPEERD, NAPINDEXD, SOURCE_ROOT, NapsterTestCase, check_no_sanitizer_report,
                     main, tree_root, wait_for)

PAGES = ["napctl.1.in", "napeerd.8.in", "napindexd.8.in", "napster.toml.5.in", "napster-protocol.7.in"]
NOBODY = 65534

NOT_RUN = {
    "# cp /etc/napster/peer.toml /etc/napster/peer-bob.toml":
        "writes under /etc; the test starts its second peer (bob) itself",
    "# editor /etc/napster/peer-bob.toml    # socket, upload port, dirs":
        "an interactive editor; bob's config is written by the test",
    "# systemctl enable --now napeerd@bob.service": "systemd units are checked by tests/systemd",
    "# sysctl fs.inotify.max_user_watches=524288": "changes a kernel limit for the whole machine",
    "# echo fs.inotify.max_user_watches=524288 > /etc/sysctl.d/90-napster.conf": "writes under /etc",
    "# systemctl enable --now napindexd.service": "systemd units are checked by tests/systemd",
    "# journalctl -u napindexd -f": "follows the journal of a unit the test does not run",
    "# systemctl enable --now napindexd.socket": "systemd units are checked by tests/systemd",
    "# sed -i 's/^level = .*/level = \"debug\"/' /etc/napster/index.toml": "edits a file under /etc",
    "# systemctl reload napindexd": "systemd units are checked by tests/systemd",
}

# Run as the page shows, but for a while: they run until Ctrl-C.
RUN_FOR = {
    "$ napctl watch --json | jq -c '.transfers[] | [.id, .state, .percent]'": 2.0,
}


class ManExamples(NapsterTestCase):
    def setUp(self):
        super().setUp()
        self.tmp.chmod(0o755)  # the "ordinary user" example runs as nobody under root
        self.home = self.tmp / "home"
        for d in ("", "incoming", "music", "Downloads", "run", "cwd"):
            (self.home / d).mkdir(exist_ok=True)
        (self.home / "music" / "song.ogg").write_bytes(b"not really a song\n")
        self.music = self.tmp / "srv-music"
        self.music.mkdir()
        (self.music / "tune.ogg").write_bytes(b"another tune\n")
        self.index = self.start_index()
        # alice first: IDs count from 0, and the examples fetch from bob as "--peer 1".
        self.alice = self.start_peer("alice", self.index)
        self.files = {
            "file8_3.txt": b"file8_3 contents\n",  # 17 B, as in napctl(1)
            "big.bin": bytes(range(256)) * 8192,
            "report.pdf": b"%PDF-1.4 not a real report\n",
            "-notes.txt": b"notes starting with a dash\n",
        }
        self.bob = self.start_peer("bob", self.index, files=self.files)
        self.assertEqual(self.bob.peer_id, 1)
        (self.home / "cwd" / "index.toml").write_text('[listen]\naddress = "127.0.0.1"\nport = 0\n')
        self.index_example = self.tmp / "index-example.toml"

    # ------------------------------------------------------------ the pages

    def substitutions(self):
        """Applied in order to command lines and to the output they show."""
        return [
            ("/etc/napster/peer.toml", str(self.alice.config_path)),
            ("/run/napster-bob/napeerd.sock", self.bob.socket_path),
            ("/tmp/index.toml", str(self.index_example)),
            ("/home/alice", str(self.home)),
            ("/srv/music", str(self.music)),
            # No name lookups: the index is the one on loopback.
            ('address = "index.example.org"', f'address = "127.0.0.1"\nport = {self.index.port}'),
            ("4f1c2a9e0b3d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7",
             tree_root(self.files["report.pdf"]).hex()),
        ]

    def substitute(self, text):
        for old, new in self.substitutions():
            text = text.replace(old, new)
        return text

    def test_every_example_runs(self):
        blocks = [b for page in PAGES for b in read_blocks(SOURCE_ROOT / "man" / page)]
        seen, counted = set(), {"shell": 0, "toml": 0, "other": 0}
        for where, lines in blocks:
            kind = block_kind(lines)
            counted[kind] += 1
            with self.subTest(where=where):
                if kind == "shell":
                    commands = split_commands(lines)
                    seen.update(c[0][0] for c in commands)
                    self.run_shell_block(where, commands)
                elif kind == "toml":
                    self.check_toml(where, "\n".join(lines) + "\n")
        stale = set(NOT_RUN) - seen
        self.assertFalse(stale, f"NOT_RUN lines no page has: {sorted(stale)}")
        self.assertFalse(set(RUN_FOR) - seen, "RUN_FOR lines no page has")
        self.assertFalse(set(DAEMON_LINES) - seen, "DAEMON_LINES no page has")
        # Guards against a parser that finds nothing and so checks nothing.
        self.assertGreaterEqual(counted["shell"], 10, counted)
        self.assertGreaterEqual(counted["toml"], 2, counted)

    # ------------------------------------------------------------ TOML

    def check_toml(self, where, text):
        path = self.tmp / "example.toml"
        path.write_text(text)
        program = NAPINDEXD if re.search(r"(?m)^\[listen\]$", text) else NAPEERD
        proc = subprocess.run([program, "--check-config", "--config", str(path)], capture_output=True,
                              timeout=DEADLINE, env=self.env())
        err = proc.stderr.decode(errors="replace")
        check_no_sanitizer_report(self, err, program)
        self.assertEqual(proc.returncode, 0, f"{where}: {program} --check-config refused:\n{text}\n{err}")

    # ------------------------------------------------------------ shell

    def env(self):
        env = dict(os.environ)
        env.update(HOME=str(self.home), NAPSTER_SOCKET=self.alice.socket_path,
                   XDG_RUNTIME_DIR=str(self.home / "run"), PATH=self.path())
        env.pop("XDG_STATE_HOME", None)
        env.pop("STATE_DIRECTORY", None)
        return env

    def path(self):
        """napctl, napeerd and napindexd by name: the build's, first."""
        bindir = self.tmp / "bin"
        if not bindir.exists():
            bindir.mkdir()
            for program in (NAPCTL, NAPEERD, NAPINDEXD):
                os.symlink(os.path.abspath(program), bindir / Path(program).name)
        return f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"

    def run_shell_block(self, where, commands):
        shell = subprocess.Popen(["bash", "--norc", "--noprofile"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, cwd=self.home / "cwd", env=self.env())
        try:
            for command, output in commands:
                key = command[0]
                if key in NOT_RUN:
                    continue
                text = self.substitute("\n".join(command))
                if key in EMULATED:
                    EMULATED[key](self)
                    continue
                if key in DAEMON_LINES:
                    printed = DAEMON_LINES[key](self, text[2:])
                else:
                    printed = self.run_in_shell(shell, where, key, text, RUN_FOR.get(key))
                self.check_output(where, key, printed, [self.substitute(line) for line in output])
        finally:
            shell.stdin.close()
            shell.wait(DEADLINE)
            shell.stdout.close()

    def run_in_shell(self, shell, where, key, text, run_for):
        body = text[2:]
        if run_for:
            body = body.replace("napctl watch", f"timeout -s INT {run_for} napctl watch", 1)
        marker = f"@@done-{time.monotonic_ns()}@@"
        # Its standard input is not the script's: a prompt must not eat it.
        script = f"{{\n{body}\n}} </dev/null\necho \"{marker} $?\"\n"
        shell.stdin.write(script.encode())
        shell.stdin.flush()
        printed = b""
        deadline = time.monotonic() + 6 * DEADLINE
        while (marker.encode() + b" ") not in printed:
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, f"{where}: {key!r} did not finish; printed:\n{printed.decode()}")
            ready, _, _ = select.select([shell.stdout], [], [], left)
            if ready:
                chunk = os.read(shell.stdout.fileno(), 65536)
                self.assertTrue(chunk, f"{where}: bash ended running {key!r}:\n{printed.decode()}")
                printed += chunk
        head, _, tail = printed.decode(errors="replace").partition(marker + " ")
        status = int(tail.split()[0])
        check_no_sanitizer_report(self, head, key)
        self.assertEqual(status, 0, f"{where}: {key!r} (run as {body!r}) exited {status}:\n{head}")
        return head

    def check_output(self, where, key, printed, expected):
        lines = printed.splitlines()
        at = 0
        for line in expected:
            regex = output_regex(line)
            while at < len(lines) and not regex.search(lines[at]):
                at += 1
            self.assertLess(at, len(lines), f"{where}: {key!r} did not print (in order) {line!r} "
                                            f"/{regex.pattern}/; it printed:\n{printed}")
            at += 1

    # ------------------------------------------------------------ daemons

    def foreground_peer(self, command):
        """`napeerd -c ~/peer.toml` as an ordinary user: as nobody when
        the test runs as root, whose default socket and state dir are the
        system's. Ready once its control socket answers."""
        env = self.env()
        user = None
        if os.geteuid() == 0:
            user = NOBODY
            for d in (self.home, self.home / "run", self.home / "Downloads"):
                os.chown(d, NOBODY, -1)
        argv = ["bash", "-c", f"exec {command}"]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=env, cwd=self.home, user=user)
        socket_path = self.home / "run" / "napster" / "napeerd.sock"
        try:
            wait_for(lambda: proc.poll() is not None or socket_path.exists(), "napeerd's control socket")
            if proc.poll() is not None:
                self.fail(f"{command!r} exited {proc.returncode}: {proc.stdout.read()}")
            status = subprocess.run([NAPCTL, "--socket", str(socket_path), "status", "--json"],
                                    capture_output=True, env=env, user=user, timeout=DEADLINE)
            self.assertEqual(status.returncode, 0, status)
        finally:
            proc.terminate()
            out = proc.communicate(timeout=DEADLINE)[0].decode(errors="replace")
        check_no_sanitizer_report(self, out, command)
        self.assertEqual(proc.returncode, 0, f"{command!r} exited {proc.returncode} on SIGTERM:\n{out}")
        self.assertFalse(socket_path.exists(), "napeerd left its control socket")
        return out

    def foreground_index(self, command):
        """`napindexd -c FILE`: ready once it says where it listens."""
        proc = subprocess.Popen(["bash", "-c", f"exec {command}"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env(), cwd=self.home)
        printed = b""
        try:
            deadline = time.monotonic() + DEADLINE
            while b" started (" not in printed and time.monotonic() < deadline and proc.poll() is None:
                ready, _, _ = select.select([proc.stdout], [], [], 0.1)
                if ready:
                    printed += os.read(proc.stdout.fileno(), 65536)
            self.assertIsNone(proc.poll(), f"{command!r} exited {proc.returncode}: {printed}")
        finally:
            proc.terminate()
            printed += proc.communicate(timeout=DEADLINE)[0]
        out = printed.decode(errors="replace")
        check_no_sanitizer_report(self, out, command)
        self.assertEqual(proc.returncode, 0, f"{command!r} exited {proc.returncode} on SIGTERM:\n{out}")
        self.assertNotIn("0.0.0.0", out, "the example listens on every address")
        return out

    def add_music_to_alice(self):
        """What the page's editor line does: one more share dir."""
        self.alice.rewrite_config({"share": {"dirs": [str(self.alice.share_dir), str(self.music)]}})


DAEMON_LINES = {
    "$ napeerd -c ~/peer.toml": ManExamples.foreground_peer,
    "$ napindexd -c /tmp/index.toml": ManExamples.foreground_index,
}

EMULATED = {
    '# editor /etc/napster/peer.toml    # dirs = ["/srv/napster/share", "/srv/music"]':
        ManExamples.add_music_to_alice,
}


# ---------------------------------------------------------------- parsing

ROFF_ESCAPES = [("\\-", "-"), ("\\(aq", "'"), ("\\(dq", '"'), ("\\&", ""), ("\\e", "\\")]


def roff_text(line):
    for old, new in ROFF_ESCAPES:
        line = line.replace(old, new)
    return line


def read_blocks(path):
    """[(where, [line, ...])] for each .EX ... .EE block, roff escapes undone."""
    blocks, current, start = [], None, 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith(".EX"):
            current, start = [], number
        elif line.startswith(".EE"):
            blocks.append((f"{path.name}:{start}", current))
            current = None
        elif current is not None:
            current.append(roff_text(line))
    assert current is None, f"{path}: .EX at line {start} has no .EE"
    return blocks


def block_kind(lines):
    if any(line.startswith(("$ ", "# ")) for line in lines):
        return "shell"
    first = next((line for line in lines if line.strip()), "")
    if re.fullmatch(r"\[[a-z_.]+\]|[a-z_]+ = .*", first):
        return "toml"
    return "other"


def split_commands(lines):
    """[([command line, here-document lines...], [output lines])]"""
    commands, i = [], 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith(("$ ", "# ")):
            if not commands:
                raise AssertionError(f"output before any command: {line!r}")
            commands[-1][1].append(line)
            continue
        command = [line]
        heredoc = re.search(r"<<-?\s*'?(\w+)'?", line)
        if heredoc:
            while i < len(lines):
                command.append(lines[i])
                i += 1
                if command[-1] == heredoc.group(1):
                    break
        commands.append((command, []))
    return commands


UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "B/s", "KiB/s", "MiB/s", "GiB/s", "s", "ms"}


def output_regex(line):
    """A shown output line as a loose pattern: a word with a digit in it
    (a number, a size, a time, a root, a port) or a unit matches any word;
    the rest as written."""
    parts = []
    for word in line.split():
        bare = word.strip("(),")
        if re.search(r"\d", word) or bare in UNITS or "@" in word:
            parts.append(r"\S+")
        else:
            parts.append(re.escape(word))
    return re.compile(r"\s+".join(parts))


if __name__ == "__main__":
    main()
