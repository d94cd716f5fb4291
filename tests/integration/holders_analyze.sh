#!/bin/sh
# tests/integration/holders_analyze.sh: heapsnap-analyze names who holds a
# suspect's memory from the held_by labels (issue 17): heapsnap-victim's
# errpath scenario leaks its request buffer on an error path, so its suspect
# is lost ("a free() is missing on some path of errpath_read_request", JSON
# held_by [{"holder": "lost", share 1}] and lost_bytes = its bytes); the map
# scenario's sessions stay in a table its worker thread holds, so its suspect
# is held, not lost (lost_bytes 0); the HTML report has a held-by row. Every
# allocation is recorded (HEAPSNAP_RATE=1), three snapshots 1 s apart, as
# analyze_victim.sh takes them.
. "$top_srcdir/tests/integration/analyze_common.sh"
tap_need_ptrace
V="$top_builddir/heapsnap-victim"
S="$top_builddir/heapsnap"
[ -x "$V" ] && [ -x "$S" ] || tap_skip_all "heapsnap or heapsnap-victim is not built"
vpid=""
trap '[ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

RATE=1
tap_ok "errpath: three snapshots" snap errpath 3
json "$work/errpath.flat" "$work"/errpath-*.pb.gz
tap_is "errpath: suspect #1" "$(jf "$work/errpath.flat" suspects.0.function)" errpath_read_request
# Lost, nearly all of it: a snapshot may catch the victim inside
# errpath_read_request, its newest block still in a local variable.
share=$(jf "$work/errpath.flat" suspects.0.held_by.0.share)
tap_ok "errpath: held_by is lost, 95 % of it or more ($(jf "$work/errpath.flat" suspects.0.held_by.0.holder) $share)" \
    sh -c '[ "$1" = lost ] && awk -v s="$2" "BEGIN { exit !(s >= 0.95) }"' _ \
    "$(jf "$work/errpath.flat" suspects.0.held_by.0.holder)" "$share"
tap_is "errpath: lost_bytes are the suspect's bytes" \
    "$(jf "$work/errpath.flat" suspects.0.lost_bytes)" "$(jf "$work/errpath.flat" suspects.0.held_by.0.bytes)"
text=$("$AN" "$work"/errpath-*.pb.gz 2>&1)
tap_ok "errpath: the report says a free() is missing" sh -c \
    "printf '%s\n' \"\$1\" | grep -qE 'lost      (9[5-9]|100) %: no pointer to it remains -- a free\\(\\) is missing on some path of errpath_read_request'" _ "$text"
tap_ok "errpath: the fix hint asks for the missing free()" sh -c \
    "printf '%s\n' \"\$1\" | grep -qE '^    hint      (9[5-9]|100) % of what errpath_read_request \\(.*\\) allocates is lost -- no pointer to it remains -- so a free\\(\\) is missing on some path'" _ "$text"

rm -f "$work/errpath.html"
"$AN" --html "$work/errpath.html" "$work"/errpath-*.pb.gz >/dev/null 2>&1
tap_ok "errpath: the HTML report has the held-by row" \
    grep -qE '<tr><th>held by</th><td>lost \(no pointer to it remains: a free\(\) is missing\), (9[5-9]|100) %' \
    "$work/errpath.html"

tap_ok "map: three snapshots" snap map 3
json "$work/map.flat" "$work"/map-*.pb.gz
tap_is "map: suspect #1" "$(jf "$work/map.flat" suspects.0.function)" map_remember_session
holder=$(jf "$work/map.flat" suspects.0.held_by.0.holder)
tap_ok "map: held by a root, not lost ($holder)" sh -c '[ -n "$1" ] && [ "$1" != lost ]' _ "$holder"
tap_is "map: no lost bytes" "$(jf "$work/map.flat" suspects.0.lost_bytes)" 0
text=$("$AN" "$work"/map-*.pb.gz 2>&1)
tap_ok "map: the report names the holder" sh -c \
    "printf '%s\n' \"\$1\" | grep -qF \"    held by   \$2, 100 %\"" _ "$text" "$holder"
tap_ok "map: the fix hint names the container's holder" sh -c \
    "printf '%s\n' \"\$1\" | grep -qF \"stay reachable from \$2 (100 %): remove and free()\"" _ "$text" "$holder"
tap_done
