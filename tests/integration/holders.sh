#!/bin/sh
# tests/integration/holders.sh: who holds each chunk (issue 17). holders_prog
# makes one allocation (or a few) per kind of holder in its own function;
# its snapshot, under the hook at rate 1, must carry the exact held_by label
# on each function's chunks: a list dropped on an error path and an
# unreferenced cycle lost, a hash table under its global, a static global, a
# thread-local buffer, a batch held only by a blocked worker's local variable,
# a struct known only by an interior pointer, a chunk held by a global and a
# stale slot of main's frame (the global's), a chunk two globals share. The
# comment gives the lost totals, Valgrind's way (direct, indirect), and names
# the globals that share a chunk; a C++ registry holds a std::vector of
# pointers and, through std::unique_ptr members, their buffers; the
# profile passes google's validator; --no-holders leaves the label out.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
tap_need_ptrace
command -v "${GO:-go}" >/dev/null 2>&1 || tap_skip_all "go is needed (install golang-go)"
GO=${GO:-go}
PROG=$top_builddir/tests/progs/holders_prog

status=$snap_tmp/holders.status
rm -f "$status"
LD_PRELOAD=$HOOK HEAPSNAP_RATE=1 "$PROG" "$status" &
prog_pid=$!
snap_pids="$snap_pids $prog_pid"
tap_wait_for "$status" "^ready [0-9]" || tap_bail "holders_prog did not get ready within 5 minutes"
worker=$(sed -n 's/^ready //p' "$status")

out=$snap_tmp/held.pb.gz
rm -f "$out"
tap_ok "heapsnap writes the profile" "$HEAPSNAP" -p "$prog_pid" -o "$out"
tap_ok "google's validator accepts it" snap_valid "$out"

# One line per (allocating function, holder) with its chunk count, summed
# over the samples (make_cycle's two calls are two stacks).
holders_of() {
    (cd "$snap_tmp" && HOME=$snap_tmp GO111MODULE=off "$GO" tool pprof -traces \
        -sample_index=inuse_objects "$1" 2>/dev/null) |
        awk '/^-----/ { h = "" }
             /held_by:/ { h = $0; sub(/.*held_by: */, "", h) }
             /^ +[0-9]+ +make_/ { n[$2 " | " h] += $1 }
             END { for (k in n) print k " | " n[k] }' | sort
}
want=$(sort <<EOF
make_batch | stack $worker batch_worker | 1
make_cfg | global g_cfg | 1
make_config | global s_config | 1
make_cycle | lost | 2
make_entry | global g_table | 8
make_item | stack $worker batch_worker | 4
make_list | lost | 5
make_object | global g_member | 1
make_pair | shared | 1
make_table | global g_table | 1
make_tls | tls t_buf | 1
EOF
)
tap_is "every allocation has the holder it should" "$(holders_of "$out")" "$want"

comments=$(cd "$snap_tmp" && HOME=$snap_tmp "$GO" tool pprof -comments "$out" 2>/dev/null)
lost=$(printf '%s\n' "$comments" | sed -n 's/.*held_by: lost [0-9]* bytes in \([0-9]*\) chunks (direct [0-9]* in \([0-9]*\), indirect [0-9]* in \([0-9]*\)).*/\1 \2 \3/p')
# The list's head is lost directly, its 4 other nodes and the cycle's 2 only
# through lost chunks.
tap_is "the comment counts 7 lost chunks, 1 direct, 6 indirect" "$lost" "7 1 6"

sharers=$(printf '%s\n' "$comments" | sed -n 's/.*retained: shared [0-9]* (by \([^)]*\)).*/\1/p' |
    tr ',' '\n' | sed 's/^ *//' | grep '^global g_pair' | sort | tr '\n' ' ')
tap_is "the comment names the globals that share make_pair's chunk" "$sharers" "global g_pair_a global g_pair_b "

tags=$(cd "$snap_tmp" && HOME=$snap_tmp GO111MODULE=off "$GO" tool pprof -tags "$out" 2>/dev/null)
tap_ok "go tool pprof -tags lists held_by with lost and global g_table" sh -c \
    "printf '%s\n' \"\$1\" | grep -q 'held_by' && printf '%s\n' \"\$1\" | grep -q 'global g_table' && printf '%s\n' \"\$1\" | grep -q ' lost'" _ "$tags"
focus=$(cd "$snap_tmp" && HOME=$snap_tmp GO111MODULE=off "$GO" tool pprof -top -sample_index=inuse_objects \
    -tagfocus 'held_by=lost' "$out" 2>/dev/null | awk '$NF ~ /^make_/ { print $NF ":" $1 }' | sort | tr '\n' ' ')
tap_is "-tagfocus held_by=lost keeps the list and the cycle" "$focus" "make_cycle:2 make_list:5 "

# C++: a std::vector of pointers in a namespace's global, each session owning
# its buffer through a std::unique_ptr member; one session dropped undeleted.
cstatus=$snap_tmp/cxx.status
rm -f "$cstatus"
LD_PRELOAD=$HOOK HEAPSNAP_RATE=1 "$top_builddir/tests/progs/holders_cxx" "$cstatus" &
cxx_pid=$!
snap_pids="$snap_pids $cxx_pid"
tap_wait_for "$cstatus" "^ready" || tap_bail "holders_cxx did not get ready within 5 minutes"
cout=$snap_tmp/cxx.pb.gz
rm -f "$cout"
tap_ok "heapsnap writes the C++ program's profile" "$HEAPSNAP" -p "$cxx_pid" -o "$cout"
cxx=$( (cd "$snap_tmp" && HOME=$snap_tmp GO111MODULE=off "$GO" tool pprof -traces \
    -sample_index=inuse_objects "$cout" 2>/dev/null) |
    awk 'function flush() { if (fn != "") n[fn via " | " h] += v; fn = ""; via = "" }
         /^-----/ { flush(); h = "" }
         /held_by:/ { h = $0; sub(/.*held_by: */, "", h) }
         /^ +[0-9]+ +[^ ]/ { v = $1 }
         /store::drop_session/ { via = " via drop_session" }
         fn == "" { for (i = 1; i <= NF; i++) if ($i ~ /^(store::make_|std::vector::reserve)/) fn = $i }
         END { flush(); for (k in n) print k " | " n[k] }' | sort)
want=$(sort <<EOF
std::vector::reserve | global store::g_registry | 1
store::make_buffer | global store::g_registry | 6
store::make_buffer via drop_session | lost | 1
store::make_session | global store::g_registry | 6
store::make_session via drop_session | lost | 1
EOF
)
tap_is "C++: the vector, the sessions and their unique_ptr buffers are store::g_registry's" "$cxx" "$want"

plain=$snap_tmp/plain.pb.gz
rm -f "$plain"
tap_ok "heapsnap --no-holders writes the profile" "$HEAPSNAP" -p "$prog_pid" --no-holders -o "$plain"
tags=$(cd "$snap_tmp" && HOME=$snap_tmp GO111MODULE=off "$GO" tool pprof -tags "$plain" 2>/dev/null)
tap_ok "--no-holders: no held_by label" sh -c "! printf '%s\n' \"\$1\" | grep -q held_by" _ "$tags"
tap_ok "the process still runs" snap_running "$prog_pid"
tap_done
