#!/bin/sh
# tests/integration/analyze_rss.sh: snapshots carry the process's RSS in their
# heap comment, and heapsnap-analyze says "not a leak in the program's data:
# free memory kept by malloc" instead of "no suspects" when RSS grows while
# the heap in use does not (tests/progs/ledger_prog's grow scenario: a
# temporary buffer 8 MiB larger at every step, freed into top); on a process
# whose RSS holds still (the top scenario) it does not.
. "$top_srcdir/tests/tap.sh"

heapsnap=$top_builddir/heapsnap
an=$top_builddir/heapsnap-analyze
prog=$top_builddir/tests/progs/ledger_prog
[ -x "$heapsnap" ] && [ -x "$an" ] && [ -x "$prog" ] || tap_skip_all "heapsnap, heapsnap-analyze or ledger_prog is not built"
tap_need_ptrace

work=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_line() {
    w=0
    until grep -q "$2" "$1" 2>/dev/null || [ $w -ge 300 ]; do sleep 0.1; w=$((w + 1)); done
    grep "$2" "$1" | tail -1
}

# run SCENARIO STEP: four snapshots, with the command STEP ("" none) before each
run() {
    rm -f "$work/in" "$work/out" "$work"/snap-*.pb.gz
    mkfifo "$work/in"
    "$prog" "$1" < "$work/in" > "$work/out" 2>&1 &
    pid=$!
    exec 3> "$work/in"
    wait_line "$work/out" '^ready' > /dev/null
    for i in 1 2 3 4; do
        if [ -n "$2" ]; then
            echo "$2" >&3
            wait_line "$work/out" "^$2 $i\$" > /dev/null
        fi
        "$heapsnap" -p "$pid" -o "$work/snap-$i.pb.gz" 2> "$work/err" ||
            echo "# heapsnap: $(cat "$work/err")"
    done
    exec 3>&-
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
}

run grow step
tap_ok "grow: the heap comment carries the RSS" \
    sh -c "gzip -dc '$work/snap-4.pb.gz' | grep -a -q '; rss [1-9][0-9]*'"
"$an" "$work"/snap-*.pb.gz > "$work/grow.txt" 2>&1
tap_ok "grow: free memory kept by malloc, said instead of no suspects" \
    grep -q "^not a leak in the program's data: free memory kept by malloc. RSS grew from" "$work/grow.txt"
tap_ok "grow: no 'no suspects' line" sh -c "! grep -q '^no suspects' '$work/grow.txt'"
tap_ok "grow: with the advice" grep -q "advice .*heapsnap -p PID --stats prints the RSS ledger" "$work/grow.txt"
"$an" --json "$work"/snap-*.pb.gz > "$work/grow.json" 2>&1
tap_ok "grow: --json says so" grep -q '"rss_grew_as_free_memory": true' "$work/grow.json"
tap_ok "grow: the growth is inside malloc, not outside" \
    grep -q '"rss_grew_outside_malloc": false' "$work/grow.json"
[ "$tap_failed" -eq 0 ] || sed 's/^/# /' "$work/grow.txt"

run top ""
"$an" "$work"/snap-*.pb.gz > "$work/top.txt" 2>&1
tap_ok "top: RSS held still, no such line" sh -c "! grep -q 'free memory kept by malloc. RSS grew' '$work/top.txt'"
"$an" --json "$work"/snap-*.pb.gz > "$work/top.json" 2>&1
tap_ok "top: --json says it did not" grep -q '"rss_grew_as_free_memory": false' "$work/top.json"
tap_done
