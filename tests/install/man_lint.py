#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lints one generated man page: `mandoc -T lint -W warning PAGE` must print
nothing and succeed. Exits 77 (skipped) when mandoc is not installed.

Usage: man_lint.py PAGE
"""

import shutil
import subprocess
import sys

SKIP = 77


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: man_lint.py PAGE", file=sys.stderr)
        return 2
    page = sys.argv[1]
    mandoc = shutil.which("mandoc")
    if mandoc is None:
        print("mandoc is not installed (apt-get install mandoc); skipping")
        return SKIP
    with open(page, encoding="utf-8") as f:
        text = f.read()
    # configure_file leaves a misspelt @KEY@ as it is.
    if "@VERSION@" in text or "@DATE@" in text:
        print(f"{page}: @VERSION@ or @DATE@ was not filled in")
        return 1
    result = subprocess.run([mandoc, "-T", "lint", "-W", "warning", page],
                            capture_output=True, text=True, check=False)
    output = (result.stdout + result.stderr).strip()
    if output or result.returncode != 0:
        print(output or f"mandoc exited {result.returncode}")
        return 1
    print(f"{page}: mandoc -T lint -W warning is clean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
