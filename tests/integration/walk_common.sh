# tests/integration/walk_common.sh: shared by the walker's probe tests
# (sourced after tap.sh). Needs root; sets probe, target and a work dir that
# is removed, with the target stopped, on exit.
probe=$top_builddir/tests/progs/walk_probe
target=$top_builddir/tests/progs/varied_heap
[ "$(id -u)" = 0 ] || tap_skip_all "ptrace of a non-child needs root"

work=$(mktemp -d)
pid=""
walk_cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$work"
}
trap walk_cleanup EXIT INT TERM

# start_varied SEED THREADS: runs varied_heap in the background (pid), its
# mallinfo2 line in $work/out, and waits until it is built.
start_varied() {
    "$target" "$1" "$2" >"$work/out" &
    pid=$!
    i=0
    while [ ! -s "$work/out" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
}
