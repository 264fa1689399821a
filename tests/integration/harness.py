# SPDX-License-Identifier: MIT
"""Fixtures for napster's integration tests.

Starts the real napindexd, napeerd and napctl on 127.0.0.1 only, every port
0, every file in a tempfile.TemporaryDirectory. Binaries come from
$NAPINDEXD, $NAPEERD and $NAPCTL (meson sets them); run alone, a test falls
back to $NAPSTER_BUILD_DIR, then build-it/ and build/ in the source tree.

Nothing here sleeps for a fixed time: every wait polls a condition until a
deadline ($NAPSTER_TEST_DEADLINE seconds, default 10) and fails with the
logs that matter when it passes.

Each NapsterTestCase stops every daemon it started when a test ends
(SIGTERM), and fails the test unless each exited 0, printed no sanitizer
report and, for napeerd, removed its control socket.
"""

import hashlib
import json
import os
import random
import re
import select
import signal
import socket
import struct
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[2]
DEADLINE = float(os.environ.get("NAPSTER_TEST_DEADLINE", "10"))
SANITIZER_MARKS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")


def _find_binary(variable, relative):
    path = os.environ.get(variable)
    if path:
        return path
    candidates = []
    if os.environ.get("NAPSTER_BUILD_DIR"):
        candidates.append(Path(os.environ["NAPSTER_BUILD_DIR"]))
    candidates += [SOURCE_ROOT / "build-it", SOURCE_ROOT / "build"]
    for build in candidates:
        if (build / relative).is_file():
            return str(build / relative)
    raise RuntimeError(f"set ${variable}: no {relative} under {', '.join(map(str, candidates))}")


NAPINDEXD = _find_binary("NAPINDEXD", "daemon/index/napindexd")
NAPEERD = _find_binary("NAPEERD", "daemon/peer/napeerd")
NAPCTL = _find_binary("NAPCTL", "ctl/napctl")


# ---------------------------------------------------------------- utilities


def printable(name):
    """A name as napster's logs and text output show it (util/text.cpp):
    control characters, DEL, C1 controls, backslash and bytes that are not
    UTF-8 become \\xNN."""
    if isinstance(name, str):
        name = name.encode()
    out = []
    i = 0
    while i < len(name):
        n = _utf8_length(name, i)
        c = name[i]
        c1 = n == 2 and c == 0xC2 and name[i + 1] < 0xA0
        if n == 0 or c1 or c < 0x20 or c == 0x7F or c == 0x5C:
            count = n or 1
            out.append("".join(f"\\x{b:02x}" for b in name[i:i + count]))
            i += count
        else:
            out.append(name[i:i + n].decode())
            i += n
    return "".join(out)


def _utf8_length(s, i):
    c = s[i]
    if c < 0x80:
        return 1
    lo, hi = 0x80, 0xBF
    if 0xC2 <= c <= 0xDF:
        n = 2
    elif 0xE0 <= c <= 0xEF:
        n = 3
        lo = 0xA0 if c == 0xE0 else lo
        hi = 0x9F if c == 0xED else hi
    elif 0xF0 <= c <= 0xF4:
        n = 4
        lo = 0x90 if c == 0xF0 else lo
        hi = 0x8F if c == 0xF4 else hi
    else:
        return 0
    if i + n > len(s) or not lo <= s[i + 1] <= hi:
        return 0
    if any(not 0x80 <= b <= 0xBF for b in s[i + 2:i + n]):
        return 0
    return n


def content(tag, size):
    """Deterministic bytes, distinct per tag."""
    return random.Random(tag).randbytes(size)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def wait_for(predicate, what, timeout=None, interval=0.02):
    """Polls predicate() until it returns something true; returns that."""
    deadline = time.monotonic() + (timeout or DEADLINE)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout or DEADLINE} s waiting for {what}")
        time.sleep(interval)


def toml_string(value):
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def write_toml(path, sections):
    """sections: {"": {top-level keys}, "listen": {...}, ...}."""
    lines = []
    for section, keys in sections.items():
        if section:
            lines.append(f"\n[{section}]")
        for key, value in keys.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, int):
                text = str(value)
            elif isinstance(value, (list, tuple)):
                text = "[" + ", ".join(toml_string(v) for v in value) + "]"
            else:
                text = toml_string(value)
            lines.append(f"{key} = {text}")
    Path(path).write_text("\n".join(lines) + "\n")


