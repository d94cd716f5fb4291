#!/bin/sh
# tests/integration/attach_cycles.sh: ATTACH_CYCLES (default 20; the stress
# target runs 200) attach/detach cycles on attach_churn, four threads that
# allocate through every malloc entry and check each block's contents while
# the main thread dlopens libm: every command exits 0, a snapshot while
# attached attributes blocks, and the program's own report is intact with its
# exit status 0.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
. "$top_srcdir/tests/integration/attach_common.sh"

cycles=${ATTACH_CYCLES:-20}
churn_start 4
fails=0; first=""; snapped=0
i=1
while [ $i -le "$cycles" ]; do
    if ! "$HEAPSNAP" -p $churn_pid --attach --rate 65536 2> "$snap_tmp/err"; then
        fails=$((fails + 1)); [ -n "$first" ] || first="attach $i: $(cat "$snap_tmp/err")"
    fi
    if [ $i -eq 1 ] || [ $i -eq "$cycles" ]; then
        # the hook records: some in-use bytes are attributed to call stacks
        "$HEAPSNAP" -p $churn_pid -o "$snap_tmp/c.pb.gz" --json > "$snap_tmp/c.json" 2> "$snap_tmp/err" &&
            grep -q '"hook":true.*"attributed_chunks":[1-9]' "$snap_tmp/c.json" && snapped=$((snapped + 1))
    fi
    if ! "$HEAPSNAP" -p $churn_pid --detach 2> "$snap_tmp/err"; then
        fails=$((fails + 1)); [ -n "$first" ] || first="detach $i: $(cat "$snap_tmp/err")"
    fi
    snap_running $churn_pid || { fails=$((fails + 1)); [ -n "$first" ] || first="cycle $i: the program is not running untraced"; break; }
    i=$((i + 1))
done
tap_is "$cycles attach/detach cycles, every command exits 0" "$fails${first:+ ($first)}" 0
tap_is "a snapshot while attached sees the hook's records (first and last cycle)" "$snapped" 2
churn_finish
tap_is "attach_churn exits 0" "$churn_status" 0
tap_is "its four threads report intact blocks" "$churn_report" 4
tap_ok "and it dlopened throughout" grep -q "^done dlopens=yes$" "$churn_out"
tap_done
