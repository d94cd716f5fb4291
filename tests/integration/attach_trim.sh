#!/bin/sh
# tests/integration/attach_trim.sh: heapsnap --trim runs malloc_trim(0) inside
# a process through the injected call of --attach: on heapsnap-victim's
# fragment scenario (a burst at start, then most of malloc's memory free) the
# RSS it prints after is below the RSS before, the program runs on, and a
# static program is refused in one sentence.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
V=$top_builddir/heapsnap-victim
[ -x "$V" ] || tap_bail "heapsnap-victim is not built"

"$V" --scenario fragment --duration 600s --max-mb 256 > "$snap_tmp/v.out" 2>&1 &
vpid=$!
snap_pids="$snap_pids $vpid"
# after the burst: RSS above 32 MiB (a hang guard of 60 s, not a timing claim)
i=0
until [ "$(sed -n 's/^Rss: *\([0-9]*\) kB/\1/p' /proc/$vpid/smaps_rollup 2>/dev/null || echo 0)" -gt 32768 ]; do
    i=$((i + 1))
    [ $i -gt 6000 ] && tap_bail "the victim's burst never came"
    sleep 0.05
done
# and its frees done: the census sees 32 MiB that malloc_trim would give back
# (RSS passes 32 MiB while the burst still loads; a trim then gives back what
# the frees after the census released, more than the census predicted)
i=0
until "$HEAPSNAP" -p $vpid --stats --json 2>/dev/null | grep -o '"reclaimable_bytes":[0-9]*' |
    head -n 1 | awk -F: '$2 > 33554432 { ok = 1 } END { exit !ok }'; do
    i=$((i + 1))
    [ $i -gt 3000 ] && tap_bail "the victim's burst was never freed" # a hang guard (5 min)
    sleep 0.1
done
"$HEAPSNAP" -p $vpid --trim 2> "$snap_tmp/t.err"
tap_is "--trim exits 0" "$?" 0
line=$(cat "$snap_tmp/t.err")
tap_ok "one line: what malloc_trim did, RSS before and after, the ledger's prediction, the pause" \
    sh -c "echo '$line' | grep -q '^heapsnap: malloc_trim(0) in process $vpid gave memory back: RSS [0-9.]* MiB -> [0-9.]* MiB (-[0-9.]* MiB, the ledger predicted -[0-9.]* MiB); paused [0-9.]* ms.\$'"
before=$(echo "$line" | sed -n 's/.*RSS \([0-9.]*\) MiB -> .*/\1/p')
after=$(echo "$line" | sed -n 's/.* -> \([0-9.]*\) MiB .*/\1/p')
tap_ok "the RSS after ($after MiB) is below the RSS before ($before MiB)" \
    awk -v a="$after" -v b="$before" 'BEGIN { exit !(a < b) }'
gave=$(echo "$line" | sed -n 's/.*MiB (-\([0-9.]*\) MiB, .*/\1/p')
pred=$(echo "$line" | sed -n 's/.*predicted -\([0-9.]*\) MiB.*/\1/p')
# the victim's worker still allocates a little between the census and the trim
tap_ok "the ledger's prediction ($pred MiB) is what went back ($gave MiB), within 2 MiB" \
    awk -v g="$gave" -v p="$pred" 'BEGIN { d = g - p; if (d < 0) d = -d; exit !(g > 0 && d <= 2) }'
tap_ok "the program runs on, untraced" snap_running $vpid
"$HEAPSNAP" -p $vpid --trim 2> "$snap_tmp/t2.err"
rc=$?
tap_is "a second --trim exits 0" "$rc" 0
[ $rc = 0 ] || sed 's/^/# /' "$snap_tmp/t2.err"

"$top_builddir/tests/progs/snap_static" "$snap_tmp/static" &
spid=$!
snap_pids="$snap_pids $spid"
snap_wait_file "$snap_tmp/static" ready
"$HEAPSNAP" -p $spid --trim 2> "$snap_tmp/st.err"
tap_is "a static program: exit 1" "$?" 1
tap_ok "one sentence naming the cause" grep -q "^heapsnap: process $spid has no glibc libc.so.6 mapped: it is statically linked" "$snap_tmp/st.err"
tap_is "--trim takes no other option" "$("$HEAPSNAP" -p $vpid --trim --json 2>&1 | head -1)" "heapsnap: --trim takes no other option than -p."
tap_done
