#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Installs the build into a temporary DESTDIR and checks the tree.

Usage: install_tree_test.py MESON BUILD_DIR SOURCE_DIR

Runs `meson install --destdir TMP --no-rebuild` (the test depends on the
programs, so they are built), then checks:

- every path `meson introspect --installed` lists exists in TMP;
- sbin/napindexd, sbin/napeerd and bin/napctl are executable and run;
- sysconfdir/napster/{index,peer}.toml are the examples from config/, valid
  for the daemons' --check-config, and a second install keeps a modified
  peer.toml (and puts back a removed index.toml);
- the pristine examples in datadir/doc/napster/examples;
- the man pages in mandir/man{1,5,7,8}, with the version filled in;
- napctl's bash completion in a bash-completion completions dir, its zsh
  completion in zsh's vendor-completions dir;
- when the install plan has them: the systemd units in a lib/systemd/system
  dir, sysusers.d and tmpfiles.d entries in lib/sysusers.d, lib/tmpfiles.d.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

PROGRAMS = {"sbindir": ["napindexd", "napeerd"], "bindir": ["napctl"]}
MAN_PAGES = ["man1/napctl.1", "man5/napster.toml.5", "man7/napster-protocol.7",
             "man8/napindexd.8", "man8/napeerd.8"]
CONFIGS = ["index.toml", "peer.toml"]
SYSTEM_UNITS = ["napindexd.service", "napindexd.socket", "napeerd.service", "napeerd@.service"]


class Checker:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.checks = 0

    def check(self, ok: bool, what: str) -> bool:
        self.checks += 1
        if not ok:
            self.failures.append(what)
            print(f"FAIL: {what}")
        return ok


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)


