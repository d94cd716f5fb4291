#!/bin/sh
# Runs each libFuzzer target for N seconds on a scratch copy of its committed seed
# corpus, FUZZ_JOBS targets at a time (default: one per CPU), then prints each
# target's execution count, speed and time. With FUZZ_RUNS set (make fuzz-long)
# each target runs that many inputs instead, N seconds being no limit then.
# Any finding (crash, leak, timeout, out of memory) fails the run, its input
# saved as fuzz-NAME-crash-... in the current directory.
# Usage: run-smoke.sh SECONDS tests/fuzz/fuzz_NAME...
set -u
secs=$1; shift
limit="-max_total_time=$secs"
[ -n "${FUZZ_RUNS:-}" ] && limit="-runs=$FUZZ_RUNS"
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}

# fuzz_one TARGET: one run; its exit status goes to fuzz-NAME.rc.
fuzz_one() {
    name=$(basename "$1"); name=${name#fuzz_}
    work=$(mktemp -d)
    [ -d "$srcdir/tests/fuzz/corpus/$name" ] && cp -r "$srcdir/tests/fuzz/corpus/$name/." "$work/"
    t0=$(date +%s)
    "$1" "$limit" -print_final_stats=1 -artifact_prefix="$(pwd)/fuzz-$name-" \
        "$work" > /dev/null 2> "fuzz-$name.log"
    echo $? > "fuzz-$name.rc"
    echo "stat::wall_seconds: $(($(date +%s) - t0))" >> "fuzz-$name.log"
    rm -rf "$work"
}

if [ -n "${FUZZ_RUNS:-}" ]; then
    echo "fuzz: $# targets, $FUZZ_RUNS runs each, $jobs at a time"
else
    echo "fuzz smoke: $# targets, ${secs}s each, $jobs at a time"
fi
running=0
for t in "$@"; do
    fuzz_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

rc=0
for t in "$@"; do
    name=$(basename "$t"); name=${name#fuzz_}
    if [ "$(cat "fuzz-$name.rc" 2>/dev/null)" != 0 ]; then
        echo "fuzz $name: FAILED (see fuzz-$name.log)"; tail -30 "fuzz-$name.log"; rc=1
    else
        grep -E 'stat::(number_of_executed_units|average_exec_per_sec|new_units_added|wall_seconds)' \
            "fuzz-$name.log" |
            sed "s/^/fuzz $name: /"
    fi
done
exit $rc
