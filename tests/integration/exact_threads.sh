#!/bin/sh
# tests/integration/exact_threads.sh: the hook's per-thread counter slots under
# thread churn: 3000 threads one after another (more than the 1023 slots, so
# slots are given back and taken again), each freeing blocks the previous one
# allocated. At the default rate a snapshot after them shows the same
# [unattributed] bytes as one before (every block counted once allocated and
# once freed, whichever thread), and adds up to the walked heap.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
PROG=$top_builddir/tests/progs/exact_threads
[ -e "$HOOK" ] && [ -x "$PROG" ] || tap_skip_all "libheapsnap.so or exact_threads is not built"

out=$snap_tmp/out
LD_PRELOAD=$HOOK "$PROG" 3000 >"$out" &
pid=$!
snap_pids="$snap_pids $pid"
snap_wait_file "$out" "ready 0" || tap_bail "exact_threads did not start"
"$HEAPSNAP" -p "$pid" -o "$snap_tmp/a.pb.gz" --json >"$snap_tmp/a.json" 2>/dev/null
tap_is "snapshot before the threads" "$?" 0
kill -USR1 "$pid"
i=0
until grep -q "ready 1" "$out" || [ $i -ge 1200 ]; do sleep 0.05; i=$((i + 1)); done
tap_ok "3000 threads ran" grep -q "ready 1" "$out"
"$HEAPSNAP" -p "$pid" -o "$snap_tmp/b.pb.gz" --json >"$snap_tmp/b.json" 2>/dev/null
tap_is "snapshot after the threads" "$?" 0
tap_is "[unattributed] unchanged by 3000 threads" \
    "$(snap_json "$snap_tmp/b.json" unattributed_bytes)" "$(snap_json "$snap_tmp/a.json" unattributed_bytes)"
before=$(snap_json "$snap_tmp/a.json" inuse_bytes)
after=$(snap_json "$snap_tmp/b.json" inuse_bytes)
tap_ok "while the heap grew ($before -> $after)" test "$before" -lt "$after"
if command -v go >/dev/null 2>&1; then
    total=$(go tool pprof -top -unit=B "$snap_tmp/b.pb.gz" 2>/dev/null |
        sed -n 's/.* of \([0-9][0-9]*\)B total.*/\1/p')
    tap_is "the profile adds up to the walked heap" "$total" "$after"
fi
tap_done
