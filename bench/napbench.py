# SPDX-License-Identifier: MIT
"""Shared helpers for napster's benchmarks (Python 3 standard library only).

Starts the real napindexd and napeerd on 127.0.0.1 with port 0 and configs
written into a temporary directory, talks the control protocol
(man/napster-protocol.7, daemon/protocol/protocol.h) directly over a
napeerd's Unix socket, reads the daemons' logs, and sums up samples.

Binaries come from $NAPINDEXD, $NAPEERD and $NAPCTL if set, else from
--build-dir (default: build-bench/ in the source tree, a release build:
`meson setup build-bench -Dbuildtype=release -Dtests=false`).
"""

import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUILD_DIR = SOURCE_ROOT / "build-bench"


# ---------------------------------------------------------------- binaries


class Binaries:
    def __init__(self, build_dir=None):
        build = Path(build_dir) if build_dir else DEFAULT_BUILD_DIR
        self.build_dir = build
        self.napindexd = find_executable("NAPINDEXD", build / "daemon/index/napindexd")
        self.napeerd = find_executable("NAPEERD", build / "daemon/peer/napeerd")
        self.napctl = find_executable("NAPCTL", build / "ctl/napctl")

    def build_type(self):
        return build_type(self.build_dir)


def find_executable(variable, default):
    """$variable if set, else default; exits with how to build it when it is not there."""
    path = os.environ.get(variable) or str(default)
    if not os.access(path, os.X_OK):
        raise SystemExit(f"bench: no executable {path} (set ${variable} or --build-dir); build one with\n"
                         f"  meson setup build-bench -Dbuildtype=release -Dtests=false && ninja -C build-bench")
    return path


def build_type(build_dir):
    """buildtype and b_sanitize of a build dir, as meson recorded them."""
    info = Path(build_dir) / "meson-info" / "intro-buildoptions.json"
    try:
        options = {o["name"]: o["value"] for o in json.loads(info.read_text())}
    except (OSError, ValueError, KeyError):
        return "unknown"
    text = f"{options.get('buildtype', '?')}, optimization {options.get('optimization', '?')}"
    if options.get("b_sanitize", "none") != "none":
        text += f", sanitize {options['b_sanitize']} (not representative)"
    return text


def require_inotifywait():
    path = shutil.which("inotifywait")
    if not path:
        raise SystemExit("bench: inotifywait is not installed; it is the reference this benchmark is\n"
                         "measured against. Install it with:\n"
                         "  sudo apt-get install inotify-tools")
    return path


