#!/bin/sh
# tests/integration/attach_leak.sh: heapsnap --attach on a program started
# without the hook: a periodic series afterwards names its leak
# (snap_leak_buffer) through heapsnap-analyze; a snapshot tells blocks from
# before the attach as unattributed; --detach returns it to plain glibc and it
# runs on to a normal exit. Refusals: a static program, an attach twice (exit
# 0), a detach of a preloaded hook (no change). And the same attach in a
# private mount namespace where the library's directory is a tmpfs.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
. "$top_srcdir/tests/integration/attach_common.sh"
AN=$top_builddir/heapsnap-analyze

snap_start_leaker --leak 200 --size 3000
pid=$leaker_pid
hook_mapped $pid && tap_bail "the leaker has the hook before the attach"
HEAPSNAP_LIB=/nonexistent/libheapsnap.so "$HEAPSNAP" -p $pid --attach 2> "$snap_tmp/nolib.err"
tap_is "no library file: exit 1, one sentence, nothing loaded" "$? $(cat "$snap_tmp/nolib.err") $(hook_mapped $pid && echo mapped)" \
    "1 heapsnap: cannot read /nonexistent/libheapsnap.so; set HEAPSNAP_LIB to the path of libheapsnap.so. "
"$HEAPSNAP" -p $pid --attach --rate 1 > "$snap_tmp/a.out" 2> "$snap_tmp/a.err"
tap_is "--attach exits 0" "$?" 0
tap_ok "it says so in one line" grep -q "^heapsnap: attached to process $pid (library loaded): [0-9]* GOT entries rewritten, sampling every 1 bytes; paused .* ms.$" "$snap_tmp/a.err"
tap_ok "the library is mapped from a memfd" grep -q "/memfd:heapsnap/libheapsnap.so" "/proc/$pid/maps"
tap_ok "the process runs, untraced" snap_running $pid

"$HEAPSNAP" -p $pid --attach 2> "$snap_tmp/a2.err"
tap_is "a second --attach exits 0" "$?" 0
tap_is "and says so" "$(cat "$snap_tmp/a2.err")" "heapsnap: libheapsnap.so is already attached to process $pid; nothing to do."

# A series while the program leaks steadily (a leak step every 0.3 s).
"$HEAPSNAP" -p $pid -i 1s -n 5 -o "$snap_tmp/s-%02d.pb.gz" > "$snap_tmp/series.out" 2>&1 &
series=$!
while kill -0 $series 2>/dev/null; do
    snap_leak_step || tap_bail "a leak step did not happen"
    sleep 0.3
done
wait $series
tap_is "the series of five snapshots" "$?" 0
"$AN" "$snap_tmp"/s-*.pb.gz > "$snap_tmp/report.txt" 2>&1
first=$(grep -m1 -A3 "^#1" "$snap_tmp/report.txt" | tr '\n' ' ')
case $first in *snap_leak_buffer*) r=0 ;; *) r=1 ;; esac
tap_ok "heapsnap-analyze names snap_leak_buffer as suspect #1" [ $r = 0 ]
[ $r = 0 ] || sed 's/^/# /' "$snap_tmp/report.txt" | head -30
"$HEAPSNAP" -p $pid -o "$snap_tmp/one.pb.gz" > /dev/null 2> "$snap_tmp/one.err"
tap_ok "blocks from before the attach are unattributed" grep -q "unattributed" "$snap_tmp/one.err"

"$HEAPSNAP" -p $pid --detach 2> "$snap_tmp/d.err"
tap_is "--detach exits 0" "$?" 0
tap_ok "it says so in one line" grep -q "^heapsnap: detached from process $pid: [0-9]* GOT entries put back; paused .* ms.$" "$snap_tmp/d.err"
"$HEAPSNAP" -p $pid --detach 2> "$snap_tmp/d2.err"
tap_is "a second --detach: nothing to do, exit 0" "$? $(cat "$snap_tmp/d2.err")" "0 heapsnap: libheapsnap.so is not attached to process $pid; nothing to do."
snap_leak_step
tap_is "the leaker goes on after the detach" "$?" 0
kill -TERM $pid
wait $pid 2>/dev/null
tap_is "and ends as SIGTERM ends it" "$?" 143

# A preloaded hook: --attach says it records already; --detach changes nothing.
HOOKED=1 snap_start_leaker
"$HEAPSNAP" -p $leaker_pid --attach 2> "$snap_tmp/p.err"
tap_is "--attach on a preloaded hook: exit 0, one sentence" "$? $(cat "$snap_tmp/p.err")" \
    "0 heapsnap: process $leaker_pid was started with libheapsnap.so and records already; nothing to do."
"$HEAPSNAP" -p $leaker_pid --detach 2> "$snap_tmp/p2.err"
tap_is "--detach on a preloaded hook: exit 1" "$?" 1
tap_ok "with one sentence, nothing changed" grep -q "^heapsnap: process $leaker_pid was started with libheapsnap.so preloaded (LD_PRELOAD or linked in); --detach takes out only a hook that --attach put in, so nothing was changed.$" "$snap_tmp/p2.err"
tap_ok "the preloaded process runs on" snap_running $leaker_pid

# Static: refused in one sentence, before anything is stopped.
"$top_builddir/tests/progs/snap_static" "$snap_tmp/static" &
spid=$!
snap_pids="$snap_pids $spid"
snap_wait_file "$snap_tmp/static" ready
"$HEAPSNAP" -p $spid --attach 2> "$snap_tmp/st.err"
tap_is "a static program: exit 1" "$?" 1
tap_ok "one sentence naming the cause" grep -q "^heapsnap: process $spid has no glibc libc.so.6 mapped: it is statically linked or uses another C library (musl?); heapsnap injects only into dynamically linked glibc programs.$" "$snap_tmp/st.err"

# A private mount namespace in which the library's directory is an empty
# tmpfs: the library comes through a memfd, not a path.
libdir=$(cd "$(dirname "$HOOK")" && pwd)
if unshare -m --propagation private true 2>/dev/null; then
    st=$snap_tmp/ns.status
    unshare -m --propagation private sh -c "mount -t tmpfs none '$libdir' && exec '$LEAKER' '$st' --leak 50 --size 5000" &
    npid=$!
    snap_pids="$snap_pids $npid"
    snap_wait_file "$st" "ready 0" || tap_bail "the leaker did not start in its namespace"
    tap_ok "namespace: the library path does not exist for the process" [ ! -e "/proc/$npid/root$libdir/libheapsnap.so" ]
    "$HEAPSNAP" -p $npid --attach --rate 1 2> "$snap_tmp/ns.err"
    tap_is "namespace: --attach exits 0" "$?" 0
    "$HEAPSNAP" -p $npid -o "$snap_tmp/ns1.pb.gz" 2> /dev/null
    leaker_pid=$npid leaker_status=$st
    snap_leak_step && snap_leak_step
    "$HEAPSNAP" -p $npid -o "$snap_tmp/ns2.pb.gz" 2> /dev/null
    "$AN" --base "$snap_tmp/ns1.pb.gz" "$snap_tmp/ns2.pb.gz" > "$snap_tmp/ns.txt" 2>&1
    tap_ok "namespace: two snapshots name the new blocks' function" grep -q snap_leak_buffer "$snap_tmp/ns.txt"
    tap_ok "namespace: the process runs, untraced" snap_running $npid
else
    tap_skip "namespace: unshare -m is not permitted here"
    tap_skip "namespace: --attach"
    tap_skip "namespace: snapshot"
    tap_skip "namespace: runs"
fi
tap_done
