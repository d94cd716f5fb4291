#!/bin/sh
# tests/integration/endpoint_many.sh: scrapers must not wedge the hook's
# endpoint. 200 connections that each send half a request and wait are held
# open while a scraper asks for /metrics and then for a heap profile: both are
# answered (with a valid profile), and the host runs on. A server that took one
# connection at a time could answer only after timing out every earlier one
# (200 x 5 s, far past the client's 120 s guard). How many slow connections
# were still held when the answer came is printed, not asserted: on a loaded
# machine their 5 s may run out first.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/stress/stress_lib.sh"

HC="$top_builddir/tests/stress/http_client"
[ -x "$STRESS_PROG" ] && [ -f "$HOOK_SO" ] && [ -x "$HC" ] ||
    tap_bail "build libheapsnap.so, stress_prog and http_client first"
tap_workdir tmp
sl_pid=""
trap 'for p in $tap_pids; do kill -KILL "$p" 2>/dev/null; done; [ -n "$sl_pid" ] && sl_stop "$sl_pid"; rm -rf "$tmp"' EXIT

sl_start_endpoint "$tmp/prog.out" LD_PRELOAD="$HOOK_SO" -- -t 2
[ -n "$port" ] || tap_bail "the hook's endpoint did not come up on 127.0.0.1"
echo "# endpoint on 127.0.0.1:$port, host pid $sl_pid"

for path in /metrics /debug/pprof/heap; do
    name=$(basename "$path")
    t0=$(date +%s%N)
    "$HC" "$port" hold 200 "$path" "$tmp/$name.body" > "$tmp/$name.out"
    t1=$(date +%s%N)
    echo "# $path behind 200 held connections: $(head -n 1 "$tmp/$name.out")," \
        "$(sed -n 2p "$tmp/$name.out"), $(((t1 - t0) / 1000000)) ms"
    tap_is "$path is answered behind 200 slow connections" \
        "$(head -n 1 "$tmp/$name.out" | cut -d' ' -f1)" 200
done
tap_ok "the profile passes pprofcheck -heap" "$PPROFCHECK" -heap "$tmp/heap.body"
tap_ok "/metrics is Prometheus text" grep -q '^process_resident_memory_bytes ' "$tmp/metrics.body"
tap_ok "the host still runs" sl_running "$sl_pid"
tap_done