def introspect(meson: str, build_dir: str, what: str):
    result = run([meson, "introspect", build_dir, what])
    if result.returncode != 0:
        raise SystemExit(f"meson introspect {what} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def install(meson: str, build_dir: str, destdir: Path) -> None:
    # Our own environment must not add a DESTDIR of its own.
    env = {k: v for k, v in os.environ.items() if k != "DESTDIR"}
    result = run([meson, "install", "-C", build_dir, "--destdir", str(destdir), "--no-rebuild"],
                 env=env)
    if result.returncode != 0:
        raise SystemExit(f"meson install failed ({result.returncode}):\n"
                         f"{result.stdout}\n{result.stderr}")


def in_destdir(destdir: Path, path: str) -> Path:
    # Meson joins an absolute install path onto DESTDIR as a string.
    return Path(str(destdir) + path)


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    meson, build_dir, source_dir = sys.argv[1:]
    c = Checker()

    options = {o["name"]: o["value"] for o in introspect(meson, build_dir, "--buildoptions")}
    version = introspect(meson, build_dir, "--projectinfo")["version"]
    prefix = options["prefix"]

    def option_dir(name: str) -> str:
        # prefix / dir, where an absolute dir stands alone (as in meson).
        return os.path.join(prefix, options[name])

    planned = introspect(meson, build_dir, "--installed")  # build path -> install path

    with tempfile.TemporaryDirectory(prefix="napster-install-") as tmp:
        destdir = Path(tmp) / "root"
        install(meson, build_dir, destdir)

        # Everything meson planned is there.
        for source, target in sorted(planned.items()):
            c.check(in_destdir(destdir, target).exists(), f"{target} (from {source}) was not installed")

        # The programs, executable, and they run.
        for dir_option, names in PROGRAMS.items():
            for name in names:
                path = in_destdir(destdir, os.path.join(option_dir(dir_option), name))
                if not c.check(path.is_file(), f"{path} is missing"):
                    continue
                c.check(os.access(path, os.X_OK), f"{path} is not executable")
                result = run([str(path), "--version"])
                c.check(result.returncode == 0 and version in result.stdout,
                        f"{path} --version: exit {result.returncode}, {result.stdout!r} {result.stderr!r}")

        # The example configs, installed only where absent.
        config_dir = in_destdir(destdir, os.path.join(option_dir("sysconfdir"), "napster"))
        examples_dir = in_destdir(destdir, os.path.join(option_dir("datadir"), "doc", "napster", "examples"))
        for name in CONFIGS:
            pristine = (Path(source_dir) / "config" / name).read_bytes()
            installed = config_dir / name
            if c.check(installed.is_file(), f"{installed} is missing"):
                c.check(installed.read_bytes() == pristine, f"{installed} differs from config/{name}")
                mode = stat.S_IMODE(installed.stat().st_mode)
                c.check(mode == 0o644, f"{installed} has mode {mode:o}, not 644")
            example = examples_dir / name
            if c.check(example.is_file(), f"{example} is missing"):
                c.check(example.read_bytes() == pristine, f"{example} differs from config/{name}")

        # The installed examples are valid configs.
        sbin = in_destdir(destdir, option_dir("sbindir"))
        for program, name in (("napindexd", "index.toml"), ("napeerd", "peer.toml")):
            if (sbin / program).is_file() and (config_dir / name).is_file():
                result = run([str(sbin / program), "--check-config", "--config", str(config_dir / name)])
                c.check(result.returncode == 0,
                        f"{program} --check-config {name}: exit {result.returncode}: {result.stderr.strip()}")

        # A second install keeps an admin's changes and restores what is gone.
        peer = config_dir / "peer.toml"
        index = config_dir / "index.toml"
        if peer.is_file() and index.is_file():
            edited = peer.read_text(encoding="utf-8") + '\n# edited by the admin\nname = "edited"\n'
            peer.write_text(edited, encoding="utf-8")
            index.unlink()
            install(meson, build_dir, destdir)
            c.check(peer.read_text(encoding="utf-8") == edited,
                    "a second meson install replaced the modified peer.toml")
            c.check(index.is_file(), "a second meson install did not put back a removed index.toml")
            leftovers = [p.name for p in config_dir.iterdir() if p.name not in CONFIGS]
            c.check(not leftovers, f"{config_dir} holds stray files: {leftovers}")

        # Man pages, filled in.
        man_dir = in_destdir(destdir, option_dir("mandir"))
        for page in MAN_PAGES:
            path = man_dir / page
            if c.check(path.is_file(), f"{path} is missing"):
                text = path.read_text(encoding="utf-8")
                c.check("@VERSION@" not in text and "@DATE@" not in text and f"napster {version}" in text,
                        f"{path}: version and date are not filled in")

        # The bash completion, under a completions dir of bash-completion.
        completions = [t for t in planned.values()
                       if Path(t).name == "napctl" and Path(t).parent.name == "completions"]
        if c.check(len(completions) == 1, f"no single napctl completion in the install plan: {completions}"):
            path = in_destdir(destdir, completions[0])
            c.check(path.is_file(), f"{path} is missing")
            c.check("bash-completion" in completions[0],
                    f"{completions[0]} is not in a bash-completion dir")

        # The zsh completion, in zsh's vendor-completions dir.
        zsh = [t for t in planned.values() if Path(t).name == "_napctl"]
        if c.check(len(zsh) == 1, f"no single zsh completion in the install plan: {zsh}"):
            c.check(in_destdir(destdir, zsh[0]).is_file(), f"{zsh[0]} is missing")
            c.check(zsh[0].endswith("/zsh/vendor-completions/_napctl"),
                    f"{zsh[0]} is not in a zsh vendor-completions dir")

        # systemd files, when this build installs them.
        units = {Path(t).name: t for t in planned.values() if Path(t).suffix in (".service", ".socket")}
        if units:
            for unit in SYSTEM_UNITS:
                system = [t for t in planned.values()
                          if Path(t).name == unit and t.endswith(f"/lib/systemd/system/{unit}")]
                if c.check(bool(system), f"{unit} is not installed into a lib/systemd/system dir"):
                    c.check(in_destdir(destdir, system[0]).is_file(), f"{system[0]} is missing")
        else:
            print("no systemd units in the install plan; not checking them")
        for kind in ("sysusers.d", "tmpfiles.d"):
            entries = [t for t in planned.values() if Path(t).parent.name == kind]
            if not entries:
                print(f"no {kind} entries in the install plan; not checking them")
                continue
            for entry in entries:
                c.check(entry.endswith(f"/lib/{kind}/{Path(entry).name}"),
                        f"{entry} is not in a lib/{kind} dir")
                c.check(in_destdir(destdir, entry).is_file(), f"{entry} is missing")

        if c.failures:
            tree = sorted(str(p.relative_to(destdir)) for p in destdir.rglob("*"))
            print("installed tree:\n  " + "\n  ".join(tree))

    print(f"{c.checks} checks, {len(c.failures)} failed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
