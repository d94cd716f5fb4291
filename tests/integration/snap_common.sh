# tests/integration/snap_common.sh: helpers shared by the heapsnap command's
# integration tests (sourced after tests/tap.sh). Every process started here is
# recorded in snap_pids and killed by snap_cleanup (installed as the EXIT trap).
HEAPSNAP=$top_builddir/heapsnap
LEAKER=$top_builddir/tests/progs/snap_leaker
HOOK=$top_builddir/.libs/libheapsnap.so
snap_pids=
snap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/heapsnap-test.XXXXXX") || tap_bail "cannot make a temp dir"

snap_cleanup() {
    # Tracers first, so that their tracees are detached before they are killed.
    for p in $snap_tracer_pids $snap_pids; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$snap_tmp"
}
trap snap_cleanup EXIT

# Waits (up to 20 s) until FILE's content is exactly TEXT.
snap_wait_file() {
    i=0
    while [ "$(cat "$1" 2>/dev/null)" != "$2" ]; do
        i=$((i + 1))
        [ $i -gt 6000 ] && return 1
        sleep 0.05
    done
    return 0
}

# Starts snap_leaker with a status file; HOOKED=1 preloads the hook at rate 1.
# Sets leaker_pid and leaker_status; waits for "ready 0".
snap_start_leaker() {
    leaker_n=$((${leaker_n:-0} + 1)) # a fresh name per start ($RANDOM is empty in dash)
    leaker_status=$snap_tmp/status.$$.$leaker_n
    rm -f "$leaker_status"
    if [ "${HOOKED:-0}" = 1 ]; then
        LD_PRELOAD=$HOOK HEAPSNAP_RATE=1 "$LEAKER" "$leaker_status" "$@" &
    else
        "$LEAKER" "$leaker_status" "$@" &
    fi
    leaker_pid=$!
    snap_pids="$snap_pids $leaker_pid"
    snap_wait_file "$leaker_status" "ready 0" || tap_bail "snap_leaker did not start"
}

# Asks the leaker for one more leak step and waits for it.
snap_leak_step() {
    want=$(($(sed 's/ready //' "$leaker_status") + 1))
    kill -USR1 "$leaker_pid"
    snap_wait_file "$leaker_status" "ready $want"
}

# True when every thread of PID exists and none is stopped (state T or t) or traced.
snap_running() {
    [ -d "/proc/$1/task" ] || return 1
    for t in /proc/"$1"/task/*; do
        st=$(sed 's/.*) //' "$t/stat" | cut -c1)
        case $st in T | t | Z | X | "") return 1 ;; esac
        tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' "$t/status")
        [ "$tracer" = 0 ] || return 1
    done
    return 0
}

# The value of a numeric key in a one-line JSON object.
snap_json() {
    sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1
}

# google's validator, quietly (it prints "FILE: ok" per file).
snap_valid() {
    "$PPROFCHECK" "$@" >/dev/null
}
