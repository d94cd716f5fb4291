#!/bin/sh
# tests/integration/analyze_python.sh: an interpreter that keeps its objects
# outside malloc. Debian's python3 keeps small objects in pymalloc's pools,
# which it maps itself: under the hook at its default rate, a script that
# keeps 2000 bytearrays every 50 ms grows RSS far beyond malloc's heap, and
# heapsnap-analyze says "RSS grew outside malloc" with the way to see it
# (PYTHONMALLOC=malloc). Run that way, the same script's growth is in malloc's
# heap: a suspect with a call site (not an [unattributed ...] class) and no
# such line. A script that builds and drops the same objects: neither.
. "$top_srcdir/tests/integration/analyze_common.sh"
S="$top_builddir/heapsnap"
HOOK="$top_builddir/.libs/libheapsnap.so"
[ -x "$S" ] && [ -f "$HOOK" ] || tap_skip_all "heapsnap or the hook is not built"
PY=$(command -v python3) || tap_skip_all "python3 is missing (scripts/install-deps installs it)"
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

LEAK='import time
keep = []
while True:
    keep.extend(bytearray(200) for _ in range(2000))
    time.sleep(0.05)'
FLAT='import time
while True:
    tmp = [bytearray(200) for _ in range(2000)]
    time.sleep(0.05)'

# pymalloc (python's default): the growth is outside malloc
env -u HEAPSNAP_RATE -u PYTHONMALLOC LD_PRELOAD="$HOOK" "$PY" -c "$LEAK" &
pid=$!
snap_running py-leak
json "$work/pl" "$work"/py-leak-*.pb.gz
"$AN" "$work"/py-leak-*.pb.gz > "$work/pl.txt" 2>&1
tap_is "pymalloc leak: --json says RSS grew outside malloc" \
    "$(jf "$work/pl" malloc.rss_grew_outside_malloc)" true
tap_ok "pymalloc leak: the report says so, with PYTHONMALLOC=malloc as the way in" \
    sh -c "grep -q '^RSS grew outside malloc: from .* at least .* of it in memory the program maps itself' '$work/pl.txt' &&
        grep -q 'PYTHONMALLOC=malloc' '$work/pl.txt'"
tap_ok "pymalloc leak: no 'nothing grows' over that growth" \
    sh -c "! grep -q '^no suspects: nothing grows' '$work/pl.txt'"
[ "$tap_failed" -eq 0 ] || sed 's/^/# /' "$work/pl.txt"

# PYTHONMALLOC=malloc: every object is a malloc chunk the hook samples
env -u HEAPSNAP_RATE PYTHONMALLOC=malloc LD_PRELOAD="$HOOK" "$PY" -c "$LEAK" &
pid=$!
snap_running py-malloc
json "$work/pm" "$work"/py-malloc-*.pb.gz
"$AN" "$work"/py-malloc-*.pb.gz > "$work/pm.txt" 2>&1
n=$(jf "$work/pm" suspects.length)
f=$(jf "$work/pm" suspects.0.function)
tap_ok "PYTHONMALLOC=malloc leak: suspect #1 has a call site (got '${f:-none}' of ${n:-0})" \
    sh -c "[ '${n:-0}' -ge 1 ] && case '$f' in '['*|'') exit 1;; esac"
tap_is "PYTHONMALLOC=malloc leak: the growth is in malloc's heap" \
    "$(jf "$work/pm" malloc.rss_grew_outside_malloc)" false
[ "$tap_failed" -eq 0 ] || sed 's/^/# /' "$work/pm.txt"

# the control: the same objects built and dropped
env -u HEAPSNAP_RATE -u PYTHONMALLOC LD_PRELOAD="$HOOK" "$PY" -c "$FLAT" &
pid=$!
snap_running py-flat
json "$work/pf" "$work"/py-flat-*.pb.gz
tap_is "pymalloc control: no suspect" "$(jf "$work/pf" suspects.length)" 0
tap_is "pymalloc control: RSS did not grow outside malloc" \
    "$(jf "$work/pf" malloc.rss_grew_outside_malloc)" false
[ "$tap_failed" -eq 0 ] || "$AN" "$work"/py-flat-*.pb.gz 2>&1 | sed 's/^/# /'
tap_done