def check_no_sanitizer_report(testcase, text, who):
    for mark in SANITIZER_MARKS:
        if mark in text:
            testcase.fail(f"{who} printed a sanitizer report ({mark}):\n{text[-6000:]}")


# ---------------------------------------------------------------- daemons


class Daemon:
    """One running napindexd or napeerd; stderr goes to a file."""

    def __init__(self, kind, name, workdir, argv, control_socket=None):
        self.kind = kind
        self.name = name
        self.workdir = Path(workdir)
        self.argv = argv
        self.control_socket = control_socket
        self.stderr_path = self.workdir / f"{kind}-{name}.stderr"
        self.stdout_path = self.workdir / f"{kind}-{name}.stdout"
        self.expected_exit = None  # set when a test stops it on purpose another way
        with open(self.stderr_path, "wb") as err, open(self.stdout_path, "wb") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         cwd=self.workdir)

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        return self.stderr_path.read_bytes().decode("utf-8", "backslashreplace")

    def mark(self):
        """A position in the log; wait_log(since=mark) only looks after it."""
        return len(self.log())

    def alive(self):
        return self.proc.poll() is None

    def describe(self):
        return f"{self.kind} {self.name} (pid {self.pid})"

    def wait_log(self, pattern, since=0, timeout=None, flags=0):
        """Waits for a regex to match a line logged after `since`."""
        regex = re.compile(pattern, flags | re.MULTILINE)
        deadline = time.monotonic() + (timeout or DEADLINE)
        while True:
            text = self.log()
            found = regex.search(text, since)
            if found:
                return found
            if not self.alive():
                time.sleep(0.05)  # let the last lines land
                text = self.log()
                found = regex.search(text, since)
                if found:
                    return found
                raise AssertionError(f"{self.describe()} exited with {self.proc.returncode} before "
                                     f"logging /{pattern}/; its log:\n{text[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.describe()} did not log /{pattern}/ within "
                                     f"{timeout or DEADLINE} s; its log:\n{text[-4000:]}")
            time.sleep(0.02)

    def rewrite_config(self, changes):
        """Writes its config file again: the sections it has, with `changes`
        ({section: {key: value}}; a value of None removes the key) applied
        over them. What a reload then reads."""
        for section, keys in changes.items():
            target = self.config_sections.setdefault(section, {})
            for key, value in keys.items():
                if value is None:
                    target.pop(key, None)
                else:
                    target[key] = value
        write_toml(self.config_path, self.config_sections)

    def lines_matching(self, pattern, since=0):
        regex = re.compile(pattern)
        return [line for line in self.log()[since:].splitlines() if regex.search(line)]

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def kill_hard(self):
        """SIGKILL, as a crash would; teardown then expects that status."""
        self.expected_exit = -signal.SIGKILL
        self.signal(signal.SIGKILL)
        self.proc.wait(DEADLINE)

    def terminate_and_check(self):
        """SIGTERM; returns a list of problems (empty when it stopped cleanly)."""
        problems = []
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            problems.append(f"{self.describe()} did not stop within {DEADLINE} s of SIGTERM")
        text = self.log()
        expected = 0 if self.expected_exit is None else self.expected_exit
        if self.proc.returncode != expected and not problems:
            problems.append(f"{self.describe()} exited with {self.proc.returncode}, expected {expected}")
        for mark in SANITIZER_MARKS:
            if mark in text:
                problems.append(f"{self.describe()} printed a sanitizer report ({mark})")
                break
        if (self.control_socket and self.expected_exit is None
                and os.path.lexists(self.control_socket)):
            problems.append(f"{self.describe()} left its control socket {self.control_socket}")
        if problems:
            problems.append(f"--- log of {self.describe()}:\n{text[-4000:]}")
        return problems


class Index(Daemon):
    def __init__(self, workdir, name="index", config=None, extra_sections=None):
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / f"{name}.toml"
        sections = {"listen": {"address": "127.0.0.1", "port": 0}}
        for section, keys in (extra_sections or {}).items():
            sections.setdefault(section, {}).update(keys)
        if config is not None:
            sections = config
        self.config_sections = sections
        write_toml(self.config_path, sections)
        super().__init__("napindexd", name, workdir, [NAPINDEXD, "--config", str(self.config_path)])
        found = self.wait_log(r"listening on 127\.0\.0\.1:(\d+)$")
        self.port = int(found.group(1))


