# tests/integration/attach_common.sh: helpers of the attach tests (sourced
# after tests/tap.sh and snap_common.sh): heapsnap finds the library through
# HEAPSNAP_LIB, and attach_churn runs with its standard input on a fifo that
# the test closes to end it.
export HEAPSNAP_LIB="$HOOK"
CHURN=$top_builddir/tests/progs/attach_churn
[ -x "$HEAPSNAP" ] && [ -f "$HOOK" ] && [ -x "$CHURN" ] ||
    tap_bail "build heapsnap, libheapsnap.so and tests/progs/attach_churn first"

# churn_start [THREADS]: starts attach_churn; sets churn_pid, churn_out. The
# fifo's write end stays open on fd 7 until churn_finish.
churn_start() {
    churn_n=$((${churn_n:-0} + 1)) # a fresh name per start ($RANDOM is empty in dash)
    churn_out=$snap_tmp/churn.$$.$churn_n
    rm -f "$churn_out" "$churn_out.in"
    mkfifo "$churn_out.in" || tap_bail "cannot make a fifo"
    "$CHURN" "${1:-4}" < "$churn_out.in" > "$churn_out" 2>&1 &
    churn_pid=$!
    snap_pids="$snap_pids $churn_pid"
    exec 7> "$churn_out.in"
    i=0
    until grep -q "^ready " "$churn_out" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 6000 ] && tap_bail "attach_churn did not start" # a hang guard (5 min)
        sleep 0.05
    done
}

# churn_finish: ends its input; sets churn_status and checks its own report.
churn_finish() {
    exec 7>&-
    wait "$churn_pid"
    churn_status=$?
    churn_report=$(grep -c "^thread [0-9]* ok$" "$churn_out")
    grep -q "^CORRUPT" "$churn_out" && sed 's/^/# /' "$churn_out"
}

# hook_mapped PID: libheapsnap.so is in its memory map.
hook_mapped() {
    grep -q "libheapsnap.so" "/proc/$1/maps"
}
