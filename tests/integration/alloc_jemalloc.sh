#!/bin/sh
# tests/integration/alloc_jemalloc.sh: heapsnap on a program whose malloc is
# jemalloc's (tests/progs/alloc_jemalloc, linked with -ljemalloc). glibc's
# arenas hold none of its blocks: heapsnap must say so in one sentence, build
# the profile from the hook's live table (exact at HEAPSNAP_RATE=1, scaled
# like Go when sampling) and still name the leak; --stats gives a sentence
# instead of a census of nothing.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"
JEM=$top_builddir/tests/progs/alloc_jemalloc
[ -x "$JEM" ] || tap_skip_all "tests/progs/alloc_jemalloc is not built (libjemalloc-dev missing)"
AN=$top_builddir/heapsnap-analyze

# jem_start [RATE] [alloc_jemalloc options]: sets jem_pid, jem_status; waits for "ready 0".
jem_start() {
    rate=$1; shift
    # A fresh file per start ($RANDOM is empty in dash): a stale "ready 0"
    # let jem_step signal a program that had no SIGUSR1 handler yet.
    jem_n=$((${jem_n:-0} + 1))
    jem_status=$snap_tmp/jem.$jem_n
    rm -f "$jem_status"
    if [ "$rate" = none ]; then
        "$JEM" "$jem_status" "$@" &
    elif [ "$rate" = default ]; then
        LD_PRELOAD=$HOOK "$JEM" "$jem_status" "$@" &
    else
        LD_PRELOAD=$HOOK HEAPSNAP_RATE=$rate "$JEM" "$jem_status" "$@" &
    fi
    jem_pid=$!
    snap_pids="$snap_pids $jem_pid"
    snap_wait_file "$jem_status" "ready 0" || tap_bail "alloc_jemalloc did not start"
}
jem_step() {
    want=$(($(sed 's/ready //' "$jem_status") + 1))
    kill -USR1 "$jem_pid"
    snap_wait_file "$jem_status" "ready $want"
}
json_str() {
    sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1
}
# The flat value of FUNCTION in `go tool pprof -top` of a profile (offline).
top_flat() {
    (cd "$snap_tmp" && HOME=$snap_tmp GO111MODULE=off PPROF_BINARY_PATH=$snap_tmp/none \
        "$GO" tool pprof -top -unit=B -sample_index="$2" "$1" 2>/dev/null) |
        awk -v f="$3" '$6 == f {sub(/B$/, "", $1); print $1}'
}

# --- HEAPSNAP_RATE=1: every allocation recorded, so the profile is exact.
jem_start 1 --leak 1000 --size 1000
"$HEAPSNAP" -p "$jem_pid" -o "$snap_tmp/a.pb.gz" --json >"$snap_tmp/a.json" 2>"$snap_tmp/a.err"
tap_is "first snapshot exits 0" "$?" 0
jem_step || tap_bail "alloc_jemalloc did not leak (status: $(cat "$jem_status"), pid $jem_pid alive: $(kill -0 "$jem_pid" 2>&1 && echo yes))"
jem_step || tap_bail "alloc_jemalloc did not leak (status: $(cat "$jem_status"), pid $jem_pid alive: $(kill -0 "$jem_pid" 2>&1 && echo yes))"
"$HEAPSNAP" -p "$jem_pid" -o "$snap_tmp/b.pb.gz" --json >"$snap_tmp/b.json" 2>"$snap_tmp/b.err"
tap_is "second snapshot exits 0" "$?" 0
tap_ok "process runs on" snap_running "$jem_pid"
tap_is "the allocator is named in --json" "$(json_str "$snap_tmp/b.json" allocator)" \
    "libjemalloc.so.2"
tap_is "the profile's source is the hook's live table" "$(json_str "$snap_tmp/b.json" source)" \
    "live_table"
tap_is "one sentence on stderr says so" "$(cat "$snap_tmp/b.err")" \
    "heapsnap: process $jem_pid allocates with libjemalloc.so.2, not glibc's malloc, so the profile comes from libheapsnap.so's 2000 live samples, scaled like Go, instead of a walk of the heap."
tap_ok "both pass google's validator as heap profiles" \
    snap_valid -heap "$snap_tmp/a.pb.gz" "$snap_tmp/b.pb.gz"