class Peer(Daemon):
    """A napeerd with its own share dir, download dir and control socket."""

    def __init__(self, workdir, name, index_port, files=None, wait_connected=True,
                 share_dirs=None, download_dir=None, extra_sections=None, startup_timeout=None,
                 wait_hashed=True, state_dir=None):
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        self.share_dir = workdir / "share"
        self.share_dir.mkdir(exist_ok=True)
        self.download_dir = Path(download_dir) if download_dir else workdir / "downloads"
        for rel, data in (files or {}).items():
            path = self.share_dir / os.fsdecode(rel)  # bytes keep theirs (surrogateescape)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        self.share_dirs = [str(d) for d in (share_dirs or [self.share_dir])]
        self.socket_path = str(workdir / "peer.sock")
        self.config_path = workdir / "peer.toml"
        # Its own state dir: the default (/var/lib/napster for root) would
        # be shared by every test, and by anything else on the machine. A
        # peer started again passes the one it had.
        self.state_dir = Path(state_dir) if state_dir else workdir / "state"
        sections = {
            "": {"name": name, "state_dir": str(self.state_dir)},
            "index": {"address": "127.0.0.1", "port": index_port},
            "upload": {"address": "127.0.0.1", "port": 0},
            "share": {"dirs": self.share_dirs, "download_dir": str(self.download_dir)},
            "control": {"socket": self.socket_path},
        }
        for section, keys in (extra_sections or {}).items():
            sections.setdefault(section, {}).update(keys)
        self.config_sections = sections
        write_toml(self.config_path, sections)
        super().__init__("napeerd", name, workdir, [NAPEERD, "--config", str(self.config_path)],
                         control_socket=self.socket_path)
        self.upload_port = int(self.wait_log(r"upload server listening on 127\.0\.0\.1:(\d+)$").group(1))
        self.wait_log(r"control socket at " + re.escape(self.socket_path) + "$")
        self.shared_count = int(self.wait_log(r"sharing ([\d,]+) files? \(",
                                              timeout=startup_timeout).group(1).replace(",", ""))
        self.peer_id = None
        if wait_connected:
            self.wait_registered()
            if wait_hashed:
                self.wait_hashed()

    def wait_hashed(self):
        """Until napeerd has hashed every shared file and the index holds
        the roots: files are announced by name first and again with their
        roots, so a test that fetches or counts contents waits for this."""
        def hashed():
            status = run_napctl(["status", "--json"], self.socket_path)
            return status.returncode == 0 and status.json()["hash_files_left"] == 0
        wait_for(hashed, f"{self.describe()} to hash its files")
        # The roots went to the index before this search, on the same
        # link, and the index applies a peer's messages in order: once the
        # answer is here, it has them.
        run_napctl(["search", "--json", "a"], self.socket_path)

    def wait_registered(self, since=0):
        found = self.wait_log(r"connected to index 127\.0\.0\.1:\d+ as peer (\d+); "
                              r"file list synced \(([\d,]+) files?\)", since=since)
        self.peer_id = int(found.group(1))
        return self.peer_id


class CtlResult:
    def __init__(self, argv, returncode, stdout, stderr):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def out(self):
        return self.stdout.decode("utf-8", "backslashreplace")

    @property
    def err(self):
        return self.stderr.decode("utf-8", "backslashreplace")

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return (f"napctl {self.argv[1:]!r} -> exit {self.returncode}\n"
                f"stdout: {self.out[-3000:]!r}\nstderr: {self.err[-3000:]!r}")


def run_napctl(args, socket_path=None, input=None, env=None, timeout=None):
    """Runs napctl; args may mix str and bytes (bytes go to argv unchanged)."""
    argv = [os.fsencode(NAPCTL)]
    if socket_path is not None:
        argv += [b"--socket", os.fsencode(socket_path)]
    argv += [a if isinstance(a, bytes) else os.fsencode(str(a)) for a in args]
    full_env = dict(os.environ)
    full_env.pop("NAPSTER_SOCKET", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(argv, input=input if input is not None else b"",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
                          timeout=timeout or 6 * DEADLINE)
    return CtlResult(argv, proc.returncode, proc.stdout, proc.stderr)


def run_daemon_once(argv, timeout=None, cwd=None):
    """Runs a daemon that should exit by itself (bad config, busy port, --help)."""
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout or DEADLINE, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{argv} did not exit within {timeout or DEADLINE} s; stderr: "
                             f"{(e.stderr or b'').decode(errors='replace')[-2000:]}") from None


