#!/bin/sh
# Runs each libFuzzer target for N seconds on a scratch copy of its committed seed
# corpus. Usage: run-smoke.sh SECONDS tests/fuzz/fuzz_NAME...
set -u
secs=$1; shift
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
rc=0
for t in "$@"; do
    name=$(basename "$t"); name=${name#fuzz_}
    work=$(mktemp -d)
    [ -d "$srcdir/tests/fuzz/corpus/$name" ] && cp -r "$srcdir/tests/fuzz/corpus/$name/." "$work/"
    echo "fuzz $name: ${secs}s"
    if ! "$t" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$(pwd)/fuzz-$name-" "$work" 2>"fuzz-$name.log"; then
        echo "fuzz $name: FAILED (see fuzz-$name.log)"; tail -30 "fuzz-$name.log"; rc=1
    else
        grep -E 'stat::number_of_executed_units|stat::new_units_added' "fuzz-$name.log" | sed "s/^/fuzz $name: /"
    fi
    rm -rf "$work"
done
exit $rc
