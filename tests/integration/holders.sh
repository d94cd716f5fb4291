#!/bin/sh
# tests/integration/holders.sh: who holds each chunk (issue 17). holders_prog
# makes one allocation (or a few) per kind of holder in its own function;
# its snapshot, under the hook at rate 1, must carry the exact held_by label
# on each function's chunks: a list dropped on an error path and an
# unreferenced cycle lost, a hash table under its global, a static global, a
# thread-local buffer, a worker's start argument (in glibc's thread
# descriptor), a batch held only by a blocked worker's local variable,
# a struct known only by an interior pointer, a chunk held by a global and a
# stale slot of main's frame (the global's), a chunk two globals share. The
# comment gives the lost totals, Valgrind's way (direct, indirect), and names
# the globals that share a chunk; a C++ registry holds a std::vector of
# pointers and, through std::unique_ptr members, their buffers; --retained
# writes the ownership paths (g_table -> make_table -> make_entry); the
# profile passes google's validator; --no-holders leaves the label out.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
. "$top_srcdir/tests/integration/holders_common.sh"

HOOKED=1
holders_snap held "$top_builddir/tests/progs/holders_prog"
prog_pid=$run_pid
worker=${run_ready#ready }
out=$snap_tmp/held.pb.gz
tap_ok "google's validator accepts it" snap_valid "$out"

# One line per (allocating function, holder) with its chunk count, summed
# over the samples (make_cycle's two calls are two stacks).
holders_of() {
    holders_pprof -traces -sample_index=inuse_objects "$1" |
        awk '/^-----/ { h = "" }
             /held_by:/ { h = $0; sub(/.*held_by: */, "", h) }
             /^ +[0-9]+ +make_/ { n[$2 " | " h] += $1 }
             END { for (k in n) print k " | " n[k] }' | sort
}
# a global's label carries the line that declares it
decl() {
    echo "$2 ($(basename "$1"):$(grep -n "$3" "$1" | head -n 1 | cut -d: -f1))"
}
src=$top_srcdir/tests/progs/holders_prog.c
g_table=$(decl "$src" "global g_table" '^struct entry \*\*g_table;')
g_cfg=$(decl "$src" "global g_cfg" '^void \*g_cfg;')
s_config=$(decl "$src" "global s_config" 's_config;$')
g_member=$(decl "$src" "global g_member" '^long \*g_member;')
g_pair_a=$(decl "$src" "global g_pair_a" '^void \*g_pair_a, \*g_pair_b;')
g_pair_b=$(decl "$src" "global g_pair_b" '^void \*g_pair_a, \*g_pair_b;')
want=$(sort <<EOF
make_arg | thread $worker start argument (batch_worker) | 1
make_batch | stack $worker batch_worker | 1
make_cfg | $g_cfg | 1
make_config | $s_config | 1
make_cycle | lost | 2
make_entry | $g_table | 8
make_item | stack $worker batch_worker | 4
make_list | lost | 5
make_object | $g_member | 1
make_pair | shared | 1
make_table | $g_table | 1
make_tls | tls t_buf | 1
EOF
)
tap_is "every allocation has the holder it should" "$(holders_of "$out")" "$want"

comments=$(holders_pprof -comments "$out")
lost=$(printf '%s\n' "$comments" | sed -n 's/.*held_by: lost [0-9]* bytes in \([0-9]*\) chunks (direct [0-9]* in \([0-9]*\), indirect [0-9]* in \([0-9]*\)).*/\1 \2 \3/p')
# The list's head is lost directly, its 4 other nodes and the cycle's 2 only
# through lost chunks.
tap_is "the comment counts 7 lost chunks, 1 direct, 6 indirect" "$lost" "7 1 6"

sharers=$(printf '%s\n' "$comments" | sed -n 's/.*retained: shared [0-9]* \[by \([^]]*\)\].*/\1/p' |
    tr ',' '\n' | sed 's/^ *//' | grep '^global g_pair' | sort | tr '\n' ' ')
tap_is "the comment names the globals that share make_pair's chunk" "$sharers" "$g_pair_a $g_pair_b "

tags=$(holders_pprof -tags "$out")
# A library's static TLS: libc's per-thread tcache (glibc allocates it, so no
# stack names it) is held by libc's TLS variable, named from libc6-dbg's DWARF,
# and of that variable's pointee type.
if dpkg -s libc6-dbg >/dev/null 2>&1; then
    tap_ok "libc's tcache is held by tls tcache, a struct tcache_perthread_struct" sh -c \
        "printf '%s\n' \"\$1\" | grep -q ': tls tcache\$' && printf '%s\n' \"\$1\" | grep -q ': struct tcache_perthread_struct\$'" _ "$tags"
else
    tap_skip "libc6-dbg is not installed: libc's TLS variables have no names"
fi
tap_ok "go tool pprof -tags lists held_by with lost and global g_table" sh -c \
    "printf '%s\n' \"\$1\" | grep -q 'held_by' && printf '%s\n' \"\$1\" | grep -q 'global g_table' && printf '%s\n' \"\$1\" | grep -q ' lost'" _ "$tags"
focus=$(holders_pprof -top -sample_index=inuse_objects -tagfocus 'held_by=lost' "$out" | awk '$NF ~ /^make_/ { print $NF ":" $1 }' | sort | tr '\n' ' ')
tap_is "-tagfocus held_by=lost keeps the list and the cycle" "$focus" "make_cycle:2 make_list:5 "

# --retained: each chunk on its ownership path, root group outermost.
retained=$snap_tmp/retained.pb.gz
rm -f "$retained" "$snap_tmp/held2.pb.gz"
tap_ok "heapsnap --retained writes the ownership profile" \
    "$HEAPSNAP" -p "$prog_pid" -o "$snap_tmp/held2.pb.gz" --retained "$retained"
tap_ok "google's validator accepts the ownership profile" snap_valid "$retained"
paths=$(holders_pprof -traces -sample_index=retained_objects "$retained" |
    awk 'function out() { if (p != "") print v " " p; p = "" }
         /^-----/ { out() }
         /^ +[0-9]+ +[^ ]/ { out(); v = $1; $1 = ""; p = substr($0, 2); next }
         /^             +[^ ]/ && p != "" { sub(/^ +/, ""); p = p " < " $0 }
         END { out() }' | grep -E '^[0-9]+ make_(entry|table|item|batch|list|cycle) ' | sort)
want=$(sort <<EOF
1 make_table < $g_table
8 make_entry < make_table < $g_table
1 make_batch < stack $worker batch_worker
4 make_item < make_batch < stack $worker batch_worker
5 make_list < lost
2 make_cycle < lost
EOF
)
tap_is "--retained: the entries under the table under g_table, the items under the batch" "$paths" "$want"

# C++: a std::vector of pointers in a namespace's global, each session owning
# its buffer through a std::unique_ptr member; one session dropped undeleted.
holders_snap cxx "$top_builddir/tests/progs/holders_cxx"
g_registry=$(decl "$top_srcdir/tests/progs/holders_cxx.cc" "global store::g_registry" '^Registry g_registry;')
cxx=$(holders_pprof -traces -sample_index=inuse_objects "$snap_tmp/cxx.pb.gz" |
    awk 'function flush() { if (fn != "") n[fn via " | " h] += v; fn = ""; via = "" }
         /^-----/ { flush(); h = "" }
         /held_by:/ { h = $0; sub(/.*held_by: */, "", h) }
         /^ +[0-9]+ +[^ ]/ { v = $1 }
         /store::drop_session/ { via = " via drop_session" }
         fn == "" { for (i = 1; i <= NF; i++) if ($i ~ /^(store::make_|std::vector::reserve)/) fn = $i }
         END { flush(); for (k in n) print k " | " n[k] }' | sort)
want=$(sort <<EOF
std::vector::reserve | $g_registry | 1
store::make_buffer | $g_registry | 6
store::make_buffer via drop_session | lost | 1
store::make_session | $g_registry | 6
store::make_session via drop_session | lost | 1
EOF
)
tap_is "C++: the vector, the sessions and their unique_ptr buffers are store::g_registry's" "$cxx" "$want"

plain=$snap_tmp/plain.pb.gz
rm -f "$plain"
tap_ok "heapsnap --no-holders writes the profile" "$HEAPSNAP" -p "$prog_pid" --no-holders -o "$plain"
tags=$(holders_pprof -tags "$plain")
tap_ok "--no-holders: no held_by label" sh -c "! printf '%s\n' \"\$1\" | grep -q held_by" _ "$tags"
tap_ok "the process still runs" snap_running "$prog_pid"
tap_done
