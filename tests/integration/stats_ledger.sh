#!/bin/sh
# tests/integration/stats_ledger.sh: the RSS ledger of `heapsnap --stats
# --json` on programs with a known ledger (tests/progs/ledger_prog.c): the
# parts add up to the total exactly, the total equals smaps_rollup's Rss read
# in the same stop and, the program being blocked, the Rss this script reads
# afterwards; each scenario's own part is where it should be; and
# reclaimable_bytes is within 15 % of what a real malloc_trim(0) inside the
# program gave back. Then the same with the hook preloaded (its tables get a
# part) and on heapsnap-victim's fragment scenario while it runs.
. "$top_srcdir/tests/tap.sh"

heapsnap=$top_builddir/heapsnap
prog=$top_builddir/tests/progs/ledger_prog
[ -x "$heapsnap" ] && [ -x "$prog" ] || tap_skip_all "heapsnap or ledger_prog is not built"
tap_need_ptrace

work=$(mktemp -d)
pid=""
holder=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$holder" ] && kill "$holder" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# num JSON KEY: the first "KEY":N in JSON
num() { printf '%s\n' "$1" | tr ',{}' '\n\n\n' | sed -n "s/^\"$2\":\([0-9]*\)\$/\1/p" | head -1; }
# the top-level rss object's text, up to its advice
rss_of() { printf '%s\n' "$1" | sed -n '/"rss":{/{s/.*"fragmentation":[0-9.]*,"rss":{//; s/"advice".*//; p; }'; }
# the sum of its parts
parts_sum() {
    printf '%s\n' "$1" | sed -n 's/.*"parts":{\([^}]*\)}.*/\1/p' | tr ',' '\n' |
        sed 's/.*://' | awk '{ s += $1 } END { printf "%d\n", s }'
}
# waits (bounded, on the condition) until FILE has a line matching PATTERN
wait_line() {
    w=0
    until grep -q "$2" "$1" 2>/dev/null || [ $w -ge 300 ]; do sleep 0.1; w=$((w + 1)); done
    grep "$2" "$1" | tail -1
}
rollup() { sed -n 's/^Rss: *\([0-9]*\) kB/\1/p' "/proc/$1/smaps_rollup"; }

# start SCENARIO [env...]: ledger_prog with its stdin on a fifo this script holds
start() {
    sc=$1
    shift
    rm -f "$work/in" "$work/out"
    mkfifo "$work/in"
    env "$@" "$prog" "$sc" < "$work/in" > "$work/out" 2>&1 &
    pid=$!
    exec 3> "$work/in"
    wait_line "$work/out" '^ready' > /dev/null
}
stop() {
    exec 3>&-
    kill "$pid" 2>/dev/null # it ends at EOF; this only guards against a hang
    wait "$pid" 2>/dev/null
    pid=""
}

# check NAME: the sums, the external Rss, and the trim (sets rss to the rss text)
check() {
    json=$("$heapsnap" -p "$pid" --stats --json 2> "$work/err")
    tap_is "$1: exit status" "$?" 0
    ext=$(($(rollup "$pid") * 1024))
    rss=$(rss_of "$json")
    total=$(num "$rss" total_bytes)
    tap_is "$1: the parts add up to the total" "$(parts_sum "$rss")" "$total"
    tap_is "$1: the total is smaps_rollup's Rss in the same stop" "$(num "$rss" smaps_rollup_bytes)" "$total"
    tap_is "$1: and the Rss read after the stop" "$ext" "$total"
    pred=$(num "$rss" reclaimable_bytes)
    echo trim >&3
    line=$(wait_line "$work/out" '^trim ')
    before=$(echo "$line" | sed -n 's/.*before=\([0-9]*\).*/\1/p')
    after=$(echo "$line" | sed -n 's/.*after=\([0-9]*\).*/\1/p')
    got=$((before - after))
    diff=$((pred > got ? pred - got : got - pred))
    tap_ok "$1: malloc_trim(0) gave back $got bytes, predicted $pred (within 15 %)" \
        test $((diff * 100)) -le $((got * 15))
    echo "# $1: total $total, reclaimable $pred, trimmed $got"
}

# thinned: 9 in 10 blocks of 16 KiB freed, most of RSS free in the bins
start thinned
check thinned
free=$(($(num "$rss" free_unsorted) + $(num "$rss" free_smallbin) + $(num "$rss" free_largebin)))
tap_ok "thinned: 50 MiB or more free and resident ($free)" test "$free" -ge $((50 << 20))
tap_ok "thinned: the 409 kept blocks in use ($(num "$rss" in_use))" test "$(num "$rss" in_use)" -ge $((409 * 16400))
stop

