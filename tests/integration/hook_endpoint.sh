#!/bin/bash
# tests/integration/hook_endpoint.sh: libheapsnap preloaded into hook_leak with
# HEAPSNAP_RATE=1: exact counts per call site (?debug=1), a valid gzipped heap
# profile whose top function is the leak (go tool pprof, file and URL), the
# index page, every error status, slow and malformed clients, delta profiles.
. "$top_srcdir/tests/integration/hook_common.sh"

port=$(hook_port 1)
hook_start "$top_builddir/tests/progs/hook_leak" HEAPSNAP_RATE=1 HEAPSNAP_HTTP=127.0.0.1:$port
leak_pid=$hook_pid

text=$(hook_get $port '/debug/pprof/heap?debug=1')
tap_is "text profile header counts every allocation at rate 1" \
    "$(printf '%s\n' "$text" | head -1 | sed 's/^heap profile: .* @ //')" "heap/2"
records=$(printf '%s\n' "$text" | hook_records)
tap_is "leak_malloc: 1000 live blocks of 4096" "$(hook_record leak_malloc)" "1000: 4096000 [1000: 4096000]"
tap_is "churn: all freed" "$(hook_record churn)" "0: 0 [1000: 4096000]"
tap_is "leak_calloc: 100 x 10 x 100" "$(hook_record leak_calloc)" "100: 100000 [100: 100000]"
tap_is "grow_buffer: realloc frees the old block, counts the new one" \
    "$(hook_record grow_buffer | LC_ALL=C sort | tr '\n' ';')" "0: 0 [1: 16];1: 65536 [12: 131040];"
tap_is "posix_memalign, memalign, aligned_alloc, valloc, reallocarray" \
    "$(hook_record leak_aligned | LC_ALL=C sort | tr '\n' ';')" \
    "10: 81920 [10: 81920];1: 77 [1: 77];3: 15000 [3: 15000];5: 1280 [5: 1280];5: 500 [5: 500];"
tap_is "realloc(NULL, 24) allocates, free(NULL) does nothing" "$(hook_record realloc_null)" \
    "1: 24 [1: 24]"
tap_ok "leaf frames carry file:line" sh -c "printf '%s\n' \"\$1\" | grep -q '	leak_malloc	.*hook_leak.c:[0-9]'" _ "$text"
tap_ok "no frame of the hook itself" sh -c "! printf '%s\n' \"\$1\" | grep -E '	(malloc|hook_[a-z_]*|maybe_sample)(\+0x[0-9a-f]+)?	'" _ "$text"

pb="$hook_tmp/heap.pb.gz"
hook_get $port /debug/pprof/heap "$pb"
tap_ok "profile is gzip" sh -c "gzip -t '$pb'"
tap_ok "google's validator accepts it as a heap profile" hook_valid "$pb"
tap_is "go tool pprof -top: leak_malloc on top" "$(hook_pprof_top "$pb")" "leak_malloc"
tap_is "go tool pprof -top on the URL itself: leak_malloc on top" \
    "$(hook_pprof_top "http://127.0.0.1:$port/debug/pprof/heap")" "leak_malloc"
tap_is "inuse_space of leak_malloc is exact at rate 1" \
    "$(HOME="$hook_tmp" GO111MODULE=off "$GO" tool pprof -raw "$pb" 2>/dev/null |
       awk '/^Samples:/ {s = 1; next} s && /^ *[0-9]+ +[0-9]+ +1000 +4096000:/ {print $3, $4; exit}')" \
    "1000 4096000:"

# /debug/pprof/allocs: what Grafana Alloy and Parca scrape for memory by
# default: the same samples, alloc_space the default sample type.
apb="$hook_tmp/allocs.pb.gz"
hook_get $port /debug/pprof/allocs "$apb"
tap_ok "allocs: google's validator accepts it" hook_valid "$apb"
tap_is "allocs: alloc_space is the default sample type" \
    "$(HOME="$hook_tmp" GO111MODULE=off "$GO" tool pprof -raw "$apb" 2>/dev/null | sed -n 's/.*alloc_space\/bytes\(\[dflt\]\).*/\1/p')" "[dflt]"
tap_is "allocs: served as application/octet-stream" \
    "$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$port/debug/pprof/allocs")" "application/octet-stream"
tap_is "index page" "$(hook_status $port /debug/pprof/)" 200
tap_ok "index links the heap profile" sh -c "curl -s http://127.0.0.1:$port/debug/pprof/ | grep -q \"href='heap?debug=1'\""
tap_is "HEAD" "$(hook_status $port /debug/pprof/heap -I)" 200
tap_is "unknown page: 404" "$(hook_status $port /debug/pprof/goroutine)" 404
tap_is "POST: 405" "$(hook_status $port /debug/pprof/heap -X POST)" 405
tap_is "bad parameter: 400" "$(hook_status $port '/debug/pprof/heap?debug=x')" 400
tap_is "seconds and debug together: 400" "$(hook_status $port '/debug/pprof/heap?debug=1&seconds=1')" 400
long=$(head -c 3000 /dev/zero | tr '\0' a)
tap_is "long target: 414" "$(hook_status $port "/debug/pprof/heap?x=$long")" 414
tap_is "huge header: 431" "$(hook_status $port /debug/pprof/heap -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' b)")" 431

# Raw clients: a silent one gets 408 and a closed connection; garbage gets 400.
raw() {
    exec 3<>/dev/tcp/127.0.0.1/$port || return 1
    [ -n "$1" ] && printf '%b' "$1" >&3
    timeout 30 head -1 <&3 | tr -d '\r'
    exec 3<&-
}
tap_is "silent client: 408, connection closed" "$(raw '')" "HTTP/1.1 408 Request Timeout"
tap_is "half a request then silence: 408" "$(raw 'GET /debug/pprof/heap HTT')" "HTTP/1.1 408 Request Timeout"
tap_is "binary garbage: 400" "$(raw '\001\002\003\377 \r\n\r\n')" "HTTP/1.1 400 Bad Request"
tap_is "HTTP/2 preface: 400" "$(raw 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')" "HTTP/1.1 400 Bad Request"
tap_ok "the host survived every client" kill -0 $leak_pid
tap_is "and the endpoint still answers" "$(hook_status $port /debug/pprof/heap)" 200

# Delta profile: leaks made during the window only.
delta="$hook_tmp/delta.pb.gz"
hook_get $port '/debug/pprof/heap?seconds=3' "$delta" &
curl_pid=$!
sleep 1
kill -USR1 $leak_pid
wait $curl_pid
tap_ok "delta profile is a valid heap profile" hook_valid "$delta"
tap_is "delta profile: leak_more on top" "$(hook_pprof_top "$delta")" "leak_more"
tap_is "delta profile: 10 objects, 40960 bytes from leak_more, nothing else" \
    "$(HOME="$hook_tmp" GO111MODULE=off "$GO" tool pprof -raw "$delta" 2>/dev/null |
       awk '/^Samples:/ {s = 1; next} /^Locations/ {s = 0} s && /^ *-?[0-9]+ / {print $1, $2, $3, $4}')" \
    "10 40960 10 40960:"
tap_done
