#!/bin/sh
# tests/integration/analyze_goserver.sh: heapsnap-analyze on a Go server's own
# net/http/pprof heap profiles at Go's default MemProfileRate (512 KiB), three
# profiles 5 s apart, as a Go programmer would pull them (tests/goserver):
# with a growing slice, a map that only gains entries and a busy handler, the
# two leaking functions are the top two suspects and the handler is not; a
# program whose only leak is the map: that function, accumulating-entries; a
# steady server: no suspect. go tool pprof -base shows the same functions.
. "$top_srcdir/tests/integration/analyze_common.sh"
command -v curl >/dev/null 2>&1 || tap_bail "curl is needed to pull the profiles (install curl)"
srv="$work/goserver"
(cd "$work" && GO111MODULE=off GOCACHE="${GOCACHE:-$work/gocache}" HOME="$work" \
    "${GO:-go}" build -o "$srv" "$top_srcdir/tests/goserver/main.go") ||
    tap_bail "cannot build tests/goserver/main.go"

# pull MODE: runs the server in MODE, pulls three heap profiles 5 s apart into
# $work/MODE/heap-N.pb.gz, stops it. The three modes run side by side.
pull() {
    d="$work/$1"
    mkdir -p "$d"
    "$srv" -mode "$1" -duration 40s > "$d/url" 2> "$d/err" &
    pid=$!
    i=0
    until [ -s "$d/url" ] || [ $i -ge 3000 ]; do sleep 0.1; i=$((i + 1)); done
    url=$(head -1 "$d/url")
    sleep 2
    for n in 0 1 2; do
        [ $n -gt 0 ] && sleep 5
        curl -sf -o "$d/heap-$n.pb.gz" "$url/debug/pprof/heap" || echo "curl $n failed" >> "$d/err"
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
pull server & p1=$!
pull map & p2=$!
pull steady & p3=$!
wait $p1 $p2 $p3
for m in server map steady; do
    tap_ok "$m: three profiles pulled" test -s "$work/$m/heap-2.pb.gz"
done

json "$work/s" "$work"/server/heap-*.pb.gz
tap_is "server: sampled at Go's default rate" "$(jf "$work/s" period)" 524288
top2=$(printf '%s\n%s\n' "$(jf "$work/s" suspects.0.function)" "$(jf "$work/s" suspects.1.function)" | sort | tr '\n' ' ')
tap_is "server: the slice and the map are the top two suspects" "$top2" "main.appendHistory main.rememberSession "
for k in 0 1; do
    case $(jf "$work/s" suspects.$k.function) in
    main.appendHistory) tap_is "server: the slice is a growing buffer" "$(jf "$work/s" suspects.$k.pattern)" growing-buffer ;;
    main.rememberSession) tap_is "server: the map accumulates entries" "$(jf "$work/s" suspects.$k.pattern)" accumulating-entries ;;
    *) tap_ok "server: suspect $k is a leaking function" false ;;
    esac
done
tap_is "server: three snapshots give low confidence" "$(jf "$work/s" suspects.0.confidence)" low

json "$work/m" "$work"/map/heap-*.pb.gz
tap_is "map only: that function, accumulating-entries" \
    "$(jf "$work/m" suspects.0.function) $(jf "$work/m" suspects.0.pattern)" \
    "main.rememberSession accumulating-entries"
tap_ok "map only: the busy handler is no suspect" sh -c "! grep -q '^suspects\.[0-9]*\.function=main.handleRequest$' '$work/m'"

json "$work/q" "$work"/steady/heap-*.pb.gz
tap_is "steady: no suspect" "$(jf "$work/q" suspects.length)" 0

HOME="$work" GO111MODULE=off "${GO:-go}" tool pprof -top -sample_index=inuse_space \
    -base "$work/server/heap-0.pb.gz" "$work/server/heap-2.pb.gz" > "$work/pprof.txt" 2>&1
tap_ok "go tool pprof -base shows the slice too" grep -q 'main.appendHistory' "$work/pprof.txt"
tap_done
