#!/bin/sh
# tests/integration/analyze_victim.sh: the whole workflow on heapsnap-victim:
# heapsnap takes snapshots of a running scenario (every allocation recorded,
# HEAPSNAP_RATE=1), heapsnap-analyze names the leaking function as suspect #1
# within three snapshots, with its pattern (and the map's entries' type), and
# finds no suspect on a control;
# and at the default rate, as heapsnap(7) shows it, in five snapshots.
# (tests/integration/analyze_synthetic.sh covers every control exactly; this one
# keeps to three scenarios to stay quick.)
. "$top_srcdir/tests/integration/analyze_common.sh"
V="$top_builddir/heapsnap-victim"
S="$top_builddir/heapsnap"
[ -x "$V" ] && [ -x "$S" ] || tap_skip_all "heapsnap or heapsnap-victim is not built"
vpid=""
trap '[ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT


# leak SCENARIO FUNCTION PATTERN
leak() {
    if ! snap "$1" 3; then
        tap_ok "$1: heapsnap took three snapshots ($(head -c 200 "$work/$1.snap"))" false
        return
    fi
    json "$work/$1.flat" "$work/$1"-*.pb.gz
    got="$(jf "$work/$1.flat" suspects.0.function) $(jf "$work/$1.flat" suspects.0.pattern)"
    tap_is "$1: #1 after three snapshots" "$got" "$2 $3"
    [ "$got" = "$2 $3" ] || "$AN" "$work/$1"-*.pb.gz 2>&1 | sed 's/^/# /'

}

# control SCENARIO
control() {
    if ! snap "$1" 5; then
        tap_ok "$1: heapsnap took five snapshots ($(head -c 200 "$work/$1.snap"))" false
        return
    fi
    json "$work/$1.flat" --fail-on-leak "$work/$1"-*.pb.gz
    tap_is "$1: no suspect in five snapshots" "$(jf "$work/$1.flat" suspects.length) $rc" "0 0"
}

RATE=1
leak slice slice_append_request growing-buffer
leak map map_remember_session accumulating-entries
# What accumulates: the entries' type, from the line that allocates them
# (`struct map_session *e = malloc(sizeof(*e))`; the table hangs off a void *).
tap_is "map: what accumulates is struct map_session" \
    "$(jf "$work/map.flat" suspects.0.types.0.type) $(jf "$work/map.flat" suspects.0.types.1.type)" \
    "struct map_session "
control steady

# fragment: a burst at start, then a small flat heap in use and most of
# malloc's memory free: no suspect, and the report says that the memory is
# free memory malloc keeps (from the profiles' own figures), with the advice.
if snap fragment 3; then
    json "$work/fragment.flat" "$work/fragment"-*.pb.gz
    tap_is "fragment: no suspect, malloc keeps free memory" \
        "$(jf "$work/fragment.flat" suspects.length) $(jf "$work/fragment.flat" malloc.keeps_free)" "0 true"
    "$AN" "$work/fragment"-*.pb.gz > "$work/fragment.txt" 2>&1
    tap_ok "fragment: one line says so, with the advice" \
        grep -q "^malloc keeps .* free of the .* it took from the system (.*%): a high RSS here is free memory, not the program's data$" "$work/fragment.txt"
else
    tap_ok "fragment: heapsnap took three snapshots" false
fi

# heapsnap(7)'s example as written: the default rate, six snapshots 5 s
# apart. The hook's exact totals per size class pin the map's entries (alone
# in their size class once a sample names them), so the map is found, and no
# [unattributed ...] or [unsampled ...] pseudo-site is ever a suspect. The
# slice (one large, always-sampled buffer) in five snapshots 2 s apart.
RATE="" INTERVAL=5s
if snap map 6; then
    json "$work/map.flat" "$work/map"-*.pb.gz
    got="$(jf "$work/map.flat" suspects.0.function) $(jf "$work/map.flat" suspects.0.pattern)"
    tap_is "map at the default rate (heapsnap(7)): #1" "$got" "map_remember_session accumulating-entries"
    [ "$got" = "map_remember_session accumulating-entries" ] || HEAPSNAP_ANALYZE_DEBUG=1 "$AN" "$work/map"-*.pb.gz 2>&1 | sed 's/^/# /'
    tap_is "map at the default rate: what accumulates is struct map_session" \
        "$(jf "$work/map.flat" suspects.0.types.0.type)" "struct map_session"
    tap_ok "map at the default rate: no pseudo-site suspect" \
        sh -c "! grep -q '^suspects\.[0-9]*\.function=\[' '$work/map.flat'"
    grep '^suspects\.[0-9]*\.function=\[' "$work/map.flat" | sed 's/^/# /' 
else
    tap_ok "map at the default rate: heapsnap took six snapshots" false
fi
INTERVAL=2s
if snap slice 5; then
    json "$work/slice.flat" "$work/slice"-*.pb.gz
    tap_is "slice at the default rate: #1" \
        "$(jf "$work/slice.flat" suspects.0.function) $(jf "$work/slice.flat" suspects.0.pattern)" \
        "slice_append_request growing-buffer"
    tap_ok "slice at the default rate: no pseudo-site suspect" \
        sh -c "! grep -q '^suspects\.[0-9]*\.function=\[' '$work/slice.flat'"
else
    tap_ok "slice at the default rate: heapsnap took five snapshots" false
fi
tap_done