# ---------------------------------------------------------------- wire format
# man/napster-protocol(7) / daemon/protocol/protocol.h: a frame is a u32
# big-endian length of what follows (type + payload), a u16 type, the payload.

MAGIC = 0x4E415053
VERSION = 3       # the highest protocol version napster speaks
MIN_VERSION = 3   # the lowest
CHANNEL_INDEX, CHANNEL_TRANSFER, CHANNEL_CONTROL = 1, 2, 3

HELLO, WELCOME, ERROR, PING, PONG = 0x0001, 0x0002, 0x0003, 0x0004, 0x0005
REGISTER, REGISTERED, FILES_ADD, FILES_REMOVE = 0x0101, 0x0102, 0x0103, 0x0104
SEARCH, SEARCH_RESULT = 0x0110, 0x0111
GET, GET_OK, GET_HASHES, HASHES = 0x0201, 0x0202, 0x0203, 0x0204
FETCH, FETCH_PROGRESS, FETCH_DONE, STATUS, STATUS_RESULT = 0x0301, 0x0302, 0x0303, 0x0304, 0x0305
SHARES, SHARES_BATCH, SHARES_END = 0x0306, 0x0307, 0x0308

ERR_MALFORMED, ERR_VERSION, ERR_UNEXPECTED, ERR_LIMIT, ERR_NOT_FOUND = 1, 2, 3, 4, 5
ERR_BUSY, ERR_IO, ERR_NOT_CONNECTED, ERR_PERMISSION = 6, 7, 9, 11

ROOT_SIZE = 32  # a content root: the SHA-256 hash tree of content/hash_tree.h


def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def str8(b):
    b = b if isinstance(b, bytes) else b.encode()
    return u8(len(b)) + b


def str16(b):
    b = b if isinstance(b, bytes) else b.encode()
    return u16(len(b)) + b


def frame(msg_type, payload=b""):
    return u32(len(payload) + 2) + u16(msg_type) + payload


def root_field(root=None):
    """A root on the wire (protocol/root_field.h): a str8 of 0 bytes (None)
    or of exactly 32."""
    if root is None:
        return u8(0)
    assert len(root) == ROOT_SIZE, f"a root is {ROOT_SIZE} bytes, not {len(root)}"
    return u8(ROOT_SIZE) + root


def read_root(payload, at):
    """The root field at `at`: (root or None, the offset after it)."""
    length = payload[at]
    assert length in (0, ROOT_SIZE), f"root field of {length} bytes"
    return (payload[at + 1:at + 1 + length] or None), at + 1 + length


def hello(channel, version=VERSION, magic=MAGIC, min_version=None):
    """HELLO for versions min_version..version (min_version None: the same
    as version). A version-1 HELLO has no min_version field: hello_v1()."""
    low = version if min_version is None else min_version
    return frame(HELLO, u32(magic) + u16(version) + u8(channel) + u16(low))


def hello_v1(channel):
    """Exactly what napster 0.1.0 sent: magic, version 1, channel."""
    return frame(HELLO, u32(MAGIC) + u16(1) + u8(channel))


def file_entry(file_id, size, name, rel_path=None, root=None):
    return (u64(file_id) + u64(size) + str8(name) + str16(rel_path if rel_path is not None else name)
            + root_field(root))


def search_request(request_id, query, flags=0, max_results=0, root=None):
    """SEARCH: by name (query) or by content (root, query empty)."""
    return frame(SEARCH, u32(request_id) + u8(flags) + u16(max_results) + str16(query) + root_field(root))


def get_request(file_id, name, requester_id=0xFFFFFFFF, requester_name=b"raw", offset=0, length=0,
                root=None):
    """GET of `length` bytes from `offset` (length 0: to the end)."""
    return frame(GET, u32(requester_id) + str8(requester_name) + u64(file_id) + str8(name) + root_field(root)
                 + u64(offset) + u64(length))


