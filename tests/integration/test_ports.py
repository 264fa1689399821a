# SPDX-License-Identifier: MIT
"""The seed's problem 2 (fixed ports) must not exist here: port 0 picks a
free port and the log says which; a port in use is a one-line error naming
the port, the key that sets it and the config file; two peers run side by
side on one machine.
"""

import os
import socket

from harness import (NAPEERD, NAPINDEXD, Daemon, NapsterTestCase, Peer, check_no_sanitizer_report, main,
                     run_daemon_once, write_toml)


def busy_port():
    """A socket listening on 127.0.0.1 at a port the kernel chose."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    return s, s.getsockname()[1]


def accepts_connections(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        return True


class Ports(NapsterTestCase):
    def test_port_zero_picks_a_free_port_and_logs_it(self):
        index = self.start_index()
        self.assertGreater(index.port, 0)
        self.assertTrue(accepts_connections(index.port))
        peer = self.start_peer("p1", index, files={"a.txt": b"a\n"})
        self.assertGreater(peer.upload_port, 0)
        self.assertNotEqual(peer.upload_port, index.port)
        self.assertTrue(accepts_connections(peer.upload_port))
        # The index pairs the peer's address with the port the peer logged.
        index.wait_log(rf"peer {peer.peer_id} \(p1\) connected from 127\.0\.0\.1, upload port "
                       rf"{peer.upload_port}$")
        status = self.ctl(peer, "status", "--json")
        self.assertExit(status, 0)
        self.assertEqual(status.json()["upload_address"], f"127.0.0.1:{peer.upload_port}")
        self.assertEqual(status.json()["index_address"], f"127.0.0.1:{index.port}")

    def test_index_port_in_use_is_one_line_naming_port_key_and_file(self):
        holder, port = busy_port()
        self.addCleanup(holder.close)
        config = self.tmp / "index.toml"
        write_toml(config, {"listen": {"address": "127.0.0.1", "port": port}})
        result = run_daemon_once([NAPINDEXD, "--config", str(config)])
        err = result.stderr.decode(errors="replace")
        check_no_sanitizer_report(self, err, "napindexd")
        self.assertNotEqual(result.returncode, 0, err)
        lines = [line for line in err.splitlines() if f"port {port} is in use" in line]
        self.assertEqual(len(lines), 1, err)
        self.assertIn("listen.port", lines[0])
        self.assertIn(str(config), lines[0])
        self.assertNotIn("EADDRINUSE", err)

    def test_peer_upload_port_in_use_is_one_line_naming_port_key_and_file(self):
        index = self.start_index()
        holder, port = busy_port()
        self.addCleanup(holder.close)
        share, downloads = self.tmp / "share", self.tmp / "downloads"
        share.mkdir()
        config = self.tmp / "peer.toml"
        sock = self.tmp / "peer.sock"
        write_toml(config, {
            "": {"name": "busy"},
            "index": {"address": "127.0.0.1", "port": index.port},
            "upload": {"address": "127.0.0.1", "port": port},
            "share": {"dirs": [str(share)], "download_dir": str(downloads)},
            "control": {"socket": str(sock)},
        })
        result = run_daemon_once([NAPEERD, "--config", str(config)])
        err = result.stderr.decode(errors="replace")
        check_no_sanitizer_report(self, err, "napeerd")
        self.assertNotEqual(result.returncode, 0, err)
        lines = [line for line in err.splitlines() if f"port {port} is in use" in line]
        self.assertEqual(len(lines), 1, err)
        self.assertIn("upload.port", lines[0])
        self.assertIn(str(config), lines[0])
        self.assertFalse(os.path.lexists(sock), "a failed start left its control socket")
        self.assertEqual(index.lines_matching(r"busy"), [])

    def test_two_peers_with_port_zero_on_one_machine(self):
        index = self.start_index()
        p1 = self.start_peer("p1", index, files={"one.txt": b"one\n"})
        p2 = self.start_peer("p2", index, files={"two.txt": b"two\n"})
        self.assertNotEqual(p1.upload_port, p2.upload_port)
        self.assertNotEqual(p1.peer_id, p2.peer_id)
        self.assertEqual(self.holders_of(p1, "two.txt"), {p2.peer_id})
        self.assertEqual(self.holders_of(p2, "one.txt"), {p1.peer_id})
        status, doc = self.search_json(p1, "two.txt", exact=True)
        self.assertEqual(doc["files"][0]["holders"][0]["port"], p2.upload_port)

    def test_a_second_index_on_the_same_port_is_refused(self):
        index = self.start_index()
        config = self.tmp / "second.toml"
        write_toml(config, {"listen": {"address": "127.0.0.1", "port": index.port}})
        result = run_daemon_once([NAPINDEXD, "--config", str(config)])
        err = result.stderr.decode(errors="replace")
        self.assertNotEqual(result.returncode, 0, err)
        self.assertIn(f"port {index.port} is in use", err)
        self.assertIn("listen.port", err)
        self.assertAlive(index)

    def test_a_second_peer_on_the_same_control_socket_is_refused(self):
        index = self.start_index()
        first = self.start_peer("first", index)
        config = self.tmp / "second.toml"
        share = self.tmp / "second-share"
        share.mkdir()
        write_toml(config, {
            "": {"name": "second"},
            "index": {"address": "127.0.0.1", "port": index.port},
            "upload": {"address": "127.0.0.1", "port": 0},
            "share": {"dirs": [str(share)], "download_dir": str(self.tmp / "second-dl")},
            "control": {"socket": first.socket_path},
        })
        result = run_daemon_once([NAPEERD, "--config", str(config)])
        err = result.stderr.decode(errors="replace")
        self.assertNotEqual(result.returncode, 0, err)
        self.assertIn(first.socket_path, err)
        self.assertIn("control.socket", err)
        # The first peer keeps its socket and keeps answering on it.
        status = self.ctl(first, "status", "--json")
        self.assertExit(status, 0)
        self.assertEqual(status.json()["name"], "first")



class IPv6Index(Daemon):
    """A napindexd listening on ::1 (the harness's Index listens on 127.0.0.1)."""

    def __init__(self, workdir):
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "index.toml"
        write_toml(config, {"listen": {"address": "::1", "port": 0}})
        super().__init__("napindexd", "index6", workdir, [NAPINDEXD, "--config", str(config)])
        self.port = int(self.wait_log(r"listening on \[::1\]:(\d+)$").group(1))


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class AdvertisedAddress(NapsterTestCase):
    """Issue 12, item 8: the index advertises a peer at the address its
    index link comes from; napeerd warns when its uploads do not listen
    there (the index over ::1, uploads on 127.0.0.1 only)."""

    WARNING = "other peers cannot download from this one"

    def test_index_over_ipv6_with_uploads_on_ipv4_is_warned_about(self):
        if not ipv6_loopback():
            self.skipTest("no IPv6 loopback")
        index = IPv6Index(self.tmp / "index6")
        self.daemons.append(index)
        peer = Peer(self.tmp / "p6", "p6", index.port, wait_connected=False,
                    extra_sections={"index": {"address": "::1"}})
        self.daemons.append(peer)
        line = peer.wait_log(rf"{self.WARNING}: .*$").group(0)
        self.assertIn(f"the index [::1]:{index.port} sees this peer at ::1 and sends them to "
                      f"[::1]:{peer.upload_port}, but uploads listen on 127.0.0.1:{peer.upload_port} only; "
                      f"set upload.address in {peer.config_path} to :: or ::1", line)
        index.wait_log(r"peer \d+ \(p6\) connected from ::1, upload port ")

    def test_index_and_uploads_on_the_same_address_are_not_warned_about(self):
        index = self.start_index()
        peer = self.start_peer("p1", index, files={"a.txt": b"a"})
        # The check runs when REGISTERED arrives, before the list-synced
        # line that start_peer waited for.
        self.assertEqual(peer.lines_matching(self.WARNING), [])


if __name__ == "__main__":
    main()
