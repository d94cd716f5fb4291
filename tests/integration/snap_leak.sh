#!/bin/sh
# tests/integration/snap_leak.sh: heapsnap on a process that leaks from a known
# function, with the hook at rate 1. Two snapshots; both valid Go heap profiles;
# `go tool pprof -base` (offline, no binary at hand) names the leak with its
# file:line first; at rate 1 the profile adds up to the walker's total exactly;
# the process runs on, not stopped, after every snapshot.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"

HOOKED=1 snap_start_leaker --mb 4 --leak 100 --size 1000
leak_line=$(grep -n SNAP_LEAK_LINE "$top_srcdir/tests/progs/snap_leaker.c" | cut -d: -f1)

"$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/a.pb.gz" --json >"$snap_tmp/a.json" 2>"$snap_tmp/a.err"
tap_is "first snapshot exits 0" "$?" 0
tap_ok "process runs on after the first snapshot" snap_running "$leaker_pid"
tap_is "hook at rate 1 found" "$(snap_json "$snap_tmp/a.json" rate)" 1
tap_is "no notice with the hook loaded" "$(cat "$snap_tmp/a.err")" ""

snap_leak_step || tap_bail "the leaker did not leak"
sleep 1
snap_leak_step || tap_bail "the leaker did not leak"
"$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/b.pb.gz" --json >"$snap_tmp/b.json" 2>"$snap_tmp/b.err"
tap_is "second snapshot exits 0" "$?" 0
tap_ok "process runs on after the second snapshot" snap_running "$leaker_pid"
tap_ok "both pass google's validator as heap profiles" \
    snap_valid -heap "$snap_tmp/a.pb.gz" "$snap_tmp/b.pb.gz"

# Rate 1: inuse_space (attributed + unattributed pseudo-samples) is the walk's total.
for s in a b; do
    sum=$("$PPROFCHECK" -sum inuse_space "$snap_tmp/$s.pb.gz")
    total=$(snap_json "$snap_tmp/$s.json" inuse_bytes)
    attr=$(snap_json "$snap_tmp/$s.json" attributed_bytes)
    unattr=$(snap_json "$snap_tmp/$s.json" unattributed_bytes)
    tap_is "$s: inuse_space equals the walker's in-use bytes" "$sum" "$total"
    tap_is "$s: attributed + unattributed equals the walker's in-use bytes" \
        "$((attr + unattr))" "$total"
    tap_is "$s: no stale live entries" "$(snap_json "$snap_tmp/$s.json" stale_entries)" 0
done
# ...and the walker agrees when asked on its own (the leaker is quiet now).
"$HEAPSNAP" -p "$leaker_pid" --stats --json >"$snap_tmp/stats.json"
inuse=$(grep -o '"inuse":{"chunks":[0-9]*,"bytes":[0-9]*' "$snap_tmp/stats.json" | head -n 1 |
    sed 's/.*"bytes"://')
mmapped=$(grep -o '"mmapped":{"chunks":[0-9]*,"bytes":[0-9]*' "$snap_tmp/stats.json" | head -n 1 |
    sed 's/.*"bytes"://')
tap_is "profile total equals --stats in use + mmapped" \
    "$("$PPROFCHECK" -sum inuse_space "$snap_tmp/b.pb.gz")" "$((inuse + mmapped))"
tap_ok "process runs on after --stats" snap_running "$leaker_pid"

# The diff, offline: an empty directory, no binary, no network.
empty=$snap_tmp/empty
mkdir "$empty"
cp "$snap_tmp/a.pb.gz" "$snap_tmp/b.pb.gz" "$empty/"
top=$(cd "$empty" && HOME=$empty GO111MODULE=off PPROF_BINARY_PATH=$empty \
    "$GO" tool pprof -top -lines -unit=B -base a.pb.gz b.pb.gz 2>&1)
first=$(printf '%s\n' "$top" | sed -n '/flat%/{n;p;q}')
echo "# first row: $first"
# 2 steps x 100 leaks of 1000 bytes = 200 chunks of 1008 bytes.
tap_is "the leak's growth comes first, exactly" "$(echo "$first" | awk '{print $1}')" "201600B"
tap_is "named by function" "$(echo "$first" | awk '{print $6}')" "snap_leak_buffer"
tap_is "with file:line of the malloc" "$(echo "$first" | awk '{print $7}' | sed 's|.*/||')" \
    "snap_leaker.c:$leak_line"
objs=$(cd "$empty" && HOME=$empty GO111MODULE=off "$GO" tool pprof -top -sample_index=inuse_objects \
    -base a.pb.gz b.pb.gz 2>/dev/null | awk '$6 == "snap_leak_buffer" {print $1}')
tap_is "200 more live objects at the leak" "$objs" 200
tap_done
