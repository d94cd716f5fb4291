# tests/integration/analyze_common.sh: sourced by the analyze_*.sh tests: tools,
# a scratch directory removed on exit, and `jf FILE KEY` to read one member of
# a heapsnap-analyze --json report (flattened by an_jsonflat.go).
. "$top_srcdir/tests/tap.sh"
AN="$top_builddir/heapsnap-analyze"
GEN="$top_builddir/tests/progs/gen_series"
[ -x "$AN" ] || tap_bail "heapsnap-analyze is not built"
[ -x "$GEN" ] || tap_bail "tests/progs/gen_series is not built"
work=$(mktemp -d "${TMPDIR:-/tmp}/an-test.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
command -v "${GO:-go}" >/dev/null 2>&1 || tap_bail "go is needed to check the JSON reports (install golang-go)"
JSONFLAT="$work/jsonflat"
(cd "$work" && GO111MODULE=off GOCACHE="${GOCACHE:-$work/gocache}" HOME="$work" \
    "${GO:-go}" build -o "$JSONFLAT" "$top_srcdir/tests/integration/an_jsonflat.go") ||
    tap_bail "cannot build an_jsonflat.go"

# gen NAME SCENARIO [gen_series options]: writes a series into $work/NAME.
gen() {
    d="$work/$1"; sc=$2; shift 2
    mkdir -p "$d" && "$GEN" "$@" "$sc" "$d" || tap_bail "gen_series $sc failed"
}
# json OUT ARGS...: runs heapsnap-analyze --json ARGS, flattened into OUT; keeps the status in $rc.
json() {
    out=$1; shift
    rc=0
    "$AN" --json "$@" > "$out.json" 2> "$out.err" || rc=$?
    "$JSONFLAT" < "$out.json" > "$out" || echo "json=invalid" > "$out"
}
# jf FLAT KEY: the value of KEY.
jf() {
    sed -n "s|^$2=||p" "$1"
}

# snap_running NAME: five snapshots 1 s apart of the process $pid (started by
# the caller, with heapsnap at $S) into $work/NAME-NN.pb.gz, then stops it.
snap_running() {
    sleep 1
    "$S" -p "$pid" -i 1s -n 5 -o "$work/$1-%02d.pb.gz" > "$work/$1.snap" 2>&1
    src=$?
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    pid=""
    [ $src = 0 ] || tap_bail "heapsnap failed on $1: $(head -c 300 "$work/$1.snap")"
}

# snap SCENARIO COUNT: runs heapsnap-victim ($V) with SCENARIO (HEAPSNAP_RATE=$RATE
# when set), takes COUNT snapshots $INTERVAL (1 s) apart with heapsnap ($S) into
# $work/SCENARIO-NN.pb.gz, stops the victim (its pid is in $vpid meanwhile).
snap() {
    env ${RATE:+HEAPSNAP_RATE=$RATE} "$V" --scenario "$1" --duration 120s --max-mb 512 > "$work/$1.out" 2>&1 &
    vpid=$!
    i=0
    until grep -qi "pid [0-9]" "$work/$1.out" 2>/dev/null || [ $i -ge 3000 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 0.5
    "$S" -p "$vpid" -i "${INTERVAL:-1s}" -n "$2" -o "$work/$1-%02d.pb.gz" > "$work/$1.snap" 2>&1
    src=$?
    kill "$vpid" 2>/dev/null
    wait "$vpid" 2>/dev/null
    vpid=""
    return $src
}
