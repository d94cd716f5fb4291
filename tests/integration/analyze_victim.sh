#!/bin/sh
# tests/integration/analyze_victim.sh: the whole workflow on heapsnap-victim:
# heapsnap takes snapshots of a running scenario (every allocation recorded,
# HEAPSNAP_RATE=1), heapsnap-analyze names the leaking function as suspect #1
# within three snapshots, with its pattern, and finds no suspect on a control.
# (tests/integration/analyze_synthetic.sh covers every control exactly; this one
# keeps to three scenarios to stay quick.)
. "$top_srcdir/tests/integration/analyze_common.sh"
V="$top_builddir/heapsnap-victim"
S="$top_builddir/heapsnap"
[ -x "$V" ] && [ -x "$S" ] || tap_skip_all "heapsnap or heapsnap-victim is not built"
vpid=""
trap '[ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# snap SCENARIO COUNT: runs the scenario, takes COUNT snapshots 1 s apart into
# $work/SCENARIO-NN.pb.gz, stops the victim.
snap() {
    HEAPSNAP_RATE=1 "$V" --scenario "$1" --duration 120s --max-mb 512 > "$work/$1.out" 2>&1 &
    vpid=$!
    i=0
    until grep -qi "pid [0-9]" "$work/$1.out" 2>/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 0.5
    "$S" -p "$vpid" -i 1s -n "$2" -o "$work/$1-%02d.pb.gz" > "$work/$1.snap" 2>&1
    src=$?
    kill "$vpid" 2>/dev/null
    wait "$vpid" 2>/dev/null
    vpid=""
    return $src
}

# leak SCENARIO FUNCTION PATTERN
leak() {
    if ! snap "$1" 3; then
        tap_ok "$1: heapsnap took three snapshots ($(head -c 200 "$work/$1.snap"))" false
        return
    fi
    json "$work/$1.flat" "$work/$1"-*.pb.gz
    got="$(jf "$work/$1.flat" suspects.0.function) $(jf "$work/$1.flat" suspects.0.pattern)"
    tap_is "$1: #1 after three snapshots" "$got" "$2 $3"
    [ "$got" = "$2 $3" ] || "$AN" "$work/$1"-*.pb.gz 2>&1 | sed 's/^/# /'

}

# control SCENARIO
control() {
    if ! snap "$1" 5; then
        tap_ok "$1: heapsnap took five snapshots ($(head -c 200 "$work/$1.snap"))" false
        return
    fi
    json "$work/$1.flat" --fail-on-leak "$work/$1"-*.pb.gz
    tap_is "$1: no suspect in five snapshots" "$(jf "$work/$1.flat" suspects.length) $rc" "0 0"
}

leak slice slice_append_request growing-buffer
leak map map_remember_session accumulating-entries
control steady
tap_done
