#!/bin/sh
# tests/integration/snap_cow_cgroup.sh: a process in a memory cgroup too small
# for a fork's worst case (every private page copied while the child lives)
# is copied, not forked, and the snapshot says why; with the limit lifted it
# forks. The cgroup is made for the test (v1's memory controller or v2) and
# removed after; the test skips where no cgroup can be made.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
tap_need_ptrace
HB=$top_builddir/bench/heapbuild
[ -x "$HB" ] || tap_skip_all "bench/heapbuild is not built"

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cg=/sys/fs/cgroup/hs-cow-test.$$ limit_file=memory.max
    grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
        tap_skip_all "the cgroup v2 root does not delegate the memory controller"
else
    cg=/sys/fs/cgroup/memory/hs-cow-test.$$ limit_file=memory.limit_in_bytes
fi
mkdir "$cg" 2>/dev/null || tap_skip_all "cannot make a memory cgroup here ($cg)"
cleanup_cg() {
    for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do
        echo "$p" >"$(dirname "$cg")/cgroup.procs" 2>/dev/null
    done
    rmdir "$cg" 2>/dev/null
}
trap 'snap_cleanup; cleanup_cg' EXIT

# A 64 MB heap, moved into the cgroup once built (its pages stay charged
# where they were), under a 32 MB limit: less room than its private memory.
rm -f "$snap_tmp/hb.out"
"$HB" -m 64 >"$snap_tmp/hb.out" &
hb=$!
snap_pids="$snap_pids $hb"
tap_wait_for "$snap_tmp/hb.out" '^ready' || tap_bail "heapbuild did not build its heap"
echo $((32 << 20)) >"$cg/$limit_file" && echo "$hb" >"$cg/cgroup.procs" ||
    tap_skip_all "cannot limit the cgroup or move the process into it"

"$HEAPSNAP" -p "$hb" -o "$snap_tmp/small.pb.gz" --json >"$snap_tmp/small.json" 2>"$snap_tmp/small.err"
tap_is "under the limit: the snapshot completes" "$?" 0
tap_ok "it copied instead of forking" grep -q '"mode":"copy"' "$snap_tmp/small.json"
tap_ok "and says the cgroup is why" grep -q '"copy_reason":"cgroup [^"]* bytes left below memory.max' \
    "$snap_tmp/small.json"
grep -o '"copy_reason":"[^"]*"' "$snap_tmp/small.json" | sed 's/^/# /'

# The limit lifted: the same heap forks.
echo -1 >"$cg/$limit_file" 2>/dev/null || echo max >"$cg/$limit_file"
"$HEAPSNAP" -p "$hb" -o "$snap_tmp/big.pb.gz" --json >"$snap_tmp/big.json" 2>"$snap_tmp/big.err"
tap_is "without the limit: the snapshot completes" "$?" 0
tap_ok "it forked" grep -q '"mode":"fork"' "$snap_tmp/big.json"
tap_ok "the process runs on" snap_running "$hb"
tap_done
