#!/bin/sh
# tests/integration/exact_victim.sh: at the default sampling rate the hook's
# exact size-class counters leave under [unattributed ...] only what the hook
# never saw (blocks from before it started): on each of heapsnap-victim's
# leaks, three snapshots a second apart show the same unattributed bytes while
# the heap grows, and each profile adds up to the walked heap to the byte.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
VICTIM=$top_builddir/heapsnap-victim
[ -e "$HOOK" ] && [ -x "$VICTIM" ] || tap_skip_all "libheapsnap.so or heapsnap-victim is not built"
command -v go >/dev/null 2>&1 || tap_skip_all "go is not installed (golang-go)"

# The total of a profile's inuse_space, in bytes.
profile_total() {
    go tool pprof -top -unit=B -sample_index=inuse_space "$1" 2>/dev/null |
        sed -n 's/.* of \([0-9][0-9]*\)B total.*/\1/p'
}

for sc in slice map queue strdup errpath; do
    out=$snap_tmp/$sc.out
    LD_PRELOAD=$HOOK "$VICTIM" --scenario "$sc" --duration 60s --max-mb 256 >"$out" 2>&1 &
    vpid=$!
    snap_pids="$snap_pids $vpid"
    i=0
    until grep -q "pid [0-9]" "$out" 2>/dev/null || [ $i -ge 200 ]; do sleep 0.05; i=$((i + 1)); done
    "$HEAPSNAP" -p "$vpid" -i 1s -n 3 -o "$snap_tmp/$sc-%d.pb.gz" --json >"$snap_tmp/$sc.json" \
        2>"$snap_tmp/$sc.err"
    tap_is "$sc: three snapshots at the default rate" \
        "$? $(wc -l <"$snap_tmp/$sc.json") $(snap_json "$snap_tmp/$sc.json" rate)" "0 3 524288"
    unattr=$(sed -n 's/.*"unattributed_bytes":\([0-9]*\).*/\1/p' "$snap_tmp/$sc.json" | tr '\n' ' ')
    tap_is "$sc: heapsnap-analyze reads all three as scaled to exact size-class totals" \
        "$("$top_builddir/heapsnap-analyze" --json "$snap_tmp/$sc"-*.pb.gz 2>/dev/null |
            sed -n 's/^  "exact_size_classes": \([0-9]*\),$/\1/p')" 3
    tap_is "$sc: [unattributed] the same in every snapshot ($unattr)" \
        "$(printf '%s\n' $unattr | sort -u | wc -l)" 1
    inuse=$(sed -n 's/.*"inuse_bytes":\([0-9]*\).*/\1/p' "$snap_tmp/$sc.json" | tr '\n' ' ')
    set -- $inuse
    tap_ok "$sc: while the heap grew ($inuse)" test "${1:-0}" -lt "${3:-0}"
    k=1
    for want in $inuse; do
        tap_is "$sc: snapshot $k adds up to the walked heap" \
            "$(profile_total "$snap_tmp/$sc-$k.pb.gz")" "$want"
        k=$((k + 1))
    done
    kill "$vpid" 2>/dev/null
    wait "$vpid" 2>/dev/null
done
tap_done
