#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Memory of idle connections at napindexd: N connections that sent HELLO
and nothing more (caps and handshake timeout lifted for the run), RSS of
napindexd before and after, bytes per connection.

  python3 bench/idle_connections.py [--connections 5000] [--build-dir DIR]
"""

import argparse
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
import napbench as nb  # noqa: E402

HELLO = bytes.fromhex("0000000b00014e4150530003010003")  # version 3, index channel


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--build-dir", help="meson build dir (default build-bench/)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.connections + 1024), hard))
    napindexd = nb.Binaries(args.build_dir).napindexd
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "index.toml")
        with open(config, "w") as f:
            f.write('[listen]\naddress = "127.0.0.1"\nport = 0\n'
                    '[limits]\nmax_pending = 0\nmax_per_address = 0\nhandshake_timeout = 3600\n')
        proc = subprocess.Popen([napindexd, "--config", config], stderr=subprocess.PIPE, text=True)
        try:
            port = None
            while port is None:
                found = re.search(r"listening on 127\.0\.0\.1:(\d+)", proc.stderr.readline())
                port = int(found.group(1)) if found else None
            time.sleep(0.3)
            before = rss_kib(proc.pid)
            socks = []
            for _ in range(args.connections):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(HELLO)
                socks.append(s)
            time.sleep(2)
            after = rss_kib(proc.pid)
            print(f"date:    {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
            print(f"load:    {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print(f"napindexd: {napindexd} ({nb.build_type(nb.Path(napindexd).parents[2])})")
            print(f"{args.connections} idle connections after HELLO: RSS {before} -> {after} KiB, "
                  f"{(after - before) * 1024 / args.connections:.0f} bytes a connection")
            for s in socks:
                s.close()
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
