#!/bin/sh
# tests/integration/endpoint_abuse.sh: the hook's /debug/pprof server, on
# loopback only, under abuse while its host allocates from 4 threads at rate 1:
# oversized headers, garbage bytes, slow and trickling clients (closed by the
# server after a bounded time), many connections at once, requests during heavy
# allocation. Each gets an error status or a closed connection, the endpoint
# keeps answering with valid profiles, and the host keeps running: every worker
# still parks and its mallinfo2 equals the walker's totals afterwards.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/stress/stress_lib.sh"

HC="$top_builddir/tests/stress/http_client"
[ -x "$HEAPSNAP" ] && [ -x "$STRESS_PROG" ] && [ -f "$HOOK_SO" ] && [ -x "$HC" ] ||
    tap_bail "build heapsnap, libheapsnap.so, stress_prog and http_client first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-endpoint.XXXXXX")
sl_pid=""; bg=""
trap 'for p in $bg; do kill -KILL "$p" 2>/dev/null; done; [ -n "$sl_pid" ] && sl_stop "$sl_pid"; rm -rf "$tmp"' EXIT

# Start the host on a free loopback port (a few random tries).
sl_start_endpoint "$tmp/prog.out" LD_PRELOAD="$HOOK_SO" HEAPSNAP_RATE=1 -- -t 4
[ -n "$port" ] || tap_bail "the hook's endpoint did not come up on 127.0.0.1"
pid=$sl_pid
echo "# endpoint on 127.0.0.1:$port, host pid $pid"

get_ok() { # get_ok N: a heap profile that passes the validator
    r=$("$HC" "$port" get /debug/pprof/heap "$tmp/h$1.pb.gz")
    case $r in 200\ *) "$PPROFCHECK" -heap "$tmp/h$1.pb.gz" > /dev/null 2>&1 ;; *) return 1 ;; esac
}

tap_ok "a heap profile from the endpoint passes pprofcheck -heap" get_ok 0
tap_is "an unknown path answers 404" "$("$HC" "$port" get /nope | cut -d' ' -f1)" 404
tap_is "a 64 KiB header block is refused (431 or 400) and closed" \
    "$("$HC" "$port" bighead 65536 | sed 's/^431$/refused/; s/^400$/refused/')" refused
tap_is "a 4 MiB header block is refused and closed" \
    "$("$HC" "$port" bighead 4194304 | sed 's/^431$/refused/; s/^400$/refused/; s/^closed$/refused/')" refused
tap_is "4 KiB of garbage bytes: a 4xx status or closed" \
    "$("$HC" "$port" garbage 4096 | sed 's/^4[0-9][0-9]$/refused/; s/^closed$/refused/')" refused
tap_is "a NUL-laden 64 KiB blob: refused" \
    "$("$HC" "$port" garbage 65536 | sed 's/^4[0-9][0-9]$/refused/; s/^closed$/refused/')" refused
tap_ok "the endpoint still answers after the bad requests" get_ok 1

# Slow clients: the server closes each after a bounded time (the client's own
# guard is 120 s); meanwhile a normal request waits its turn and is answered.
"$HC" "$port" slow > "$tmp/slow1" & bg="$bg $!"; s1=$!
"$HC" "$port" trickle > "$tmp/slow2" & bg="$bg $!"; s2=$!
sleep 0.3
tap_ok "a normal request behind two slow clients is answered" get_ok 2
wait "$s1" "$s2"
bg=""
tap_is "the server closed the slow clients (closed or 408/400)" \
    "$(cat "$tmp/slow1" "$tmp/slow2" | sed 's/^408$/closed/; s/^400$/closed/; s/^431$/closed/' | tr '\n' ' ')" \
    "closed closed "

# Many connections at once, during heavy allocation.
tap_is "24 simultaneous requests for the index: all answered 200" \
    "$("$HC" "$port" many 24 /debug/pprof/)" 24
tap_is "8 simultaneous heap profile requests: all answered 200" \
    "$("$HC" "$port" many 8 /debug/pprof/heap)" 8
i=3; good=0
while [ "$i" -le 7 ]; do get_ok "$i" && good=$((good + 1)); i=$((i + 1)); done
tap_is "5 heap profiles in a row during heavy allocation: all valid" "$good" 5

# The host: still running, every worker parks, the heap adds up.
tap_ok "the host still runs, no thread stopped" sl_running "$pid"
if sl_quiesce "$pid" "$tmp/prog.out" 1; then
    sl_compare "$pid" "$tmp/prog.out" 1 "$tmp/stats.json"
    tap_is "walker totals equal the host's mallinfo2 after the abuse" "$sl_got" "$sl_want"
    sl_resume "$pid"
else
    tap_ok "every worker of the host parks after the abuse" false
fi
"$HEAPSNAP" -p "$pid" -o "$tmp/snap.pb.gz" 2> /dev/null
tap_is "a heapsnap snapshot of the host still works" "$?" 0
tap_ok "the endpoint still answers at the end" get_ok 13
tap_done
