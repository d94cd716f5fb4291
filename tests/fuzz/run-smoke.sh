#!/bin/sh
# Runs each libFuzzer target for N seconds on a scratch copy of its committed seed
# corpus, FUZZ_JOBS targets at a time (default: one per CPU), then prints each
# target's execution count. Usage: run-smoke.sh SECONDS tests/fuzz/fuzz_NAME...
set -u
secs=$1; shift
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}

# fuzz_one TARGET: one run; its exit status goes to fuzz-NAME.rc.
fuzz_one() {
    name=$(basename "$1"); name=${name#fuzz_}
    work=$(mktemp -d)
    [ -d "$srcdir/tests/fuzz/corpus/$name" ] && cp -r "$srcdir/tests/fuzz/corpus/$name/." "$work/"
    "$1" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$(pwd)/fuzz-$name-" \
        "$work" > /dev/null 2> "fuzz-$name.log"
    echo $? > "fuzz-$name.rc"
    rm -rf "$work"
}

echo "fuzz smoke: $# targets, ${secs}s each, $jobs at a time"
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
        grep -E 'stat::number_of_executed_units|stat::new_units_added' "fuzz-$name.log" |
            sed "s/^/fuzz $name: /"
    fi
done
exit $rc