# threads: 8 threads, 9 arenas, each thread arena holding resident memory
start threads
json=$("$heapsnap" -p "$pid" --stats --json 2> "$work/err")
arenas=$(printf '%s\n' "$json" | grep -o '"rss":{"total_bytes":[0-9]*,"parts"' | sed 's/[^0-9]//g')
tap_is "threads: 9 arenas with a ledger each" "$(echo "$arenas" | wc -l)" 9
small=$(echo "$arenas" | sed -n '2,$p' | awk '$1 < 4194304' | wc -l)
tap_is "threads: every thread arena holds 4 MiB or more" "$small" 0
check threads
stop

# exited: the same threads ended; their 8 arenas keep the free memory
start exited
json=$("$heapsnap" -p "$pid" --stats --json 2> "$work/err")
printf '%s\n' "$json" >"$work/exited.json"
if grep -q '"kind":"arena_max","bytes":[0-9]*,"text":"9 arenas for 1 thread on [0-9]* CPUs*, 8 of them used by no live thread: ' "$work/exited.json"; then
    tap_ok "exited: MALLOC_ARENA_MAX advised, the 8 arenas used by no live thread" true
else
    tap_ok "exited: MALLOC_ARENA_MAX advised, the 8 arenas used by no live thread" false
    grep -o '"advice":.*' "$work/exited.json" | sed 's/^/# /'
fi
check exited
stop

# top: 32 MiB freed into top, kept by a 1 GiB trim threshold; sbrk returns it
start top
check top
tap_ok "top: 32 MiB or more in top ($(num "$rss" top))" test "$(num "$rss" top)" -ge $((32 << 20))
stop

# threadtop: the same 32 MiB in a thread arena's top, which malloc_trim leaves
start threadtop
check threadtop
tap_ok "threadtop: 32 MiB or more in top ($(num "$rss" top))" test "$(num "$rss" top)" -ge $((32 << 20))
tap_ok "threadtop: malloc_trim gives back less than 1 MiB ($(num "$rss" reclaimable_bytes))" \
    test "$(num "$rss" reclaimable_bytes)" -lt $((1 << 20))
stop

# mmapped: 16 chunks of 1 MiB, 129 pages of each touched
start mmapped
check mmapped
tap_is "mmapped: exactly the touched pages" "$(num "$rss" mmapped)" $((16 * 129 * 4096))
stop

# stacks: 4 threads with 16 MiB stacks, 4 MiB of each touched
start stacks
check stacks
tap_ok "stacks: 16 MiB or more of thread stacks ($(num "$rss" thread_stacks))" \
    test "$(num "$rss" thread_stacks)" -ge $((16 << 20))
stop

# with the hook preloaded: its tables are a part of their own
hook=$top_builddir/.libs/libheapsnap.so
if [ -f "$hook" ]; then
    start thinned LD_PRELOAD="$hook" HEAPSNAP_RATE=1
    check "thinned with the hook"
    tap_ok "thinned with the hook: the tables are resident ($(num "$rss" hook_tables))" \
        test "$(num "$rss" hook_tables)" -gt 0
    stop
else
    tap_skip "libheapsnap.so is not built"
fi

# the victim's fragment scenario, running: the sums within one stop
victim=$top_builddir/heapsnap-victim
if [ -x "$victim" ]; then
    # --rate 200: the burst and the churn of the scenario, slow enough that
    # --stats (which waits for a quiet heap, with no budget) finds one on a
    # loaded machine too
    "$victim" --scenario fragment --rate 200 --duration 120s --max-mb 256 > "$work/victim.out" 2>&1 &
    pid=$!
    wait_line "$work/victim.out" 'pid [0-9]' > /dev/null
    json=$("$heapsnap" -p "$pid" --stats --json 2> "$work/err")
    rc=$?
    tap_is "fragment: exit status" "$rc" 0
    [ "$rc" = 0 ] || sed 's/^/# heapsnap said: /' "$work/err"
    rss=$(rss_of "$json")
    tap_is "fragment: the parts add up to the total" "$(parts_sum "$rss")" "$(num "$rss" total_bytes)"
    tap_is "fragment: the total is smaps_rollup's Rss in the same stop" \
        "$(num "$rss" smaps_rollup_bytes)" "$(num "$rss" total_bytes)"
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
else
    tap_skip "heapsnap-victim is not built"
fi
tap_done
