#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""systemd-analyze verify on the units this build generated, plus
systemd-sysusers and systemd-tmpfiles on their files inside a scratch root.

The generated units name the installed binaries (prefix/sbin/napindexd),
which verify insists exist; the copies checked here name this build's
binaries instead, and nothing else is changed. Any line verify prints about
them is a failure: it reports unknown keys and bad values only as warnings.
Skips (exit 77) where systemd-analyze is missing."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdtest import binary, fail  # noqa: E402

SKIP = 77


def env_dir(name):
    path = os.environ.get(name)
    if not path or not os.path.isdir(path):
        fail(f"${name} does not name a directory ({path!r})")
    return path


def copy_units(source_dir, target_dir, replacements):
    os.makedirs(target_dir)
    names = []
    for name in sorted(os.listdir(source_dir)):
        if not name.endswith((".service", ".socket")):
            continue
        with open(os.path.join(source_dir, name)) as f:
            text = f.read()
        if left := re.search(r"@[a-z_]+@", text):
            fail(f"{name}: {left[0]} was left unfilled by configure_file")
        for old, new in replacements.items():
            text = text.replace(old, new)
        with open(os.path.join(target_dir, name), "w") as f:
            f.write(text)
        names.append(name)
    return names


def verify(what, argv, env):
    run = subprocess.run(argv, capture_output=True, text=True, env=env)
    output = (run.stdout + run.stderr).strip()
    if run.returncode != 0 or output:
        fail(f"systemd-analyze verify {what} (exit {run.returncode}):\n{output}")
    print(f"verified {what}")


def check_sysusers_and_tmpfiles(source_dir, scratch):
    sysusers = shutil.which("systemd-sysusers")
    tmpfiles = shutil.which("systemd-tmpfiles")
    if not sysusers or not tmpfiles:
        print("systemd-sysusers or systemd-tmpfiles missing: not checked")
        return
    root = os.path.join(scratch, "root")
    os.makedirs(os.path.join(root, "etc"))
    run = subprocess.run([sysusers, f"--root={root}", os.path.join(source_dir, "sysusers.d", "napster.conf")],
                         capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"systemd-sysusers refused sysusers.d/napster.conf:\n{run.stderr}")
    with open(os.path.join(root, "etc", "passwd")) as f:
        entry = next((l.split(":") for l in f if l.startswith("napster:")), None)
    if not entry or entry[5] != "/var/lib/napster" or not entry[6].strip().endswith("nologin"):
        fail(f"sysusers.d/napster.conf made {entry}, expected a nologin user napster")
    print(f"sysusers.d/napster.conf creates user napster (uid {entry[2]})")
    if os.geteuid() != 0:
        print("not root: tmpfiles.d/napster.conf not applied (it chowns)")
        return
    run = subprocess.run([tmpfiles, f"--root={root}", "--create", os.path.join(source_dir, "tmpfiles.d", "napster.conf")],
                         capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"systemd-tmpfiles refused tmpfiles.d/napster.conf:\n{run.stderr}")
    for rel, mode in (("srv/napster/share", 0o2775), ("srv/napster/downloads", 0o750)):
        st = os.stat(os.path.join(root, rel))
        if st.st_uid != int(entry[2]) or st.st_mode & 0o7777 != mode:
            fail(f"tmpfiles.d/napster.conf made /{rel} uid {st.st_uid} mode {st.st_mode & 0o7777:o}, "
                 f"expected uid {entry[2]} (napster) mode {mode:o}")
    print("tmpfiles.d/napster.conf creates /srv/napster/share and /srv/napster/downloads for napster")


def main():
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        print("systemd-analyze not found: skipped (install the systemd package)")
        sys.exit(SKIP)
    system_dir = env_dir("SYSTEMD_SYSTEM_UNITS")
    user_dir = env_dir("SYSTEMD_USER_UNITS")
    source_dir = env_dir("SYSTEMD_SOURCE_DIR")
    sbindir = os.environ["INSTALLED_SBINDIR"]
    replacements = {
        f"{sbindir}/napindexd": binary("NAPINDEXD"),
        f"{sbindir}/napeerd": binary("NAPEERD"),
    }

    scratch = tempfile.mkdtemp(prefix="napster-sd-verify-")
    try:
        # A user manager's paths need $XDG_RUNTIME_DIR; verify runs no manager.
        runtime = os.path.join(scratch, "runtime")
        os.makedirs(runtime, mode=0o700)
        env = dict(os.environ, XDG_RUNTIME_DIR=runtime, SYSTEMD_LOG_COLOR="0")
        base = [analyze, "verify", "--man=no", "--generators=no"]

        system = os.path.join(scratch, "system")
        names = copy_units(system_dir, system, replacements)
        expected = ["napeerd.service", "napeerd@.service", "napindexd.service", "napindexd.socket"]
        if names != expected:
            fail(f"generated system units are {names}, expected {expected}")
        # A template is checked through an instance, as systemd loads it.
        os.symlink("napeerd@.service", os.path.join(system, "napeerd@verify.service"))
        paths = [os.path.join(system, n) for n in
                 ("napindexd.service", "napindexd.socket", "napeerd.service", "napeerd@verify.service")]
        verify("system units", base + paths, env)

        # The example drop-in from systemd/README.md, applied to napeerd.service.
        dropins = os.path.join(system, "napeerd.service.d")
        os.makedirs(dropins)
        shutil.copy(os.path.join(source_dir, "examples", "napeerd-dirs.conf"), dropins)
        verify("napeerd.service with examples/napeerd-dirs.conf", base + [os.path.join(system, "napeerd.service")], env)

        user = os.path.join(scratch, "user")
        names = copy_units(user_dir, user, replacements)
        if names != ["napeerd.service", "napindexd.service"]:
            fail(f"generated user units are {names}")
        verify("user units", [analyze, "--user"] + base[1:] + [os.path.join(user, n) for n in names], env)

        check_sysusers_and_tmpfiles(source_dir, scratch)
        print("PASS")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
