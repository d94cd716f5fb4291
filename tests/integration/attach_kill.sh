#!/bin/sh
# tests/integration/attach_kill.sh: heapsnap SIGKILLed at random points of an
# --attach (and of a --detach) of attach_churn, ATTACH_KILLS times (default
# 10; the stress target runs 100): each time the kernel detaches, the program
# runs on untraced, with or without the hook, and a later --attach / --detach
# still works; at the end its own report is intact and it exits 0.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
. "$top_srcdir/tests/integration/attach_common.sh"

kills=${ATTACH_KILLS:-10}
churn_start 4
pid=$churn_pid
# untraced PID: waits (bounded, a hang guard) until no thread has a tracer.
untraced() {
    j=0
    while ! snap_running "$1"; do
        j=$((j + 1))
        [ $j -gt 6000 ] && return 1 # 5 minutes
        sleep 0.05
    done
}
bad=0; first=""; seed=${ATTACH_KILL_SEED:-$$}
i=1
while [ $i -le "$kills" ]; do
    # a delay of 0-60 ms, different each time
    ms=$(awk -v s="$seed" -v i="$i" 'BEGIN { srand(s + i); printf "%.3f", rand() * 0.06 }')
    if [ $((i % 3)) -eq 0 ]; then
        "$HEAPSNAP" -p $pid --attach 2> /dev/null # a detach to kill needs an attach first
        what=detach
    else
        what=attach
    fi
    "$HEAPSNAP" -p $pid --$what 2> /dev/null &
    hp=$!
    sleep "$ms"
    kill -9 $hp 2> /dev/null
    wait $hp 2> /dev/null
    if ! untraced $pid; then
        bad=$((bad + 1)); [ -n "$first" ] || first="$what killed after ${ms}s: the program is stopped, traced or gone"
        break
    fi
    # and it can still be taken out and put back
    "$HEAPSNAP" -p $pid --detach 2> "$snap_tmp/err" ||
        { bad=$((bad + 1)); [ -n "$first" ] || first="detach after kill $i: $(cat "$snap_tmp/err")"; }
    i=$((i + 1))
done
tap_is "$kills kills at random points: the program runs on untraced each time" "$bad${first:+ ($first)}" 0
"$HEAPSNAP" -p $pid --attach 2> "$snap_tmp/err"
tap_is "a last --attach works" "$?" 0
"$HEAPSNAP" -p $pid --detach 2> "$snap_tmp/err"
tap_is "and --detach" "$?" 0
churn_finish
tap_is "attach_churn exits 0" "$churn_status" 0
tap_is "its four threads report intact blocks" "$churn_report" 4
tap_done
