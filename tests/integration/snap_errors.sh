#!/bin/sh
# tests/integration/snap_errors.sh: heapsnap's errors. Usage errors exit 2;
# failures exit 1 with one sentence on stderr that names the cause and the
# fix, and write nothing: no such process, not a glibc process, already traced
# by another debugger, the process exits during the snapshot.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"

# usage_case DESC ARGS...: exit 2 and a message that starts with "heapsnap: ".
usage_case() {
    desc=$1
    shift
    "$HEAPSNAP" "$@" >/dev/null 2>"$snap_tmp/u.err"
    tap_is "usage: $desc exits 2" "$?" 2
    tap_ok "usage: $desc says why" grep -q '^heapsnap: ' "$snap_tmp/u.err"
}
usage_case "no -p" -o x.pb.gz
usage_case "-p not a number" -p abc
usage_case "-p 0" -p 0
usage_case "bad duration" -p 1 -i 10x
usage_case "-n without -i" -p 1 -n 3
usage_case "negative count" -p 1 -i 1s -n -1
usage_case "two conversions" -p 1 -i 1s -o 'a-%d-%d.pb.gz'
usage_case "--stats with -o" -p 1 --stats -o x.pb.gz
usage_case "unknown option" -p 1 --frobnicate
usage_case "missing argument" -p
usage_case "stray argument" -p 1 extra

"$HEAPSNAP" --help >"$snap_tmp/help" 2>&1
tap_is "--help exits 0" "$?" 0
tap_ok "--help shows the usage" grep -q '^usage: heapsnap -p PID' "$snap_tmp/help"
"$HEAPSNAP" --version >"$snap_tmp/version" 2>&1
tap_is "--version exits 0" "$?" 0
tap_ok "--version prints name and version" grep -Eq '^heapsnap [0-9]+\.[0-9]+' "$snap_tmp/version"

# one_sentence FILE: exactly one line, starting with "heapsnap: ", ending with ".".
one_sentence() {
    [ "$(wc -l <"$1")" = 1 ] && grep -q '^heapsnap: .*\.$' "$1"
}

# No such process: a child that has been reaped.
sh -c 'exit 0' &
gone=$!
wait $gone
"$HEAPSNAP" -p "$gone" -o "$snap_tmp/gone.pb.gz" 2>"$snap_tmp/gone.err"
tap_is "no such process exits 1" "$?" 1
tap_ok "in one sentence" one_sentence "$snap_tmp/gone.err"
tap_ok "that names the PID" grep -q "PID $gone" "$snap_tmp/gone.err"
tap_ok "and writes nothing" test ! -e "$snap_tmp/gone.pb.gz"

# Not a glibc process: statically linked, no libc.so.6 mapped.
"$top_builddir/tests/progs/snap_static" "$snap_tmp/static.status" &
static=$!
snap_pids="$snap_pids $static"
snap_wait_file "$snap_tmp/static.status" ready
"$HEAPSNAP" -p "$static" -o "$snap_tmp/static.pb.gz" 2>"$snap_tmp/static.err"
tap_is "not a glibc process exits 1" "$?" 1
tap_ok "in one sentence" one_sentence "$snap_tmp/static.err"
tap_ok "that says glibc" grep -q "glibc" "$snap_tmp/static.err"
tap_ok "and writes nothing" test ! -e "$snap_tmp/static.pb.gz"
tap_ok "the static process runs on" snap_running "$static"

# Already traced by another debugger.
snap_start_leaker --mb 1
"$top_builddir/tests/progs/snap_tracer" "$leaker_pid" "$snap_tmp/tracer.status" &
tracer=$!
snap_tracer_pids=$tracer
snap_wait_file "$snap_tmp/tracer.status" seized
"$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/traced.pb.gz" 2>"$snap_tmp/traced.err"
tap_is "already traced exits 1" "$?" 1
tap_ok "in one sentence" one_sentence "$snap_tmp/traced.err"
tap_ok "that names the other tracer's PID" grep -q "$tracer" "$snap_tmp/traced.err"
tap_ok "and writes nothing" test ! -e "$snap_tmp/traced.pb.gz"
kill -9 "$tracer"
wait "$tracer" 2>/dev/null
snap_tracer_pids=
tap_ok "the process runs on once the debugger is gone" snap_running "$leaker_pid"

# The process exits during the snapshot: kill it while heapsnap holds it.
# The target sits inside malloc_stats() with main_arena's lock held
# (tests/progs/stuck_malloc), so heapsnap keeps waiting for a quiet heap --
# for up to --max-pause, here far longer than the test needs -- and the kill
# lands before any capture, whatever the machine's load.
"$top_builddir/tests/progs/stuck_malloc" >"$snap_tmp/stuck.out" &
stuck=$!
snap_pids="$snap_pids $stuck"
snap_wait_file "$snap_tmp/stuck.out" ready || tap_bail "stuck_malloc did not start"
n=0 # until its thread blocks in write(2) (system call 1) inside malloc_stats
while ! grep -qs '^1 ' /proc/"$stuck"/task/*/syscall && [ $n -lt 3000 ]; do
    sleep 0.01
    n=$((n + 1))
done
"$HEAPSNAP" -p "$stuck" --max-pause 120s -o "$snap_tmp/died.pb.gz" 2>"$snap_tmp/died.err" &
hs=$!
while kill -0 "$hs" 2>/dev/null; do
    tracer=$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$stuck/status" 2>/dev/null)
    [ "$tracer" = "$hs" ] && break
    sleep 0.01
done
kill -9 "$stuck"
wait "$hs"
tap_is "process killed during the snapshot exits 1" "$?" 1
tap_ok "in one sentence" one_sentence "$snap_tmp/died.err"
grep -q "exited" "$snap_tmp/died.err" || sed 's/^/# heapsnap said: /' "$snap_tmp/died.err"
tap_ok "that says it exited" grep -q "exited" "$snap_tmp/died.err"
tap_ok "and writes nothing" test ! -e "$snap_tmp/died.pb.gz"
tap_is "no temporary file left behind" "$(ls -A "$snap_tmp" | grep -c died.pb.gz)" 0
tap_done
