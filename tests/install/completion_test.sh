#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sources napctl's bash completion in a plain bash (no bash-completion
# package loaded) and drives it the way bash does, through COMP_WORDS and
# COMP_CWORD.
#
# Usage: completion_test.sh PATH-TO-COMPLETION-FILE
set -u

file=${1:?usage: completion_test.sh COMPLETION-FILE}
failures=0
checks=0

fail() {
    printf 'FAIL: %s\n' "$*"
    failures=$((failures + 1))
}

# shellcheck source=/dev/null
if ! source "$file"; then
    echo "FAIL: sourcing $file failed"
    exit 1
fi

# The completion must not need anything from the bash-completion package.
if declare -F _init_completion >/dev/null || declare -F _filedir >/dev/null; then
    echo "FAIL: bash-completion helpers are loaded; this test wants a plain bash"
    exit 1
fi

registered=$(complete -p napctl 2>&1)
checks=$((checks + 1))
[[ $registered == "complete -F _napctl napctl" ]] ||
    fail "complete -p napctl printed: $registered"

# expect "WORDS" CWORD "EXPECTED REPLIES (sorted, space-separated)"
# WORDS is split at spaces, like the command line bash hands over; the
# current word is WORDS[CWORD], "" when it is one past the end.
expect() {
    local line=$1 cword=$2 want=$3
    local -a words
    read -r -a words <<<"$line"
    ((cword == ${#words[@]})) && words+=("")
    COMP_WORDS=("${words[@]}")
    COMP_CWORD=$cword
    COMP_LINE=$line
    COMP_POINT=${#line}
    COMPREPLY=()
    _napctl napctl "${words[cword]}" "${words[cword - 1]:-}"
    local got
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ')
    got=${got% }
    checks=$((checks + 1))
    [[ $got == "$want" ]] || fail "'$line' (word $cword): want [$want], got [$got]"
}

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
mkdir "$tmp/dl" "$tmp/docs"
: >"$tmp/dfile"
: >"$tmp/napeerd.sock"

# Commands and global options.
expect "napctl" 1 "cancel fetch help reload rescan search shares status transfers wait watch"
expect "napctl s" 1 "search shares status"
expect "napctl t" 1 "transfers"
expect "napctl re" 1 "reload rescan"
expect "napctl rel" 1 "reload"
expect "napctl reload --j" 2 "--json"
expect "napctl --" 1 "--help --json --socket --version"
expect "napctl --j" 1 "--json"
expect "napctl --json st" 2 "status"
expect "napctl --socket /run/x.sock sh" 3 "shares"
expect "napctl nosuch --" 2 ""

# Per-command options, global ones too after the command.
expect "napctl search --e" 2 "--exact"
expect "napctl search foo --" 3 "--exact --help --json --socket --version"
expect "napctl fetch --" 2 "--background --hash --help --json --output --peer --quiet --socket --version"
expect "napctl fetch --h" 2 "--hash --help"
expect "napctl fetch file8_3.txt --o" 3 "--output"
expect "napctl status --" 2 "--help --json --socket --version"
expect "napctl status --p" 2 ""
expect "napctl rescan --j" 2 "--json"
expect "napctl fetch -- --o" 3 ""

# Values: directories after --output, files after --socket, nothing for --peer.
expect "napctl fetch x --output $tmp/d" 4 "$tmp/dl $tmp/docs"
expect "napctl fetch x --output $tmp/" 4 "$tmp/dl $tmp/docs"
expect "napctl --socket $tmp/n" 2 "$tmp/napeerd.sock"
expect "napctl --socket $tmp/d" 2 "$tmp/dfile $tmp/dl $tmp/docs"
expect "napctl fetch x --peer " 4 ""
expect "napctl fetch --hash " 3 ""
expect "napctl fetch --hash 4f1c " 4 ""
expect "napctl fetch --hash 4f1c x --o" 5 "--output"
# "--hash = ROOT" as bash splits "--hash=ROOT": the root is skipped too.
expect "napctl --socket $tmp/napeerd.sock fetch --hash = 4f1c --p" 7 "--peer"
# "--output=DIR" as bash splits it with "=" in COMP_WORDBREAKS ...
expect "napctl fetch x --output = $tmp/d" 5 "$tmp/dl $tmp/docs"
expect "napctl --socket = $tmp/n" 3 "$tmp/napeerd.sock"
# ... and as one word when "=" is not a word break.
expect "napctl fetch x --output=$tmp/d" 3 "$tmp/dl $tmp/docs"
# The value is skipped when looking for the command.
expect "napctl --socket = $tmp/napeerd.sock se" 4 "search"

# help completes command names, once.
expect "napctl help s" 2 "search shares status"
expect "napctl help w" 2 "wait watch"
expect "napctl watch --j" 2 "--json"
expect "napctl help search " 3 ""

# Transfer ids after cancel and wait: those napctl transfers --json lists as
# running (a stand-in napctl answers here, and notes the socket it got).
napctl() {
    printf '%s\n' "$*" >"$tmp/napctl-args"
    printf '%s\n' '{"transfers":[{"id":3,"direction":"download","state":"transferring","name":"a"},{"id":12,"direction":"upload","state":"connecting","name":"b"},{"id":1,"direction":"download","state":"done","name":"c"},{"id":2,"direction":"upload","state":"cancelled","name":"d"}],"more":0}'
}
expect "napctl cancel " 2 "12 3"
expect "napctl wait 1" 2 "12"
expect "napctl wait --" 2 "--help --json --quiet --socket --version"
expect "napctl cancel 3 " 3 ""
expect "napctl --socket $tmp/napeerd.sock cancel " 4 "12 3"
checks=$((checks + 1))
[[ $(cat "$tmp/napctl-args") == "--socket $tmp/napeerd.sock transfers --json" ]] ||
    fail "the transfer ids were asked with: $(cat "$tmp/napctl-args")"
unset -f napctl

echo "$checks checks, $failures failed"
((failures == 0))
