#!/usr/bin/env zsh
# SPDX-License-Identifier: MIT
# Drives napctl's zsh completion in a real interactive zsh on a pty: for
# each LINE, types it, presses Tab and waits (10 s at most) for output
# matching PATTERN (a zsh glob pattern, matched against everything zsh
# wrote since, control sequences included).
#
# Usage: completion_zsh_test.zsh COMPLETION-FILE [LINE PATTERN]...
emulate -L zsh
zmodload zsh/zpty zsh/zselect || { print "FAIL: no zsh/zpty or zsh/zselect"; exit 1 }
local file=${1:?usage: completion_zsh_test.zsh COMPLETION-FILE [LINE PATTERN]...}
shift
(( $# % 2 == 0 )) || { print "FAIL: LINE without a PATTERN"; exit 1 }

local dir
dir=$(mktemp -d) || exit 1
trap 'zpty -d z 2>/dev/null; rm -rf -- $dir' EXIT
cp -- $file $dir/_napctl || exit 1
# ZDOTDIR: no user's startup files; PATH as the caller's, for napctl.
ZDOTDIR=$dir zpty -b z zsh -f -i || exit 1
local fd=$REPLY

# Reads what zsh writes until it matches $1 or 10 s pass without a match.
local seen
expect() {
    local chunk deadline=$(( EPOCHREALTIME + 10 ))
    seen=
    while (( EPOCHREALTIME < deadline )); do
        [[ $seen == $~1 ]] && return 0
        zselect -t 50 -r $fd || continue
        zpty -r -t z chunk && seen+=$chunk
    done
    [[ $seen == $~1 ]]
}

zmodload zsh/datetime
zpty -w z "PS1='> '; fpath=($dir \$fpath); autoload -U compinit; compinit -u -D; print ST''ARTED"
expect '*STARTED*' || { print "FAIL: zsh did not start: ${(q)seen}"; exit 1 }

local failures=0 checks=0
while (( $# )); do
    local line=$1 pattern=$2
    shift 2
    (( checks++ ))
    # Ctrl-U clears what the last check left on the line.
    zpty -w -n z $'\C-u'"$line"$'\t'
    if ! expect $pattern; then
        print -r -- "FAIL: ${(q)line}<Tab> did not show ${(q)pattern}; zsh wrote: ${(q)seen}"
        (( failures++ ))
    fi
done
print "$checks checks, $failures failed"
(( failures == 0 ))
