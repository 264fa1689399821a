# SPDX-License-Identifier: MIT
"""Command lines and config files: --help, --version, --check-config, config
errors as FILE:LINE:COLUMN, usage errors, napctl's exit statuses and how it
finds its socket; when the daemons' logs are coloured."""

import os
import pty
import re
import select
import subprocess

from harness import (DEADLINE, NAPEERD, NAPINDEXD, VERSION, NapsterTestCase, check_no_sanitizer_report, main,
                     run_daemon_once, run_napctl, write_toml)


class DaemonCommandLine(NapsterTestCase):
    def run_ok(self, argv):
        result = run_daemon_once(argv)
        out, err = result.stdout.decode(), result.stderr.decode()
        check_no_sanitizer_report(self, err, argv[0])
        self.assertEqual(result.returncode, 0, f"{argv}: {err}")
        return out

    def test_help(self):
        for program, config_default in ((NAPINDEXD, "/etc/napster/index.toml"),
                                        (NAPEERD, "/etc/napster/peer.toml")):
            for option in ("--help", "-h"):
                with self.subTest(program=program, option=option):
                    out = self.run_ok([program, option])
                    self.assertRegex(out, r"^Usage: nap(indexd|eerd) ")
                    for text in ("--config", "--check-config", "--version", config_default):
                        self.assertIn(text, out)

    def test_version(self):
        for program, name in ((NAPINDEXD, "napindexd"), (NAPEERD, "napeerd")):
            with self.subTest(program=name):
                out = self.run_ok([program, "--version"])
                self.assertRegex(out, rf"^{name} \d+\.\d+\.\d+ \(protocol version {VERSION}\)\n$")

    def test_unknown_option_is_a_usage_error(self):
        for program in (NAPINDEXD, NAPEERD):
            with self.subTest(program=program):
                result = run_daemon_once([program, "--frobnicate"])
                self.assertEqual(result.returncode, 2)
                err = result.stderr.decode()
                self.assertIn("--frobnicate", err)
                self.assertIn("--help", err)
                result = run_daemon_once([program, "--config"])
                self.assertEqual(result.returncode, 2)

    def test_missing_config_file_given_explicitly(self):
        missing = self.tmp / "nope.toml"
        for program in (NAPINDEXD, NAPEERD):
            with self.subTest(program=program):
                result = run_daemon_once([program, "--config", str(missing)])
                self.assertEqual(result.returncode, 1)
                self.assertIn(str(missing), result.stderr.decode())

    def test_check_config_prints_the_effective_index_config(self):
        config = self.tmp / "index.toml"
        config.write_text('[listen]\naddress = "127.0.0.1"\nport = 0\n\n[limits]\nmax_results = 7\n')
        out = self.run_ok([NAPINDEXD, "--config", str(config), "--check-config"])
        self.assertIn(str(config), out.splitlines()[0])
        self.assertRegex(out, r'(?m)^address = "127\.0\.0\.1"$')
        self.assertRegex(out, r"(?m)^port = 0$")
        self.assertRegex(out, r"(?m)^max_results = 7$")
        self.assertRegex(out, r"(?m)^max_peers = 10000$")  # a default shown too
        self.assertRegex(out, r'(?m)^level = "info"$')
        # What it prints is a config it accepts again, with the same values.
        again = self.tmp / "again.toml"
        again.write_text(out)
        out2 = self.run_ok([NAPINDEXD, "--config", str(again), "--check-config"])
        self.assertEqual(out.splitlines()[1:], out2.splitlines()[1:])

    def test_check_config_prints_the_effective_peer_config(self):
        config = self.tmp / "peer.toml"
        config.write_text(f'name = "checker"\n[upload]\nport = 0\n[share]\n'
                          f'dirs = ["{self.tmp}/s1", "{self.tmp}/s2/"]\n'
                          f'download_dir = "{self.tmp}/dl"\n[control]\nsocket = "{self.tmp}/c.sock"\n')
        out = self.run_ok([NAPEERD, "--config", str(config), "--check-config"])
        self.assertRegex(out, r'(?m)^name = "checker"$')
        self.assertRegex(out, r"(?m)^port = 0$")
        self.assertRegex(out, r"(?m)^port = 5015$")  # index.port's default
        self.assertIn(f'dirs = ["{self.tmp}/s1", "{self.tmp}/s2"]', out)
        self.assertIn(f'download_dir = "{self.tmp}/dl"', out)
        self.assertIn(f'socket = "{self.tmp}/c.sock"', out)
        # --check-config only checks: nothing is created, nothing is bound.
        self.assertFalse((self.tmp / "dl").exists())
        self.assertFalse((self.tmp / "c.sock").exists())

    def config_error(self, program, text, line, column, key):
        config = self.tmp / "bad.toml"
        config.write_text(text)
        result = run_daemon_once([program, "--config", str(config)])
        err = result.stderr.decode()
        check_no_sanitizer_report(self, err, program)
        self.assertEqual(result.returncode, 1, err)
        lines = [l for l in err.splitlines() if f"{config}:{line}:{column}: " in l]
        self.assertEqual(len(lines), 1, f"no {config}:{line}:{column}: line in {err!r}")
        self.assertIn(key, lines[0])
        return lines[0]

    def test_index_config_errors_name_file_line_column_and_key(self):
        self.config_error(NAPINDEXD, '[listen]\naddress = "127.0.0.1"\nport = 0\nbogus = 1\n', 4, 1,
                          "listen.bogus")
        self.config_error(NAPINDEXD, '[listen]\naddress = "127.0.0.1"\nport = "5015"\n', 3, 8,
                          "listen.port")
        self.config_error(NAPINDEXD, '[listen]\naddress = "127.0.0.1"\nport = 70000\n', 3, 8,
                          "listen.port")
        self.config_error(NAPINDEXD, '[limits]\nmax_results = 0\n', 2, 15, "limits.max_results")
        self.config_error(NAPINDEXD, '[listen]\naddress = "not an ip"\n', 2, 11, "listen.address")
        self.config_error(NAPINDEXD, '[log]\nlevel = "loud"\n', 2, 9, "log.level")
        self.config_error(NAPINDEXD, 'listen = 3\n', 1, 10, "listen")

    def test_peer_config_errors_name_file_line_column_and_key(self):
        self.config_error(NAPEERD, 'name = "x"\n[upload]\nport = 0\nadress = "1"\n', 4, 1, "upload.adress")
        self.config_error(NAPEERD, 'name = "x"\n[share]\ndirs = "/tmp"\n', 3, 8, "share.dirs")
        self.config_error(NAPEERD, 'name = "x"\n[share]\ndirs = ["relative"]\n', 3, 9, "share.dirs[0]")
        self.config_error(NAPEERD, 'name = "x"\n[index]\nport = 0\n', 3, 8, "index.port")
        self.config_error(NAPEERD, 'name = ""\n', 1, 8, "name")

    def test_toml_syntax_error_names_file_line_column(self):
        config = self.tmp / "broken.toml"
        config.write_text('[listen]\nport = = 3\n')
        result = run_daemon_once([NAPINDEXD, "--config", str(config)])
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr.decode(), rf"{re.escape(str(config))}:2:\d+: ")


