#!/bin/sh
# tests/integration/dwtypes_analyze.sh: heapsnap-analyze says what a suspect
# holds from the type labels: tests/progs/dwtypes_prog.c (hooked,
# HEAPSNAP_RATE=1) adds 1000 sessions to its global hash table on each
# SIGUSR1; over four snapshots its suspect add_sessions holds exactly the
# sessions' bytes as "struct session" and their names' as "char[] in
# session::user" (JSON types, the text's "holds" line, the HTML row).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
tap_need_ptrace
PROG=$top_builddir/tests/progs/dwtypes_O0
AN=$top_builddir/heapsnap-analyze
[ -x "$PROG" ] && [ -x "$AN" ] && [ -e "$HOOK" ] || tap_skip_all "dwtypes_O0, heapsnap-analyze or the hook is not built"

st=$snap_tmp/g.status
rm -f "$st"
LD_PRELOAD=$HOOK HEAPSNAP_RATE=1 "$PROG" "$st" &
pid=$!
snap_pids="$snap_pids $pid"
tap_wait_for "$st" '"ready"' || tap_bail "dwtypes_O0 did not get ready within 5 minutes"
k=0
while [ "$k" -lt 4 ]; do
    if [ "$k" -gt 0 ]; then
        kill -USR1 "$pid"
        tap_wait_for "$st" "\"grown\":$k}" || tap_bail "dwtypes_O0 did not grow within 5 minutes"
    fi
    "$HEAPSNAP" -p "$pid" -o "$snap_tmp/g-$k.pb.gz" 2>/dev/null ||
        tap_bail "heapsnap failed on snapshot $k"
    k=$((k + 1))
done
sessions=$(sed -n 's/.*"sessions":\([0-9]*\).*/\1/p' "$st")
users=$(sed -n 's/.*"users":\([0-9]*\).*/\1/p' "$st")

"$AN" --json "$snap_tmp"/g-*.pb.gz >"$snap_tmp/a.json" 2>/dev/null
tap_ok "json: suspect #1 is add_sessions" grep -q '"function": "add_sessions"' "$snap_tmp/a.json"
tap_ok "json: it holds the sessions' $sessions bytes as struct session" \
    grep -q "{\"type\": \"struct session\", \"bytes\": $sessions, " "$snap_tmp/a.json"
tap_ok "json: and their names' $users bytes as char[] in session::user" \
    grep -q "{\"type\": \"char\[\] in session::user\", \"bytes\": $users, " "$snap_tmp/a.json"

share() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", 100 * a / (a + b) }'; }
line="    holds     $(share "$sessions" "$users") % struct session, $(share "$users" "$sessions") % char[] in session::user"
"$AN" "$snap_tmp"/g-*.pb.gz >"$snap_tmp/a.txt" 2>&1
tap_ok "text: '$line'" grep -qxF "$line" "$snap_tmp/a.txt"
"$AN" --html "$snap_tmp/a.html" "$snap_tmp"/g-*.pb.gz >/dev/null 2>&1
tap_ok "html: the holds row" grep -qF "<tr><th>holds</th><td>$(share "$sessions" "$users") % struct session, " \
    "$snap_tmp/a.html"
tap_done