def get_ok(size, offset=0, length=None, root=None):
    """GET_OK for bytes offset .. offset + length of a file of `size` bytes
    (length None: to the end)."""
    if length is None:
        length = size - offset
    return frame(GET_OK, u64(size) + root_field(root) + u64(offset) + u64(length))


def parse_get(payload):
    """A GET payload as a dict: requester_id, requester_name, file_id, name,
    root (bytes or None), offset, length."""
    (requester_id,) = struct.unpack(">I", payload[:4])
    at = 4
    requester_name = payload[at + 1:at + 1 + payload[at]]
    at += 1 + payload[at]
    (file_id,) = struct.unpack(">Q", payload[at:at + 8])
    at += 8
    name = payload[at + 1:at + 1 + payload[at]]
    at += 1 + payload[at]
    root, at = read_root(payload, at)
    offset, length = struct.unpack(">QQ", payload[at:])
    return {"requester_id": requester_id, "requester_name": requester_name, "file_id": file_id, "name": name,
            "root": root, "offset": offset, "length": length}


def parse_get_ok(payload):
    """A GET_OK payload as (size, root, offset, length); the whole payload
    must be used."""
    (size,) = struct.unpack(">Q", payload[:8])
    root, at = read_root(payload, 8)
    offset, length = struct.unpack(">QQ", payload[at:])
    return size, root, offset, length


def can_unshare_mounts():
    """Whether this process may make mount namespaces (root, unshare(1)):
    tests use one to show napctl a directory or socket napeerd cannot see."""
    unshare = shutil.which("unshare")
    if not unshare or os.geteuid() != 0:
        return False
    probe = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs none /mnt"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return probe.returncode == 0


def fetch_request(name, peer=None, output_dir=b"", root=None, output_fd=None):
    """FETCH (control channel): by name, or by root with the name empty.
    The output fd flag is set when an output dir is named, unless given;
    the descriptor itself goes with RawClient.send_with_fds."""
    if output_fd is None:
        output_fd = bool(output_dir)
    return frame(FETCH, str8(name) + u8(0 if peer is None else 1) + u32(peer or 0) + str16(output_dir)
                 + root_field(root) + u8(1 if output_fd else 0))


