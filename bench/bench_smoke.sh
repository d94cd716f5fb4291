#!/bin/sh
# bench/bench_smoke.sh: the benchmark programs behave (no timing is asserted): allocbench runs
# and reports its work, under the hook too; heapbuild builds a deterministic heap, one arena per
# thread; rawcopy finds exactly the heap mappings and copies them; bad input gives exit 2 or 1.
# shellcheck disable=SC2154 # top_srcdir and top_builddir come from the test environment
. "$top_srcdir/tests/tap.sh"
B="$top_builddir/bench"
LIBHS="$top_builddir/.libs/libheapsnap.so"
[ -x "$B/allocbench" ] && [ -x "$B/heapbuild" ] && [ -x "$B/rawcopy" ] ||
    tap_skip_all "the bench programs are not built"

T=$(mktemp -d "${TMPDIR:-/tmp}/bench_smoke.XXXXXX")
HB_PID=""
cleanup() {
    [ -n "$HB_PID" ] && kill "$HB_PID" 2>/dev/null && wait "$HB_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# allocbench: the line bench/run parses, with the work it was asked for.
out=$("$B/allocbench" -t 2 -n 2000 -s 3 -r 64)
tap_is "allocbench exits 0" "$?" 0
tap_is "allocbench reports threads and ops" \
    "$(printf '%s\n' "$out" | sed -n 's/^allocbench: \(threads=[0-9]* ops=[0-9]*\) seconds=[0-9.]* ops_per_sec=[0-9]*$/\1/p')" \
    "threads=2 ops=2000"
"$B/allocbench" -t 0 >/dev/null 2>"$T/err"
tap_is "allocbench -t 0 is a usage error" "$?" 2
tap_ok "allocbench names the bad option" grep -q "invalid value '0' for -t" "$T/err"
"$B/allocbench" extra >/dev/null 2>&1
tap_is "allocbench rejects an argument" "$?" 2

if [ -f "$LIBHS" ]; then
    out=$(HEAPSNAP_RATE=1 LD_PRELOAD="$LIBHS" "$B/allocbench" -t 2 -n 3000 -r 64)
    tap_is "allocbench under the hook at rate 1 exits 0" "$?" 0
    tap_ok "allocbench under the hook reports its ops" \
        sh -c "printf '%s\n' \"\$1\" | grep -q '^allocbench: threads=2 ops=3000 '" sh "$out"
else
    tap_ok "# SKIP libheapsnap.so not built" true
    tap_ok "# SKIP libheapsnap.so not built" true
fi

# Starts heapbuild with the given options and waits for its ready line.
start_hb() {
    rm -f "$T/hb.out" # never the last run's ready line, read before this run truncates it
    "$B/heapbuild" "$@" >"$T/hb.out" 2>&1 &
    HB_PID=$!
    n=0
    # a hang guard (5 min), not a timing claim: a loaded machine builds it late
    while ! grep -q '^ready' "$T/hb.out" && [ $n -lt 3000 ] && kill -0 "$HB_PID" 2>/dev/null; do
        sleep 0.1
        n=$((n + 1))
    done
    grep -q '^ready' "$T/hb.out"
}
stop_hb() {
    kill "$HB_PID"
    wait "$HB_PID"
    rc=$?
    HB_PID=""
    return $rc
}

# One thread: the heap is the main arena only, so rawcopy copies exactly [heap].
tap_ok "heapbuild -m 2 -t 1 gets ready" start_hb -m 2 -t 1 -s 5
c1=$(awk '/^ready/ {print $3}' "$T/hb.out")
tap_is "heapbuild prints its own pid" "$(awk '/^ready/ {print $2}' "$T/hb.out")" "$HB_PID"
heap=$(awk '$NF == "[heap]" { split($1, a, "-"); print a[1], a[2] }' "/proc/$HB_PID/maps" |
    while read -r lo hi; do echo $((0x$hi - 0x$lo)); done)
out=$("$B/rawcopy" -p "$HB_PID" -r 2)
tap_is "rawcopy exits 0" "$?" 0
tap_is "rawcopy copies [heap] alone for one thread" \
    "$(printf '%s' "$out" | sed -n 's/.* mappings=\([0-9]*\) bytes=\([0-9]*\) .*/\1 \2/p')" "1 $heap"
stop_hb
tap_is "heapbuild exits 0 on SIGTERM" "$?" 0

# The same seed builds the same heap.
start_hb -m 2 -t 1 -s 5
tap_is "heapbuild is deterministic for a seed" "$(awk '/^ready/ {print $3}' "$T/hb.out")" "$c1"
stop_hb

# Four threads: four arenas besides the main one, each recognised by its heap_info.
tap_ok "heapbuild -m 8 -t 4 gets ready" start_hb -m 8 -t 4
out=$("$B/rawcopy" -p "$HB_PID" -r 1)
tap_is "rawcopy finds [heap] and 4 arena heaps" \
    "$(printf '%s' "$out" | sed -n 's/.* mappings=\([0-9]*\) .*/\1/p')" 5
one=$(printf '%s' "$out" | sed -n 's/.* mappings=\([0-9]*\) bytes=\([0-9]*\) .*/\1 \2/p')
out=$("$B/rawcopy" -p "$HB_PID" -r 1 -j 3)
tap_is "rawcopy -j 3 copies the same mappings and bytes in 3 threads" \
    "$(printf '%s' "$out" | sed -n 's/.* mappings=\([0-9]*\) bytes=\([0-9]*\) .* threads=\([0-9]*\) .*/\1 \2 \3/p')" "$one 3"
out=$("$B/rawcopy" -p "$HB_PID" -r 1 -a)
tap_ok "rawcopy -a adds the other anonymous mappings" \
    test "$(printf '%s' "$out" | sed -n 's/.* mappings=\([0-9]*\) .*/\1/p')" -gt 5
stop_hb

# Errors.
"$B/rawcopy" -p 999999999 >/dev/null 2>"$T/err"
tap_is "rawcopy on a missing process fails with 1" "$?" 1
"$B/rawcopy" >/dev/null 2>&1
tap_is "rawcopy without -p is a usage error" "$?" 2
"$B/rawcopy" -p 1 -j 0 >/dev/null 2>&1
tap_is "rawcopy -j 0 is a usage error" "$?" 2
"$B/heapbuild" -m 0 >/dev/null 2>&1
tap_is "heapbuild -m 0 is a usage error" "$?" 2
tap_done