# 2 steps x 1000 entries of 8 + 1000 requested bytes; the churn frees all it allocates.
tap_is "2000 leaked objects at jem_leak_entry" \
    "$(top_flat b.pb.gz inuse_objects jem_leak_entry)" 2000
tap_is "2016000 leaked bytes at jem_leak_entry" \
    "$(top_flat b.pb.gz inuse_space jem_leak_entry)" 2016000
tap_is "inuse_space of the profile is the live table's bytes" \
    "$("$PPROFCHECK" -sum inuse_space "$snap_tmp/b.pb.gz")" 2016000
tap_is "--json inuse_bytes agrees" "$(snap_json "$snap_tmp/b.json" inuse_bytes)" 2016000
tap_is "the churn holds nothing" "$(top_flat b.pb.gz inuse_space jem_churn)" ""
tap_is "the churn's allocations are counted (3 rounds of 1000)" \
    "$(top_flat b.pb.gz alloc_objects jem_churn)" 3000
ncomments=$(cd "$snap_tmp" && HOME=$snap_tmp "$GO" tool pprof -comments b.pb.gz 2>/dev/null | wc -l)
tap_is "three comment lines" "$ncomments" 3

# --stats: a sentence, not a table of zeros.
"$HEAPSNAP" -p "$jem_pid" --stats >"$snap_tmp/stats.txt" 2>&1
tap_is "--stats exits 0" "$?" 0
tap_is "--stats says why there is no census" "$(cat "$snap_tmp/stats.txt")" \
    "process $jem_pid allocates with libjemalloc.so.2, not glibc's malloc: glibc's arenas hold no chunk, so there is no census of its heap here; use libjemalloc.so.2's own statistics, or preload libheapsnap.so and take a profile with heapsnap -p $jem_pid."
"$HEAPSNAP" -p "$jem_pid" --stats --json >"$snap_tmp/stats.json"
tap_is "--stats --json names the allocator" "$(json_str "$snap_tmp/stats.json" allocator)" \
    "libjemalloc.so.2"
kill "$jem_pid"

# --- Without the hook: nothing to attribute, and a sentence that says what to do.
jem_start none
"$HEAPSNAP" -p "$jem_pid" -o "$snap_tmp/c.pb.gz" 2>"$snap_tmp/c.err"
tap_is "snapshot without the hook exits 0" "$?" 0
tap_is "without the hook: one sentence names the allocator and the fix" \
    "$(grep 'allocates with' "$snap_tmp/c.err")" \
    "heapsnap: process $jem_pid allocates with libjemalloc.so.2, not glibc's malloc, so its heap cannot be walked and the profile is nearly empty; start it with LD_PRELOAD=libheapsnap.so to profile it from the hook's samples."
kill "$jem_pid"

# --- Sampling (rate 65536, scaled like Go): 20000 entries of 1008 bytes per
# step are some 300 samples, so the steps differ by about 6% (1/sqrt(300)),
# well inside what a steady trend allows; five snapshots, one per step, 0.5 s
# apart. The analyzer names the leak, not the churn.
jem_start 65536 --leak 20000 --size 1000
for k in 1 2 3 4 5; do
    jem_step || {
        alive=$(kill -0 "$jem_pid" 2>/dev/null && echo yes || { wait "$jem_pid"; echo "no, exit status $?"; })
        tap_bail "alloc_jemalloc did not leak (status: $(cat "$jem_status"), pid $jem_pid alive: $alive; $(dmesg 2>/dev/null | grep "alloc_jemalloc\[$jem_pid\]" | tail -1))"
    }
    "$HEAPSNAP" -p "$jem_pid" -o "$snap_tmp/d-$k.pb.gz" 2>/dev/null ||
        tap_bail "snapshot $k when sampling failed"
    sleep 0.5
done
"$AN" "$snap_tmp"/d-*.pb.gz >"$snap_tmp/an.txt" 2>&1
sed 's/^/# /' "$snap_tmp/an.txt" | head -n 12
tap_is "sampling: suspect #1 is jem_leak_entry" \
    "$(sed -n 's/^#1  *\([^ ]*\).*/\1/p' "$snap_tmp/an.txt")" jem_leak_entry
tap_is "sampling: the churn is not a suspect" \
    "$(grep -c '^#[0-9].*jem_churn' "$snap_tmp/an.txt")" 0
tap_done
