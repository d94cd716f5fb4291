#!/bin/sh
# tests/integration/victim_http.sh: `heapsnap-victim --http ADDR` serves its own
# /debug/pprof/heap through libheapsnap: google's validator accepts the profile,
# go tool pprof puts the scenario's leak site on top, and a taken or non-loopback
# address fails with exit 1 and one sentence.
. "$top_srcdir/tests/tap.sh"

V="$top_builddir/heapsnap-victim"
command -v curl > /dev/null 2>&1 || tap_skip_all "curl not installed"
tap_workdir tmp

# start_victim NAME ARGS...: runs the victim with --http on a free port (it
# retries the next port when one is taken); sets $pid and $port.
start_victim() {
    name=$1
    shift
    port=$((21000 + ($$ * 13) % 30000))
    for try in 1 2 3 4 5 6 7 8; do
        HEAPSNAP_RATE=1 "$V" "$@" --http "127.0.0.1:$port" > "$tmp/$name.out" 2> "$tmp/$name.err" &
        pid=$!
        tap_pids="$tap_pids $pid"
        tap_wait_for "$tmp/$name.out" "Profile it" && return 0
        wait "$pid"
        port=$((port + 1))
    done
    return 1
}

# top_function FILE: the function with the most flat inuse_space.
top_function() {
    HOME="$tmp" GO111MODULE=off "$GO" tool pprof -top -sample_index=inuse_space "$1" 2>/dev/null |
        awk '/flat%/ { go = 1; next } go && NF >= 6 { print $6; exit }'
}

for s in slice map; do
    start_victim "$s" --scenario "$s" --rate 0 --max-mb 16
    tap_is "$s --http: starts" "$?" 0
    tap_is "$s --http: the banner gives the go tool pprof command for the endpoint" \
        "$(grep -c "^  go tool pprof -top http://127.0.0.1:$port/debug/pprof/heap\$" "$tmp/$s.out")" 1
    tap_wait_for "$tmp/$s.err" "reached the --max-mb cap"
    tap_is "$s --http: grows to the cap" "$?" 0
    curl -sS --max-time 30 -o "$tmp/$s.pb.gz" "http://127.0.0.1:$port/debug/pprof/heap"
    tap_is "$s --http: GET /debug/pprof/heap succeeds" "$?" 0
    "$PPROFCHECK" -heap "$tmp/$s.pb.gz" > "$tmp/$s.check" 2>&1
    tap_is "$s --http: google's validator accepts the heap profile" "$?:$(cat "$tmp/$s.check")" \
        "0:$tmp/$s.pb.gz: ok"
    tap_is "$s --http: go tool pprof -top puts the leak site on top" \
        "$(top_function "$tmp/$s.pb.gz")" "${s}_$([ "$s" = slice ] && echo append_request ||
            echo remember_session)"
    kill -TERM "$pid"
    wait "$pid"
    tap_is "$s --http: exits 0 on SIGTERM" "$?" 0
done

# The same address twice: the second victim cannot serve and says why.
start_victim first --scenario steady
"$V" --scenario steady --http "127.0.0.1:$port" > "$tmp/second.out" 2> "$tmp/second.err"
tap_is "a taken address exits 1" "$?" 1
tap_is "a taken address: one sentence naming the address" \
    "$(grep -c "^heapsnap-victim: cannot serve /debug/pprof on 127.0.0.1:$port: .*; pick a free address such as 127.0.0.1:6061\.\$" "$tmp/second.err"):$(wc -l < "$tmp/second.err")" "1:1"
kill -TERM "$pid"
wait "$pid"

env -u HEAPSNAP_HTTP_ALLOW_REMOTE "$V" --scenario steady --http "0.0.0.0:$port" \
    > "$tmp/remote.out" 2> "$tmp/remote.err"
tap_is "a non-loopback address exits 1" "$?" 1
tap_is "a non-loopback address: one sentence with the fix" "$(cat "$tmp/remote.err")" \
    "heapsnap-victim: cannot serve /debug/pprof on 0.0.0.0:$port: it is not a loopback address; use 127.0.0.1:PORT or set HEAPSNAP_HTTP_ALLOW_REMOTE=1."

tap_done