class NapctlCommandLine(NapsterTestCase):
    def test_help_and_version(self):
        for args in (["--help"], ["-h"], ["help"]):
            with self.subTest(args=args):
                result = run_napctl(args)
                self.assertExit(result, 0)
                self.assertTrue(result.out.startswith("usage: napctl "), result.out)
                for text in ("search", "fetch", "status", "shares", "--json", "--socket", "Exit status"):
                    self.assertIn(text, result.out)
        result = run_napctl(["help", "fetch"])
        self.assertExit(result, 0)
        self.assertIn("--peer ID", result.out)
        result = run_napctl(["fetch", "--help"])
        self.assertExit(result, 0)
        self.assertIn("usage: napctl fetch NAME", result.out)
        result = run_napctl(["--version"])
        self.assertExit(result, 0)
        self.assertRegex(result.out, r"^napctl \d+\.\d+\.\d+\n$")

    def test_usage_errors_exit_2(self):
        cases = [
            ["frobnicate"],
            ["--frobnicate", "status"],
            [],
            ["search"],
            ["search", "--frob", "x"],
            ["fetch"],
            ["fetch", "a", "b"],
            ["fetch", "a", "--peer", "abc"],
            ["fetch", "a", "--peer"],
            ["status", "extra"],
            ["status", "--json=yes"],
            ["help", "nosuchcommand"],
        ]
        for args in cases:
            with self.subTest(args=args):
                # A socket that exists nowhere: usage errors come before any connection.
                result = run_napctl(args, socket_path=str(self.tmp / "none.sock"))
                self.assertExit(result, 2)
                self.assertTrue(result.err.startswith("napctl: "), result.err)
                self.assertEqual(result.out, "")

    def test_unreachable_socket_exits_3_and_names_it(self):
        missing = str(self.tmp / "no-napeerd-here.sock")
        for command in (["status"], ["shares"], ["search", "x"], ["fetch", "x"], ["status", "--json"]):
            with self.subTest(command=command):
                result = run_napctl(command, socket_path=missing)
                self.assertExit(result, 3)
                self.assertIn(missing, result.err)
        # A path that is a plain file, not a socket.
        plain = self.tmp / "plain"
        plain.write_text("")
        result = run_napctl(["status"], socket_path=str(plain))
        self.assertExit(result, 3)
        self.assertIn(str(plain), result.err)

    def test_napster_socket_variable_is_honoured(self):
        index = self.start_index()
        peer = self.start_peer("envpeer", index)
        result = run_napctl(["status"], env={"NAPSTER_SOCKET": peer.socket_path})
        self.assertExit(result, 0)
        self.assertRegex(result.out, r"(?m)^name:\s+envpeer$")

        missing = str(self.tmp / "elsewhere.sock")
        result = run_napctl(["status"], env={"NAPSTER_SOCKET": missing})
        self.assertExit(result, 3)
        self.assertIn(missing, result.err)

        # --socket wins over the variable.
        result = run_napctl(["status", "--json"], socket_path=peer.socket_path,
                            env={"NAPSTER_SOCKET": missing})
        self.assertExit(result, 0)
        self.assertEqual(result.json()["name"], "envpeer")

    def test_default_socket_follows_xdg_runtime_dir(self):
        # Not root: $XDG_RUNTIME_DIR/napster/napeerd.sock; as root /run/napster/napeerd.sock.
        runtime = self.tmp / "xdg"
        result = run_napctl(["status"], env={"XDG_RUNTIME_DIR": str(runtime)})
        self.assertExit(result, 3)
        expected = "/run/napster/napeerd.sock" if os.geteuid() == 0 else f"{runtime}/napster/napeerd.sock"
        self.assertIn(expected, result.err)


