#!/bin/sh
# tests/integration/snap_kill.sh: heapsnap killed with SIGKILL while it holds
# the process stopped, many times. PTRACE_SEIZE (never SIGSTOP) means the
# kernel detaches when the tracer dies: the process must run on every time,
# with no thread stopped or traced, and must still answer afterwards.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"

# Hook at rate 1 and a few threads: a snapshot holds the process long enough
# to be caught holding it.
HOOKED=1 snap_start_leaker --mb 32 --threads 4
KILLS=20
caught=0 tries=0 bad=0
while [ $caught -lt $KILLS ] && [ $tries -lt 200 ]; do
    tries=$((tries + 1))
    "$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/k.pb.gz" 2>/dev/null &
    hs=$!
    # Wait until heapsnap has seized the process (TracerPid is heapsnap), then kill it.
    traced=0
    while kill -0 "$hs" 2>/dev/null; do
        tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$leaker_pid/status")
        if [ "$tracer" = "$hs" ]; then
            traced=1
            break
        fi
    done
    kill -9 "$hs" 2>/dev/null
    wait "$hs" 2>/dev/null
    [ $traced = 1 ] && caught=$((caught + 1))
    snap_running "$leaker_pid" || bad=$((bad + 1))
done
echo "# $caught kills while the process was held, in $tries tries"
tap_is "$KILLS kills landed while heapsnap held the process" "$caught" "$KILLS"
tap_is "the process ran on, untraced and unstopped, after every kill" "$bad" 0
tap_ok "it still answers (leaks one more step)" snap_leak_step
"$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/final.pb.gz" 2>/dev/null
tap_is "and a full snapshot still works" "$?" 0
tap_ok "which is valid" snap_valid -heap "$snap_tmp/final.pb.gz"
tap_ok "process runs on" snap_running "$leaker_pid"
tap_done
