#!/bin/sh
# tests/integration/analyze_accuracy.sh: the fixed-seed subset of the accuracy
# matrix (bench/accuracy, bench/accuracy.md). The analyzer's own classifier on
# series sampled as the hook and Go sample them: false positives at most 1 %
# for every control with three or more snapshots, recall at least 95 % in the
# cells where the noise model says the growth stands clear of the noise, at 3,
# 10 and 30 sampling periods of growth per interval. Deterministic: a failure
# here means a change to the verdict moved a goal.
. "$top_srcdir/tests/tap.sh"
ACC="$top_builddir/bench/accuracy"
[ -x "$ACC" ] || tap_bail "bench/accuracy is not built"
work=$(mktemp -d "${TMPDIR:-/tmp}/an-acc.XXXXXX")
trap 'rm -rf "$work"' EXIT

for m in 3 10 30; do
    rc=0
    "$ACC" -t 2000 -s 7 -m "$m" --check > "$work/m$m" 2>&1 || rc=$?
    tap_is "accuracy at $m periods per interval: every asserted cell meets its goal" "$rc" 0
    [ "$rc" -eq 0 ] || grep '!!' "$work/m$m" | sed 's/^/# /'
done
# The table's shape: 16 shapes, 12 cells each (3 rates x 2, 3, 5, 10 snapshots).
tap_is "16 shapes in the matrix" "$(grep -c '^| [a-z].* | \(recall\|false pos.\) |' "$work/m3")" 16
tap_is "12 cells per shape" "$(grep '^| linear entries ' "$work/m3" | tr -cd '|' | wc -c)" 15
# Exact profiles are exact: every leak found from three snapshots, no false positive.
tap_is "rate 1, 3 snapshots: linear entries all found" \
    "$(grep '^| linear entries ' "$work/m3" | cut -d'|' -f5 | tr -d ' ')" "100.0"
tap_is "rate 1, 3 snapshots: steady churn never a leak" \
    "$(grep '^| steady churn ' "$work/m3" | cut -d'|' -f5 | tr -d ' ')" "0.0"
# Bad input is a usage error.
"$ACC" -t 0 > /dev/null 2>&1
tap_is "-t 0 is a usage error" "$?" 2
"$ACC" --bogus > /dev/null 2>&1
tap_is "an unknown option is a usage error" "$?" 2
tap_done