class RawClient:
    """A hand-driven socket speaking napster frames, for hostile-input tests."""

    def __init__(self, address):
        """Connects to a Unix socket path (str) or a (host, port) pair."""
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(DEADLINE)
        self.sock.connect(address)
        self.buffer = b""
        self.eof = False

    @classmethod
    def wrap(cls, sock):
        """A RawClient over a socket that is already connected (accepted)."""
        client = cls.__new__(cls)
        client.sock, client.buffer, client.eof = sock, b"", False
        sock.settimeout(DEADLINE)
        return client

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        """Sends; a peer that already closed (EPIPE/ECONNRESET) is not an error here."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def send_with_fds(self, data, fds):
        """Sends `data` with descriptors (SCM_RIGHTS) on its first byte."""
        sent = socket.send_fds(self.sock, [data], fds)
        if sent < len(data):
            self.sock.sendall(data[sent:])

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"nothing arrived within {DEADLINE} s")
        ready, _, _ = select.select([self.sock], [], [], left)
        if not ready:
            raise AssertionError(f"nothing arrived within {DEADLINE} s")
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
        self.buffer += chunk

    def read_frame(self, timeout=None):
        """The next frame as (type, payload), or None at end of stream."""
        deadline = time.monotonic() + (timeout or DEADLINE)
        while True:
            if len(self.buffer) >= 6:
                (length,) = struct.unpack(">I", self.buffer[:4])
                if len(self.buffer) >= 4 + length:
                    (msg_type,) = struct.unpack(">H", self.buffer[4:6])
                    payload = self.buffer[6:4 + length]
                    self.buffer = self.buffer[4 + length:]
                    return msg_type, payload
            if self.eof:
                return None
            self._fill(deadline)

    def read_raw(self, count, timeout=None):
        deadline = time.monotonic() + (timeout or DEADLINE)
        while len(self.buffer) < count and not self.eof:
            self._fill(deadline)
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def wait_closed(self, timeout=None):
        """Reads until end of stream; returns every byte that came first."""
        deadline = time.monotonic() + (timeout or DEADLINE)
        while not self.eof:
            self._fill(deadline)
        data, self.buffer = self.buffer, b""
        return data

    def handshake(self, channel):
        self.send(hello(channel))
        reply = self.read_frame()
        assert reply is not None and reply[0] == WELCOME, f"expected WELCOME, got {reply!r}"
        return reply


def parse_error(payload):
    (code,) = struct.unpack(">H", payload[:2])
    (length,) = struct.unpack(">H", payload[2:4])
    return code, payload[4:4 + length].decode("utf-8", "replace")


def error_frame(code, text):
    return frame(ERROR, u16(code) + str16(text))


def get_hashes_request(file_id, name, root, first, count):
    """GET_HASHES: the leaves of blocks first .. first + count - 1 of the
    file with `root` (32 bytes, not a str8)."""
    return frame(GET_HASHES, u64(file_id) + str8(name) + root + u64(first) + u32(count))


def parse_get_hashes(payload):
    """A GET_HASHES payload as (file_id, name, root, first, count)."""
    (file_id,) = struct.unpack(">Q", payload[:8])
    length = payload[8]
    name = payload[9:9 + length]
    at = 9 + length
    root = payload[at:at + ROOT_SIZE]
    first, count = struct.unpack(">QI", payload[at + ROOT_SIZE:])
    return file_id, name, root, first, count


def hashes_reply(root, size, first, leaves):
    """HASHES: the leaves of blocks first .. first + len(leaves) - 1."""
    return frame(HASHES, root + u64(size) + u64(first) + u32(len(leaves)) + b"".join(leaves))


def parse_hashes(payload):
    """A HASHES payload as (root, size, first, [leaf, ...])."""
    root = payload[:ROOT_SIZE]
    size, first, count = struct.unpack(">QQI", payload[ROOT_SIZE:ROOT_SIZE + 20])
    body = payload[ROOT_SIZE + 20:]
    assert len(body) == count * ROOT_SIZE, f"HASHES of {count} leaves has {len(body)} bytes of them"
    return root, size, first, [body[i:i + ROOT_SIZE] for i in range(0, len(body), ROOT_SIZE)]


def parse_search_result(payload):
    """A SEARCH_RESULT payload as (request_id, total_matches, hits), each hit
    a dict: name, size, root (bytes or None), holder_total, holders (dicts:
    peer_id, peer_name, address, port, file_id, name)."""
    request_id, total, flags, count = struct.unpack(">IIBH", payload[:11])
    assert flags in (0, 1), f"SEARCH_RESULT flags {flags:#x}"
    at = 11
    hits = []

    def take_str8():
        nonlocal at
        length = payload[at]
        value = payload[at + 1:at + 1 + length]
        at += 1 + length
        return value

    for _ in range(count):
        name = take_str8()
        (size,) = struct.unpack(">Q", payload[at:at + 8])
        root, at = read_root(payload, at + 8)
        holder_total, holder_count = struct.unpack(">IH", payload[at:at + 6])
        at += 6
        holders = []
        for _ in range(holder_count):
            (peer_id,) = struct.unpack(">I", payload[at:at + 4])
            at += 4
            peer_name = take_str8()
            address = take_str8()
            port, file_id = struct.unpack(">HQ", payload[at:at + 10])
            at += 10
            holders.append({"peer_id": peer_id, "peer_name": peer_name, "address": address, "port": port,
                            "file_id": file_id, "name": take_str8()})
        hits.append({"name": name, "size": size, "root": root, "holder_total": holder_total,
                     "holders": holders})
    assert at == len(payload), f"SEARCH_RESULT has {len(payload) - at} bytes past its hits"
    return request_id, total, hits


class IndexProbe:
    """A raw client registered at the index (with no files) that searches,
    to see exactly what the index holds: by name or by root."""

    def __init__(self, index_port, name="probe"):
        self.client = RawClient(("127.0.0.1", index_port))
        self.client.handshake(CHANNEL_INDEX)
        self.client.send(frame(REGISTER, str8(name) + u16(1)))
        reply = self.client.read_frame()
        assert reply is not None and reply[0] == REGISTERED, f"expected REGISTERED, got {reply!r}"
        (self.peer_id,) = struct.unpack(">I", reply[1])
        self.request_id = 0

    def search(self, query=b"", exact=False, root=None):
        """The hits of one SEARCH (PINGs from the index are answered)."""
        self.request_id += 1
        self.client.send(search_request(self.request_id, query, flags=1 if exact else 0, root=root))
        while True:
            reply = self.client.read_frame()
            assert reply is not None, "the index closed the probe's connection"
            if reply[0] == PING:
                self.client.send(frame(PONG, reply[1]))
                continue
            assert reply[0] == SEARCH_RESULT, f"expected SEARCH_RESULT, got {reply!r}"
            request_id, _, hits = parse_search_result(reply[1])
            assert request_id == self.request_id, f"answer to request {request_id}, not {self.request_id}"
            return hits

    def close(self):
        self.client.close()


# ---------------------------------------------------------------- content roots
# napster-protocol(7), CONTENT IDENTITY, written again from the page so that
# the tests check napeerd against the spec, not against its own code.

BLOCK_SIZE = 1 << 20


def tree_leaves(data):
    """The leaf of each 1 MiB block: SHA-256(0x00 || block); an empty file
    is one empty block."""
    if not data:
        return [hashlib.sha256(b"\0").digest()]
    return [hashlib.sha256(b"\0" + data[i:i + BLOCK_SIZE]).digest()
            for i in range(0, len(data), BLOCK_SIZE)]


def tree_root_of_leaves(leaves):
    """Pairs each level left to right with SHA-256(0x01 || left || right);
    an odd last node goes up unchanged; the one node left is the root."""
    level = list(leaves)
    while len(level) > 1:
        paired = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
                  for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def tree_root(data):
    """The content root of `data` (32 bytes)."""
    return tree_root_of_leaves(tree_leaves(data))


# ---------------------------------------------------------------- test case


class NapsterTestCase(unittest.TestCase):
    """Gives each test a temporary dir and stops its daemons when it ends."""

    maxDiff = None

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="napster-it-")
        self.addCleanup(self._tmp.cleanup)
        self.tmp = Path(self._tmp.name)
        self.daemons = []
        self.addCleanup(self._stop_daemons)

    def _stop_daemons(self):
        problems = []
        # Peers first, so the index logs their departures as it would in use.
        for daemon in sorted(self.daemons, key=lambda d: d.kind != "napeerd"):
            problems += daemon.terminate_and_check()
        self.daemons = []
        if problems:
            self.fail("\n".join(problems))

    def start_index(self, name="index", **kwargs):
        index = Index(self.tmp / name, name=name, **kwargs)
        self.daemons.append(index)
        return index

    def start_peer(self, name, index, files=None, **kwargs):
        """Starts a peer and, when it shares files, waits until the index has them."""
        index_mark = index.mark() if isinstance(index, Index) else 0
        port = index.port if isinstance(index, Index) else index
        peer = Peer(self.tmp / name, name, port, files=files, **kwargs)
        self.daemons.append(peer)
        if isinstance(index, Index) and peer.peer_id is not None and peer.shared_count > 0:
            index.wait_log(rf"peer {peer.peer_id} \({re.escape(printable(name))}\) added ", since=index_mark)
        return peer

    def ctl(self, peer, *args, input=None, env=None, timeout=None):
        socket_path = peer.socket_path if isinstance(peer, Peer) else peer
        result = run_napctl(args, socket_path=socket_path, input=input, env=env, timeout=timeout)
        check_no_sanitizer_report(self, result.err, "napctl")
        return result

    def start_fetch(self, peer, *args):
        """napctl fetch in the background; killed and reaped if the test ends first."""
        fetch = subprocess.Popen([NAPCTL, "--socket", peer.socket_path, "fetch", *args], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def reap():
            if fetch.poll() is None:
                fetch.kill()
            fetch.communicate()
        self.addCleanup(reap)
        return fetch

    def assertExit(self, result, status, msg=None):
        if result.returncode != status:
            self.fail(f"{msg + ': ' if msg else ''}expected exit {status}, got {result!r}")

    def assertAlive(self, *daemons):
        for d in daemons:
            if not d.alive():
                self.fail(f"{d.describe()} died with {d.proc.returncode}; log:\n{d.log()[-4000:]}")

    def search_json(self, peer, *words, exact=False):
        args = ["search"] + (["--exact"] if exact else []) + ["--json", "--"] + list(words)
        result = self.ctl(peer, *args)
        self.assertIn(result.returncode, (0, 1), repr(result))
        return result.returncode, result.json()

    def holders_of(self, peer, name, exact=True):
        """{peer_id, ...} holding exactly `name` (bytes or str), per the index."""
        name_b = name if isinstance(name, bytes) else name.encode()
        status, doc = self.search_json(peer, name_b, exact=exact)
        ids = set()
        for f in doc["files"]:
            if file_name_bytes(f) == name_b:
                ids.update(h["peer_id"] for h in f["holders"])
        return ids


def file_name_bytes(entry, key="name"):
    """A JSON file entry's name as bytes: `name_hex` when the name is not UTF-8."""
    if key + "_hex" in entry:
        return bytes.fromhex(entry[key + "_hex"])
    return entry[key].encode()


