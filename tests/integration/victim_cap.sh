#!/bin/sh
# tests/integration/victim_cap.sh: heapsnap-victim never outgrows --max-mb and
# never crashes from its own allocations: `--scenario slice --max-mb 64` stops
# at the cap with RSS under 70 MiB and keeps running, printing the notice once;
# under an address-space limit, failed allocations are reported, not fatal.
. "$top_srcdir/tests/tap.sh"

V="$top_builddir/heapsnap-victim"
tap_workdir tmp

rss_kib() {
    sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"
}
alive() {
    kill -0 "$1" 2>/dev/null
}

# slice with a 64 MiB cap, as fast as it goes: the cap is reached in seconds.
"$V" --scenario slice --max-mb 64 --rate 0 > "$tmp/slice.out" 2> "$tmp/slice.err" &
pid=$!
tap_pids="$tap_pids $pid"
tap_wait_for "$tmp/slice.err" "reached the --max-mb cap of 64 MiB"
tap_is "slice --max-mb 64 reaches the cap" "$?" 0
max=0
for i in 1 2 3 4 5 6; do
    sleep 0.5
    r=$(rss_kib "$pid")
    [ -n "$r" ] && [ "$r" -gt "$max" ] && max=$r
done
tap_ok "slice keeps running at the cap" alive "$pid"
tap_ok "slice RSS stays under 70 MiB at the cap (max seen: $max KiB)" \
    test "$max" -gt 0 -a "$max" -lt 71680
# The cap counts the program itself, so RSS ends within 10 % below the cap too.
tap_ok "slice RSS reaches 90 % of the cap (max seen: $max KiB)" test "$max" -ge 58982
kill -TERM "$pid"
wait "$pid"
tap_is "slice exits 0 on SIGTERM" "$?" 0
tap_is "the cap notice is printed exactly once" \
    "$(grep -c 'reached the --max-mb cap' "$tmp/slice.err")" 1
tap_is "stderr holds nothing but the notice" "$(wc -l < "$tmp/slice.err")" 1
tap_is "the closing line says it stopped at the cap" \
    "$(tail -n 1 "$tmp/slice.out" | grep -c ') at the --max-mb cap\.$')" 1

# Allocation failure: an address-space limit 48 MiB above what an idle victim
# maps, a cap far above it. malloc/realloc fail; the victim says so and runs on.
"$V" --scenario steady --rate 10 > "$tmp/idle.out" &
pid=$!
tap_pids="$tap_pids $pid"
tap_wait_for "$tmp/idle.out" "Profile it"
base=$(sed -n 's/^VmSize:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$pid/status")
kill -TERM "$pid"
wait "$pid"
limit=$((base + 49152))
for s in slice map; do
    (
        ulimit -v "$limit" || exit 99
        exec "$V" --scenario "$s" --rate 0 --max-mb 4096
    ) > "$tmp/$s.out" 2> "$tmp/$s.err" &
    pid=$!
    tap_pids="$tap_pids $pid"
    tap_wait_for "$tmp/$s.err" "could not allocate"
    tap_is "$s under ulimit -v $limit: reports the failed allocation" "$?" 0
    sleep 0.5
    tap_ok "$s keeps running after the failure" alive "$pid"
    kill -TERM "$pid"
    wait "$pid"
    tap_is "$s exits 0 after failed allocations" "$?" 0
    tap_is "$s: the message is one sentence naming the site and the fix" \
        "$(grep -c "^heapsnap-victim: ${s}_[a-z_]* could not allocate [0-9]* bytes: out of memory.*; it skipped that step and runs on (lower --max-mb to stay within the memory available)\.\$" "$tmp/$s.err")" \
        "$(grep -c . "$tmp/$s.err")"
done

tap_done
