#!/bin/sh
# tests/integration/snap_cow_kill.sh: heapsnap killed with SIGKILL at random
# points of copy-on-write snapshots, 50 times: half after a random delay,
# half while its frozen child is alive. The process must run on every time
# (untraced, unstopped), no live child of it may remain (PTRACE_O_EXITKILL
# kills the child with heapsnap; a child that ran would only exit_group),
# what is left are zombie clone children (exit signal 0, invisible to the
# program's waits), and the next complete snapshot reaps them all.
. "$top_srcdir/tests/tap.sh"
tap_need_ptrace
. "$top_srcdir/tests/integration/snap_common.sh"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"
T=$snap_tmp
KILLS=${COW_KILLS:-50} # COW_KILLS lowers it where each path needs to run, not fifty times (.ci/run's sanitizer pass)

# "ok" when every child of every thread of PID is a zombie with exit signal
# 0, else the first offender as "PID state exit_signal".
children_ok() {
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        set -- $(sed 's/.*) //' "/proc/$c/stat" 2>/dev/null)
        # after the name: field 3 is $1, field 38 is $36
        [ "$1" = Z ] && [ "${36}" = 0 ] || { echo "$c $1 ${36}"; return; }
    done
    echo ok
}
nchildren() { cat /proc/"$1"/task/*/children 2>/dev/null | wc -w; }

HOOKED=1 snap_start_leaker --mb 32 --threads 2
bad_run=0 bad_child=0 held=0
for i in $(seq $KILLS); do
    rm -f "$T/k.pb.gz"
    "$HEAPSNAP" -p "$leaker_pid" --cow -o "$T/k.pb.gz" 2>/dev/null &
    hs=$!
    if [ $((i % 2)) = 0 ]; then
        # while the frozen child lives (or once heapsnap is done)
        while kill -0 "$hs" 2>/dev/null; do
            n=0
            for c in $(cat /proc/"$leaker_pid"/task/*/children 2>/dev/null); do
                [ "$(sed 's/.*) //' "/proc/$c/stat" 2>/dev/null | cut -c1)" = Z ] || n=1
            done
            [ $n = 1 ] && { held=$((held + 1)); break; }
        done
    else
        sleep "$(awk -v s="$i" 'BEGIN { srand(s); printf "%.3f", rand() * 0.6 }')"
    fi
    kill -9 "$hs" 2>/dev/null
    wait "$hs" 2>/dev/null
    snap_running "$leaker_pid" || bad_run=$((bad_run + 1))
    # the child dies with heapsnap, a moment later: wait for it (hang guard 5 min)
    w=0
    while [ "$(children_ok "$leaker_pid")" != ok ] && [ $w -lt 3000 ]; do
        sleep 0.1
        w=$((w + 1))
    done
    r=$(children_ok "$leaker_pid")
    [ "$r" = ok ] || { bad_child=$((bad_child + 1)); echo "# after kill $i: child $r"; }
done
zombies=$(nchildren "$leaker_pid")
echo "# $held of $((KILLS / 2)) waited-for kills landed while the child lived; $zombies zombies left"
tap_is "the process ran on, untraced and unstopped, after each of $KILLS kills" "$bad_run" 0
tap_is "no live child remained, only zombies with exit signal 0" "$bad_child" 0
tap_ok "some kills landed while the frozen child lived ($held)" test "$held" -gt 0
tap_ok "it still answers (leaks one more step)" snap_leak_step
rm -f "$T/final.pb.gz" "$T/final.json"
"$HEAPSNAP" -p "$leaker_pid" --cow --json -o "$T/final.pb.gz" >"$T/final.json" 2>/dev/null
tap_is "then a full snapshot works" "$?" 0
tap_ok "by a fork" grep -q '"mode":"fork"' "$T/final.json"
tap_ok "which is valid" snap_valid -heap "$T/final.pb.gz"
tap_is "and reaped every zombie: no child is left" "$(nchildren "$leaker_pid")" 0
tap_ok "the process runs on" snap_running "$leaker_pid"
tap_done