class LogColour(NapsterTestCase):
    """On a terminal the daemons colour warnings and errors, unless NO_COLOR
    is set (not empty) or TERM is dumb. Driven with a start that fails (the
    port is taken), whose error is logged on stderr."""

    def failed_start_on_terminal(self, **env):
        index = self.start_index()
        config = self.tmp / "taken.toml"
        write_toml(config, {"listen": {"address": "127.0.0.1", "port": index.port}})
        master, slave = pty.openpty()
        full_env = dict(os.environ, TERM="xterm")
        full_env.pop("NO_COLOR", None)
        full_env.pop("JOURNAL_STREAM", None)
        full_env.update(env)
        proc = subprocess.Popen([NAPINDEXD, "--config", str(config)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=slave, env=full_env)
        os.close(slave)
        screen = b""
        while True:  # until napindexd exits and the terminal closes
            ready, _, _ = select.select([master], [], [], DEADLINE)
            if not ready:
                proc.kill()
                self.fail(f"napindexd neither exited nor wrote within {DEADLINE} s: {screen!r}")
            try:
                chunk = os.read(master, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            screen += chunk
        os.close(master)
        self.assertEqual(proc.wait(DEADLINE), 1, screen)
        text = screen.decode(errors="replace")
        check_no_sanitizer_report(self, text, "napindexd")
        self.assertRegex(text, rf"error: .*{index.port}")
        return text

    def test_errors_are_red_on_a_terminal(self):
        self.assertIn("\x1b[31merror: ", self.failed_start_on_terminal())

    def test_no_colour_with_no_color_or_term_dumb(self):
        for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
            with self.subTest(env=env):
                self.assertNotIn("\x1b", self.failed_start_on_terminal(**env))
        # An empty NO_COLOR does not count (no-color.org).
        self.assertIn("\x1b[31m", self.failed_start_on_terminal(NO_COLOR=""))


if __name__ == "__main__":
    main()
