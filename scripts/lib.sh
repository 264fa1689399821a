# SPDX-License-Identifier: MIT
# Helpers shared by scripts/test and scripts/demo; sourced, never run.
# shellcheck shell=bash

# Debian packages every build needs; a script adds its own extras. cmake:
# Debian's doctest-dev ships no .pc file, meson finds it through CMake.
# shellcheck disable=SC2034  # used by the scripts that source this file
NAPSTER_BUILD_PACKAGES=(meson ninja-build pkg-config g++ cmake libuv1-dev
    libtomlplusplus-dev libfmt-dev libssl-dev doctest-dev python3)

# The repository root: the parent of the folder this file sits in.
NAPSTER_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

# Prefixes messages with the name of the script that is running.
napster_script=$(basename -- "$0")

say() { printf '%s: %s\n' "$napster_script" "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' and sudo is not installed"
    fi
}

# ensure_packages PKG...: installs with apt-get the packages that are not
# installed yet; runs 'apt-get update' once, and only when something is missing.
ensure_packages() {
    local pkg missing=()
    for pkg in "$@"; do
        if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    say "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
        die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        die "apt-get install ${missing[*]} failed"
}

# configure_build DIR OPTION...: sets DIR up with meson, or reconfigures it
# with these options when it is already a meson build dir; a dir that meson
# cannot reconfigure (another meson version, a broken setup) is wiped.
configure_build() {
    local dir=$1
    shift
    if [[ -f $dir/meson-private/coredata.dat ]]; then
        if meson setup --reconfigure "$dir" "$@"; then
            return 0
        fi
        say "could not reconfigure $dir; setting it up afresh"
        meson setup --wipe "$dir" "$@"
    else
        if [[ -e $dir ]]; then
            rm -rf -- "$dir"
        fi
        meson setup "$dir" "$@"
    fi
}