def partial_files(directory):
    return [n for n in os.listdir(os.fsencode(directory)) if n.startswith(b".napster-")]


def main():
    unittest.main(verbosity=2)


# ---------------------------------------------------------------- a fake peer


class FakeHolder:
    """A peer played by the test: registers at the index over a raw socket,
    announces files, and serves GETs on its own listening socket the way
    `serve` says, so a test controls exactly how bytes reach a downloader.

    serve(conn, get_payload) runs on a thread for each accepted connection,
    after the HELLO/WELCOME exchange and with the GET frame read.

    files: {file_id: (name, size)}, announced without a root, or
    {file_id: (name, size, root)} with one. leaves: {file_id: [leaf, ...]},
    the leaves GET_HASHES is answered with (true or not, as the test says);
    GET_HASHES for a file without them gets ERROR not_found. Each
    GET_HASHES payload is kept in .hash_requests, each GET in .requests.
    """

    def __init__(self, index_port, name, files, serve, leaves=None):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.upload_port = self.listener.getsockname()[1]
        self.serve = serve
        self.files = files
        self.leaves = leaves or {}
        self.requests = []
        self.hash_requests = []
        self.errors = []
        self.index = RawClient(("127.0.0.1", index_port))
        self.index.handshake(CHANNEL_INDEX)
        self.index.send(frame(REGISTER, str8(name) + u16(self.upload_port)))
        reply = self.index.read_frame()
        assert reply is not None and reply[0] == REGISTERED, f"expected REGISTERED, got {reply!r}"
        (self.peer_id,) = struct.unpack(">I", reply[1])
        entries = b"".join(file_entry(file_id, f[1], f[0], root=f[2] if len(f) > 2 else None)
                           for file_id, f in files.items())
        self.index.send(frame(FILES_ADD, u32(len(files)) + entries))
        self._stop = False
        self.listener.settimeout(0.1)
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self):
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                client = RawClient.wrap(conn)
                first = client.read_frame()
                if first is None or first[0] != HELLO:
                    raise AssertionError(f"fake holder expected HELLO, got {first!r}")
                client.send(frame(WELCOME, u16(VERSION)))
                get = client.read_frame()
                asked_hashes = False
                while get is not None and get[0] == GET_HASHES:
                    asked_hashes = True
                    self.hash_requests.append(get[1])
                    client.send(self._hashes_for(get[1]))
                    get = client.read_frame()
                if get is None and asked_hashes:
                    continue  # a downloader may hang up after HASHES
                if get is None or get[0] != GET:
                    raise AssertionError(f"fake holder expected GET, got {get!r}")
                self.requests.append(get[1])
                self.serve(conn, get[1])
            except Exception as e:  # reported by the test through .errors
                self.errors.append(repr(e))
            finally:
                conn.close()

    def _hashes_for(self, payload):
        file_id, _, asked, first, count = parse_get_hashes(payload)
        leaves = self.leaves.get(file_id)
        if leaves is None:
            return error_frame(ERR_NOT_FOUND, "no hashes here")
        entry = self.files[file_id]
        root = entry[2] if len(entry) > 2 and entry[2] else asked
        return hashes_reply(root, entry[1], first, leaves[first:first + count])

    def stop_listening(self):
        """From now on the upload port refuses connections; the index still
        lists the files (the index connection stays)."""
        self._stop = True
        self.thread.join(DEADLINE)
        self.listener.close()

    def close(self):
        self.stop_listening()
        self.index.close()
