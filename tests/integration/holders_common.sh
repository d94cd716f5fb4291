# tests/integration/holders_common.sh: sourced by the holders_*.sh tests
# after tests/tap.sh and snap_common.sh. Needs go (skips without it).
tap_need_ptrace
command -v "${GO:-go}" >/dev/null 2>&1 || tap_skip_all "go is needed (install golang-go)"
GO=${GO:-go}

# holders_snap NAME PROG: starts PROG $snap_tmp/NAME.status (under the hook at
# rate 1 when HOOKED=1), waits for its "ready" line (5-minute guard) and
# writes its snapshot to $snap_tmp/NAME.pb.gz as one TAP test. Sets run_pid
# and run_ready (the ready line).
holders_snap() {
    st=$snap_tmp/$1.status
    rm -f "$st" "$snap_tmp/$1.pb.gz"
    if [ "${HOOKED:-0}" = 1 ]; then
        LD_PRELOAD=$HOOK HEAPSNAP_RATE=1 "$2" "$st" &
    else
        "$2" "$st" &
    fi
    run_pid=$!
    snap_pids="$snap_pids $run_pid"
    tap_wait_for "$st" "^ready" || tap_bail "$2 did not get ready within 5 minutes"
    run_ready=$(cat "$st")
    tap_ok "heapsnap writes $1's profile" "$HEAPSNAP" -p "$run_pid" -o "$snap_tmp/$1.pb.gz"
}

# holders_pprof ARGS...: go tool pprof ARGS in the scratch directory, quietly.
holders_pprof() {
    (cd "$snap_tmp" && HOME=$snap_tmp GO111MODULE=off "$GO" tool pprof "$@" 2>/dev/null)
}
