#!/bin/sh
# tests/integration/stats_mallinfo.sh: `heapsnap -p PID --stats --json` against
# the target's own mallinfo2(), every field, for several seeds, 0/3/8 threads,
# with libc's debug file (DWARF) and without it (built-in table); the target
# must keep running (not stopped) afterwards.
. "$top_srcdir/tests/tap.sh"

heapsnap=$top_builddir/heapsnap
target=$top_builddir/tests/progs/varied_heap
[ -x "$heapsnap" ] || tap_skip_all "heapsnap is not built"
tap_need_ptrace

work=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir "$work/nodebug"

fields="arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"

# "k=v k=v ..." of the mallinfo2 fields in a JSON object's text
norm() {
    out=""
    for f in $fields; do
        v=$(printf '%s\n' "$1" | tr ',{}' '\n\n\n' | sed -n "s/^\"$f\":\([0-9]*\)\$/\1/p" | head -1)
        out="$out $f=$v"
    done
    echo "$out"
}

# waits (bounded) for the target's first output line
first_line() {
    i=0
    while [ ! -s "$1" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done
    head -1 "$1"
}

# 8 threads (9 arenas) for two seeds keeps the test under a minute
for run in 1:0 1:3 1:8 2:0 2:3 2:8 3:0 3:3; do
    seed=${run%:*}
    n=${run#*:}
    {
        "$target" "$seed" "$n" >"$work/out.$seed.$n" &
        pid=$!
        pids="$pids $pid"
        want=$(norm "$(first_line "$work/out.$seed.$n")")
        for mode in dwarf builtin; do
            if [ $mode = builtin ]; then dir=$work/nodebug; else dir=/usr/lib/debug; fi
            json=$(HEAPSNAP_DEBUG_DIR=$dir "$heapsnap" -p "$pid" --stats --json 2>"$work/err")
            tap_is "seed $seed, $n threads, $mode: exit status" "$?" 0
            total=$(printf '%s\n' "$json" | sed -n 's/.*"total":{\([^}]*\)}.*/\1/p')
            tap_is "seed $seed, $n threads, $mode: mallinfo2 fields" "$(norm "{$total}")" "$want"
            case $mode in
            dwarf) pat='"layout_source":"DWARF of ' ;;
            builtin) pat='"layout_source":"built-in table for ' ;;
            esac
            tap_ok "seed $seed, $n threads, $mode: layout source named" \
                sh -c 'printf "%s" "$1" | grep -q "$2"' - "$json" "$pat"
            tap_ok "seed $seed, $n threads, $mode: no diagnostics" \
                sh -c 'printf "%s" "$1" | grep -q "\"diagnostics\":\[\]"' - "$json"
            tap_is "seed $seed, $n threads, $mode: arenas" \
                "$(printf '%s' "$json" | grep -o '"index":' | wc -l)" "$((n > 8 ? 9 : n + 1))"
        done
        state=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
        tap_ok "seed $seed, $n threads: target still running, not stopped (state $state)" \
            sh -c '[ "$1" = S ] || [ "$1" = R ]' - "$state"
        kill "$pid"
        wait "$pid" 2>/dev/null
    }
done
tap_done
