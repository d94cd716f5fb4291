#!/bin/sh
# Sums the TAP results of every suite (.trs files written by automake's test
# driver) and prints the closing line "N passed, N failed"; exits 1 when a
# result failed or a suite left none.
passed=0; failed=0; skipped=0
for trs in "$@"; do
    [ -f "$trs" ] || { failed=$((failed + 1)); echo "no result for ${trs%.trs} (it did not run)"; continue; }
    p=$(grep -c '^:test-result: PASS' "$trs")
    f=$(grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' "$trs")
    s=$(grep -c -E '^:test-result: (SKIP|XFAIL)' "$trs")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
[ "$skipped" -gt 0 ] && echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