def inotifywait_version(path):
    out = subprocess.run([path, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
    first = out.decode(errors="replace").splitlines()[:1]
    return first[0].strip() if first else "unknown"


# ---------------------------------------------------------------- configs


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_toml(path, sections):
    """sections: {"": {top-level keys}, "listen": {...}, ...}."""
    lines = []
    for section, keys in sections.items():
        if section:
            lines.append(f"\n[{section}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in keys.items()]
    Path(path).write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------- daemons


def daemon_env():
    env = dict(os.environ)
    env.pop("JOURNAL_STREAM", None)  # plain log lines with timestamps, never journal style
    env.pop("NAPSTER_SOCKET", None)
    return env


class Daemon:
    """One running daemon; its stderr (the log) goes to a file."""

    def __init__(self, name, workdir, argv):
        self.name = name
        self.workdir = Path(workdir)
        self.log_path = self.workdir / f"{name}.log"
        with open(self.log_path, "wb") as err:
            self.spawn_mono_ns = time.monotonic_ns()
            self.spawn_wall_ns = time.time_ns()
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err, cwd=self.workdir, env=daemon_env())

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        return self.log_path.read_bytes().decode("utf-8", "backslashreplace")

    def wait_log(self, pattern, timeout=30.0, interval=0.002):
        """Polls the log for a regex (multiline); returns the match."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            text = self.log()
            found = regex.search(text)
            if found:
                return found
            if self.proc.poll() is not None:
                raise SystemExit(f"bench: {self.name} exited with {self.proc.returncode} before logging "
                                 f"/{pattern}/; its log:\n{text[-3000:]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: {self.name} did not log /{pattern}/ within {timeout} s; "
                                 f"its log:\n{text[-3000:]}")
            time.sleep(interval)

    def stop(self, timeout=20.0):
        """SIGTERM and wait; returns a problem text or None."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return f"{self.name} did not stop within {timeout} s of SIGTERM"
        if self.proc.returncode != 0:
            return f"{self.name} exited with {self.proc.returncode}"
        return None


def start_index(binaries, workdir, name="napindexd", extra=None):
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sections = {"listen": {"address": "127.0.0.1", "port": 0}, "log": {"level": "info"}}
    for section, keys in (extra or {}).items():
        sections.setdefault(section, {}).update(keys)
    config = workdir / f"{name}.toml"
    write_toml(config, sections)
    index = Daemon(name, workdir, [binaries.napindexd, "--config", str(config)])
    index.port = int(index.wait_log(r"listening on 127\.0\.0\.1:(\d+)$").group(1))
    return index


def start_peer(binaries, workdir, name, index_port, share_dirs, wait_connected=True, timeout=60.0):
    """A napeerd named `name` sharing `share_dirs`; control socket in workdir."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    socket_path = workdir / "napeerd.sock"
    config = workdir / "napeerd.toml"
    write_toml(config, {
        "": {"name": name},
        "index": {"address": "127.0.0.1", "port": index_port},
        "upload": {"address": "127.0.0.1", "port": 0},
        "share": {"dirs": [str(d) for d in share_dirs], "download_dir": str(workdir / "downloads")},
        "control": {"socket": str(socket_path)},
        "log": {"level": "info"},
    })
    peer = Daemon(f"napeerd-{name}", workdir, [binaries.napeerd, "--config", str(config)])
    peer.socket_path = str(socket_path)
    if wait_connected:
        found = peer.wait_log(r"connected to index 127\.0\.0\.1:\d+ as peer (\d+); "
                              r"file list synced \(([\d,]+) files?\)$", timeout=timeout)
        peer.peer_id = int(found.group(1))
    return peer


# ---------------------------------------------------------------- log lines

LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) (.*)$", re.MULTILINE)


def log_lines(text):
    """[(wall-clock ns, message)] for every timestamped line. The daemons
    stamp local time (localtime_r) truncated to the millisecond."""
    out = []
    for found in LOG_LINE.finditer(text):
        seconds = datetime.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
        out.append((int(seconds) * 1_000_000_000 + int(found.group(2)) * 1_000_000, found.group(3)))
    return out


# ---------------------------------------------------------------- control protocol
# A frame is a u32 big-endian length of what follows (type + payload), a u16
# type, the payload. The control channel takes exactly one request per
# connection, after HELLO/WELCOME.

MAGIC = 0x4E415053
VERSION = 3  # protocol version; HELLO carries it as both the highest and the lowest
CHANNEL_CONTROL = 3
HELLO, WELCOME, ERROR, PING, PONG = 0x0001, 0x0002, 0x0003, 0x0004, 0x0005
SEARCH, SEARCH_RESULT = 0x0110, 0x0111
SEARCH_EXACT = 0x01
HELLO_FRAME = struct.pack(">IHIHBH", 2 + 9, HELLO, MAGIC, VERSION, CHANNEL_CONTROL, VERSION)


class ControlError(Exception):
    """napeerd answered ERROR (code, text), or the connection failed."""

    def __init__(self, text, code=None):
        super().__init__(text)
        self.code = code


def _recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ControlError("napeerd closed the connection")
        data += chunk
    return bytes(data)


def _recv_frame(sock):
    length, msg_type = struct.unpack(">IH", _recv_exact(sock, 6))
    if length < 2 or length > 1024 * 1024:
        raise ControlError(f"bad frame length {length}")
    return msg_type, _recv_exact(sock, length - 2)


def _raise_error(payload):
    code, text_len = struct.unpack_from(">HH", payload)
    raise ControlError(payload[4:4 + text_len].decode(errors="replace"), code)


def search(socket_path, query, exact=True, max_results=0, timeout=5.0):
    """One SEARCH on a new control connection. Returns (total_matches,
    [hit names as bytes]). Raises ControlError on an ERROR reply (for example
    not_connected while napeerd has no index link)."""
    query = query if isinstance(query, bytes) else query.encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(socket_path)
        # request_id, flags, max_results, query, an empty root
        request = struct.pack(">IBHH", 1, SEARCH_EXACT if exact else 0, max_results, len(query)) + query + b"\0"
        # HELLO and the request in one write: napeerd reads frames in order
        # and judges the request only after its WELCOME.
        sock.sendall(HELLO_FRAME + struct.pack(">IH", 2 + len(request), SEARCH) + request)
        welcomed = False
        while True:
            msg_type, payload = _recv_frame(sock)
            if msg_type == PING:
                sock.sendall(struct.pack(">IH", 2 + len(payload), PONG) + payload)
            elif msg_type == ERROR:
                _raise_error(payload)
            elif msg_type == WELCOME and not welcomed:
                welcomed = True
            elif msg_type == SEARCH_RESULT and welcomed:
                return _parse_search_result(payload)
            else:
                raise ControlError(f"unexpected frame type 0x{msg_type:04x}")
    except OSError as e:
        raise ControlError(f"{socket_path}: {e}") from None
    finally:
        sock.close()


def _parse_search_result(payload):
    _request_id, total, _flags, count = struct.unpack_from(">IIBH", payload)
    offset = 11
    names = []
    for _ in range(count):
        n = payload[offset]
        names.append(payload[offset + 1:offset + 1 + n])
        offset += 1 + n + 8            # name, size
        offset += 1 + payload[offset]  # root
        offset += 4                    # holder_total
        holders = struct.unpack_from(">H", payload, offset)[0]
        offset += 2
        for _ in range(holders):
            offset += 4                      # peer_id
            offset += 1 + payload[offset]    # peer_name
            offset += 1 + payload[offset]    # address
            offset += 2 + 8                  # port, file_id
            offset += 1 + payload[offset]    # the holder's name
    return total, names


def napctl_json(binaries, socket_path, *args):
    proc = subprocess.run([binaries.napctl, "--socket", socket_path, "--json", *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=daemon_env(), timeout=30)
    if proc.returncode != 0:
        raise ControlError(f"napctl {' '.join(args)} exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace').strip()}")
    return json.loads(proc.stdout)


# ---------------------------------------------------------------- /proc


def proc_status(pid):
    """{'VmRSS': kB, 'VmHWM': kB, ...} from /proc/PID/status."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if value.strip().endswith("kB"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


# ---------------------------------------------------------------- numbers


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(values):
    v = sorted(values)
    if not v:
        return {"n": 0}
    return {"n": len(v), "min": v[0], "p50": percentile(v, 50), "p90": percentile(v, 90),
            "p99": percentile(v, 99), "max": v[-1], "mean": sum(v) / len(v)}


def format_ms(ns):
    return "n/a" if ns != ns else f"{ns / 1e6:.2f}"


def machine_info():
    def read(path):
        try:
            return Path(path).read_text()
        except OSError:
            return ""

    model = next((line.split(":", 1)[1].strip() for line in read("/proc/cpuinfo").splitlines()
                  if line.startswith("model name")), platform.machine())
    mem_kb = next((int(line.split()[1]) for line in read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "date_utc": now.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "kernel": platform.release(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "loadavg": read("/proc/loadavg").split()[:3],
    }


def print_machine(info, extra=()):
    print(f"date:    {info['date_utc']}")
    print(f"machine: {info['nproc']} cores ({info['cpu']}), {info['memory_gib']} GiB, "
          f"Linux {info['kernel']}, Python {info['python']}")
    print(f"load:    {' '.join(info['loadavg'])} (1/5/15 min) at start")
    for line in extra:
        print(line)
