#!/bin/sh
# tests/integration/victim_scenarios.sh: every heapsnap-victim scenario and control
# runs and exits 0, prints its real PID and the commands to profile it; every
# leaking scenario grows until the --max-mb cap and its --fixed version does not;
# --threads runs that many workers; SIGTERM ends a run cleanly.
. "$top_srcdir/tests/tap.sh"

V="$top_builddir/heapsnap-victim"
tap_workdir tmp

# The number in the closing line: "... holding N bytes (...".
held() {
    sed -n 's/^heapsnap-victim: stopped after .* holding \([0-9]*\) bytes.*/\1/p' "$1"
}

LEAKS="slice map queue strdup errpath"
CONTROLS="steady plateau fragment"

for s in $LEAKS $CONTROLS; do
    "$V" --scenario "$s" --duration 500ms --max-mb 16 > "$tmp/$s.out" 2> "$tmp/$s.err" &
    pid=$!
    tap_pids="$tap_pids $pid"
    wait "$pid"
    tap_is "$s: runs for --duration 500ms and exits 0" "$?" 0
    tap_is "$s: the first line names its pid and scenario" \
        "$(head -n 1 "$tmp/$s.out" | sed -n "s/.*: pid \([0-9]*\) runs scenario '\([a-z]*\)'.*/\1 \2/p")" \
        "$pid $s"
    tap_is "$s: prints the heapsnap command for its pid" \
        "$(grep -c "^  heapsnap -p $pid -i 2s -n 5 -o 'snap-%04d.pb.gz'\$" "$tmp/$s.out")" 1
    tap_is "$s: prints the analyzer and pprof -base commands" \
        "$(grep -c -e '^  heapsnap-analyze snap-\*.pb.gz$' \
            -e '^  go tool pprof -top -base snap-0001.pb.gz snap-0005.pb.gz$' "$tmp/$s.out")" 2
    tap_is "$s: ends with the closing line" \
        "$(tail -n 1 "$tmp/$s.out" | cut -c1-30)" "heapsnap-victim: stopped after"
    tap_is "$s: nothing on stderr" "$(cat "$tmp/$s.err")" ""
done

# Leaks grow until the cap, whatever the speed of the machine: wait for the
# notice, then stop the run with SIGTERM.
for s in $LEAKS; do
    "$V" --scenario "$s" --rate 0 --max-mb 12 > "$tmp/$s.out" 2> "$tmp/$s.err" &
    pid=$!
    tap_pids="$tap_pids $pid"
    tap_wait_for "$tmp/$s.err" "reached the --max-mb cap of 12 MiB"
    tap_is "$s: leaks until it reaches the cap" "$?" 0
    kill -TERM "$pid"
    wait "$pid"
    tap_is "$s: SIGTERM ends the run with 0" "$?" 0
    tap_is "$s: the cap notice is printed once" \
        "$(grep -c 'reached the --max-mb cap' "$tmp/$s.err")" 1
    tap_is "$s: the closing line says it held the cap" \
        "$(tail -n 1 "$tmp/$s.out" | grep -c 'at the --max-mb cap\.$')" 1
done

# The fixed versions stay bounded far below the cap. After enough operations
# (--rate 0 does tens of thousands in a second) what they hold is exact.
for s in $LEAKS; do
    "$V" --scenario "$s" --fixed --rate 0 --duration 1s --max-mb 16 > "$tmp/$s.out" \
        2> "$tmp/$s.err"
    tap_is "$s --fixed: exits 0" "$?" 0
    tap_is "$s --fixed: never reaches the cap" "$(cat "$tmp/$s.err")" ""
    grep -q "^The fix: " "$tmp/$s.out"
    tap_is "$s --fixed: the banner says what the fix is" "$?" 0
done
# 4096 requests of 1 KiB in one mmapped chunk: 4 MiB + 4096.
tap_is "slice --fixed holds exactly its 4096-entry array" "$(held "$tmp/slice.out")" 4198400
# 1024 sessions of 144-byte chunks + 2048 buckets (16 KiB + 16).
tap_is "map --fixed holds exactly 1024 sessions and their buckets" \
    "$(held "$tmp/map.out")" 163856
tap_is "errpath --fixed holds nothing between requests" "$(held "$tmp/errpath.out")" 0
n=$(held "$tmp/strdup.out")
tap_ok "strdup --fixed holds one string (1..176 bytes, got $n)" \
    test "$n" -ge 32 -a "$n" -le 176
n=$(held "$tmp/queue.out")
tap_ok "queue --fixed holds at most 256 jobs of <= 1056 bytes (got $n)" \
    test "$n" -le 270336 -a "$n" -gt 0

# Controls: steady frees everything, plateau stops at its bound.
"$V" --scenario steady --rate 0 --duration 1s > "$tmp/steady.out"
tap_is "steady holds nothing between requests" "$(held "$tmp/steady.out")" 0
"$V" --scenario plateau --rate 0 --duration 1s > "$tmp/plateau.out" 2> "$tmp/plateau.err"
n=$(held "$tmp/plateau.out")
tap_ok "plateau holds at most 4096 entries of 2064 bytes + slots (got $n)" \
    test "$n" -le $((4096 * 2064 + 65552)) -a "$n" -gt $((4096 * 272))
tap_is "plateau never reaches the default cap" "$(cat "$tmp/plateau.err")" ""

# --threads 4: four workers beside main, each allocating.
"$V" --scenario map --threads 4 --rate 0 --max-mb 16 > "$tmp/t.out" 2> "$tmp/t.err" &
pid=$!
tap_pids="$tap_pids $pid"
tap_wait_for "$tmp/t.err" "reached the --max-mb cap"
tap_is "map --threads 4 reaches the cap" "$?" 0
tap_is "map --threads 4 runs 4 workers and main" "$(ls "/proc/$pid/task" | wc -l)" 5
kill -INT "$pid"
wait "$pid"
tap_is "SIGINT ends a --threads 4 run with 0" "$?" 0
tap_is "the banner says 4 threads" "$(head -n 1 "$tmp/t.out" | grep -c ' on 4 threads ')" 1

tap_done
