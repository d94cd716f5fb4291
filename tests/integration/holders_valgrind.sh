#!/bin/sh
# tests/integration/holders_valgrind.sh: heapsnap's lost chunks against
# Valgrind's (issue 17). holders_prog builds the same heap every run and
# stops at one point: left running, heapsnap's snapshot (no hook, so only
# the program's own chunks and libc's) counts its lost chunks in the third
# comment line; told to exit there, valgrind --leak-check=full counts
# definitely + indirectly lost blocks. The two must agree (7: a dropped list
# of 5, an unreferenced cycle of 2 -- Valgrind calls one block of each
# "definitely" lost, heapsnap only the list's head, "direct", since the
# cycle's blocks are each pointed at).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
command -v valgrind >/dev/null 2>&1 || tap_skip_all "valgrind is not installed"
. "$top_srcdir/tests/integration/holders_common.sh"
PROG=$top_builddir/tests/progs/holders_prog

holders_snap native "$PROG"
ours=$(holders_pprof -comments "$snap_tmp/native.pb.gz" |
    sed -n 's/.*held_by: lost [0-9]* bytes in \([0-9]*\) chunks.*/\1/p')

vstatus=$snap_tmp/valgrind.status
rm -f "$vstatus"
valgrind --leak-check=full --log-file="$snap_tmp/valgrind.log" "$PROG" "$vstatus" exit >/dev/null 2>&1
tap_ok "holders_prog ran to its exit under valgrind" grep -q "^ready" "$vstatus"
blocks() {
    sed -n "s/.*$1 lost: [0-9,]* bytes in \([0-9,]*\) blocks.*/\1/p" "$snap_tmp/valgrind.log" | tr -d ,
}
definite=$(blocks definitely)
indirect=$(blocks indirectly)
theirs=$((${definite:-0} + ${indirect:-0}))
tap_is "valgrind: definitely + indirectly lost blocks" "$theirs" 7
tap_is "heapsnap's lost chunks equal valgrind's lost blocks" "$ours" "$theirs"
tap_done
