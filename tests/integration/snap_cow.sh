#!/bin/sh
# tests/integration/snap_cow.sh: the copy-on-write snapshot (issue 22). A
# fork and a copy of the same quiescent heap give the same profile; the
# program's own SIGCHLD handler, reaping with waitpid(-1), never sees the
# snapshot's child; a small heap copies by default, --no-cow copies, a
# process whose seccomp filter refuses clone is copied instead of failing;
# no child of the process is left after any of them.
. "$top_srcdir/tests/tap.sh"
tap_need_ptrace
. "$top_srcdir/tests/integration/snap_common.sh"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"
command -v "${GO:-go}" >/dev/null 2>&1 || tap_skip_all "go is needed to compare the profiles"
REAPER=$top_builddir/tests/progs/cow_reaper
T=$snap_tmp

# A JSON string value ("" when absent).
jstr() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1; }
# The children of every thread of PID, with their state: "PID:S ...".
children() {
    for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        printf '%s:%s ' "$c" "$(sed 's/.*) //' "/proc/$c/stat" 2>/dev/null | cut -c1)"
    done
}
# The samples of a profile as go tool pprof -raw prints them (values, stack
# ids and labels; no times, no comments).
samples() {
    (cd "$T" && HOME=$T "${GO:-go}" tool pprof -raw "$1" 2>/dev/null) |
        sed -n '/^Samples:/,/^Locations/p'
}

# 1. Both modes, the same quiescent heap (hook at rate 1: every chunk attributed).
HOOKED=1 snap_start_leaker --mb 16 --threads 2
rm -f "$T/fork.pb.gz" "$T/copy.pb.gz"
"$HEAPSNAP" -p "$leaker_pid" --cow --json -o "$T/fork.pb.gz" >"$T/fork.json" 2>"$T/fork.err"
tap_is "the fork snapshot succeeds" "$?" 0
"$HEAPSNAP" -p "$leaker_pid" --no-cow --json -o "$T/copy.pb.gz" >"$T/copy.json" 2>"$T/copy.err"
tap_is "the copy snapshot succeeds" "$?" 0
tap_is "--cow forked" "$(jstr "$T/fork.json" mode)" fork
tap_is "--no-cow copied" "$(jstr "$T/copy.json" mode)" copy
tap_is "and says why" "$(jstr "$T/copy.json" copy_reason)" "--no-cow given"
for k in inuse_bytes inuse_chunks attributed_bytes attributed_chunks samples; do
    tap_is "$k equal in both modes" "$(snap_json "$T/fork.json" $k)" "$(snap_json "$T/copy.json" $k)"
done
samples fork.pb.gz >"$T/fork.raw"
samples copy.pb.gz >"$T/copy.raw"
tap_ok "the profiles have samples" test "$(wc -l <"$T/fork.raw")" -gt 10
tap_ok "the samples are identical (go tool pprof -raw)" cmp -s "$T/fork.raw" "$T/copy.raw"
tap_ok "the fork's profile is valid" snap_valid -heap "$T/fork.pb.gz"
comments=$(cd "$T" && HOME=$T "${GO:-go}" tool pprof -comments fork.pb.gz 2>/dev/null)
tap_ok "its comments name the mode and the fork's parts" \
    sh -c 'printf "%s\n" "$1" | grep -q "mode fork: .* ms; estimates .* walked in .* wrote [0-9]* pages; a second stop of"' _ "$comments"
pages=$(snap_json "$T/fork.json" dirtied_pages)
heap=$(snap_json "$T/fork.json" inuse_bytes)
echo "# fork: pause $(snap_json "$T/fork.json" pause_us) us (fork $(snap_json "$T/fork.json" fork_us)," \
    "reap $(snap_json "$T/fork.json" reap_us)), walk $(snap_json "$T/fork.json" walk_us) us," \
    "dirtied $pages pages; copy: pause $(snap_json "$T/copy.json" pause_us) us"
tap_ok "the quiet process wrote few pages while the child lived ($pages)" \
    test -n "$pages" -a "$pages" -lt $((heap / 4096 / 10))
tap_ok "the process runs on" snap_running "$leaker_pid"
tap_is "no child of it is left" "$(children "$leaker_pid")" ""

# 2. The SIGCHLD handler that reaps with waitpid(-1) and counts its children.
rm -f "$T/reaper"
"$REAPER" "$T/reaper" --children &
reaper=$!
snap_pids="$snap_pids $reaper"
tap_wait_for "$T/reaper" ready || tap_bail "cow_reaper did not start"
forks=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    rm -f "$T/r.json"
    "$HEAPSNAP" -p "$reaper" --cow --json -o "$T/r.pb.gz" >"$T/r.json" 2>/dev/null &&
        [ "$(jstr "$T/r.json" mode)" = fork ] && forks=$((forks + 1))
done
tap_is "10 snapshots of the forking program forked" "$forks" 10
kill -USR2 "$reaper" # stop forking
rm -f "$T/reaper"
kill -USR1 "$reaper"
tap_wait_for "$T/reaper" "stopped 1" || tap_bail "cow_reaper does not answer"
# its last children may still be exiting: ask until every one is reaped
n=0
while :; do
    set -- $(cat "$T/reaper")
    [ "$2" = "$4" ] && break
    n=$((n + 1))
    [ $n -gt 3000 ] && break
    sleep 0.1
    kill -USR1 "$reaper"
done
echo "# cow_reaper: $(cat "$T/reaper")"
set -- $(cat "$T/reaper")
tap_ok "it forked children meanwhile ($2)" test "$2" -gt 0
tap_is "its handler reaped exactly its own children" "$4" "$2"
tap_is "waitpid(-1) never returned a pid it did not fork" "$6" 0
tap_is "every status was its children's" "$8" 0
tap_ok "it runs on" snap_running "$reaper"
tap_is "no child of it is left" "$(children "$reaper")" ""
kill -9 "$reaper"

# 3. A small heap copies by default; a process that may not clone is copied.
rm -f "$T/small"
"$REAPER" "$T/small" --mb 0 &
small=$!
snap_pids="$snap_pids $small"
tap_wait_for "$T/small" ready || tap_bail "cow_reaper --mb 0 did not start"
"$HEAPSNAP" -p "$small" --json -o "$T/s.pb.gz" >"$T/s.json" 2>/dev/null
tap_is "the default snapshot of a heap of a few pages succeeds" "$?" 0
tap_is "and copies" "$(jstr "$T/s.json" mode)" copy
tap_ok "because the copy is cheaper" grep -q '"copy_reason":"the heap ([0-9]* bytes) is small enough' "$T/s.json"
rm -f "$T/nc"
"$REAPER" "$T/nc" --no-clone &
nc=$!
snap_pids="$snap_pids $nc"
tap_wait_for "$T/nc" ready || tap_bail "cow_reaper --no-clone did not start"
"$HEAPSNAP" -p "$nc" --cow --json -o "$T/nc.pb.gz" >"$T/nc.json" 2>"$T/nc.err"
tap_is "a process whose seccomp filter refuses clone is still snapshotted" "$?" 0
tap_is "by a copy" "$(jstr "$T/nc.json" mode)" copy
tap_ok "which names the clone's error" \
    grep -q '"copy_reason":"the process could not fork (Operation not permitted), so the heap was copied"' "$T/nc.json"
tap_ok "the profile is valid" snap_valid -heap "$T/nc.pb.gz"
tap_ok "the process runs on" snap_running "$nc"
tap_is "no child of it is left" "$(children "$nc")" ""
tap_done
