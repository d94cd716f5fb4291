#!/bin/sh
# tests/integration/snap_busy.sh: snapshots of a process whose threads malloc
# and free without pause, with the hook at rate 1. Threads are caught inside
# malloc, so heapsnap lets the process run briefly and stops it again; every
# snapshot must still succeed, be valid, agree with its own walk to the byte,
# and leave the process running.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"

HOOKED=1 snap_start_leaker --mb 2 --churn 2
for k in 1 2 3; do
    "$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/busy$k.pb.gz" --json >"$snap_tmp/busy$k.json" \
        2>"$snap_tmp/busy$k.err"
    tap_is "snapshot $k of a churning process exits 0" "$?" 0
    tap_ok "snapshot $k is a valid heap profile" snap_valid -heap "$snap_tmp/busy$k.pb.gz"
    tap_is "snapshot $k: inuse_space equals its walk's in-use bytes" \
        "$("$PPROFCHECK" -sum inuse_space "$snap_tmp/busy$k.pb.gz")" \
        "$(snap_json "$snap_tmp/busy$k.json" inuse_bytes)"
    tap_ok "process runs on after snapshot $k" snap_running "$leaker_pid"
    echo "# busy retries: $(snap_json "$snap_tmp/busy$k.json" busy_retries)," \
        "torn entries: $(snap_json "$snap_tmp/busy$k.json" torn_entries)"
done
tap_done
