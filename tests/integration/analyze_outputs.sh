#!/bin/sh
# tests/integration/analyze_outputs.sh: the output files: --html is one
# self-contained page with the chart, --svg the chart alone, -o the report;
# every file is written whole (no temporary files left behind).
. "$top_srcdir/tests/integration/analyze_common.sh"
fx="$top_srcdir/tests/gofixtures"
out="$work/out"
mkdir -p "$out"

rc=0
"$AN" --html "$out/r.html" --svg "$out/c.svg" -o "$out/r.txt" "$fx"/heap-*.pb.gz > "$work/stdout" || rc=$?
tap_is "exit 0" "$rc" 0
tap_is "-o: nothing on stdout" "$(wc -c < "$work/stdout")" 0
tap_ok "-o: the text report" grep -q '^#1  main.addSessions  accumulating-entries$' "$out/r.txt"
tap_is "only the three outputs, no temporary files" "$(ls -A "$out" | tr '\n' ' ')" "c.svg r.html r.txt "

tap_ok "html: a complete document" sh -c "head -1 '$out/r.html' | grep -q '^<!DOCTYPE html>' && tail -1 '$out/r.html' | grep -q '^</html>'"
tap_is "html: one inline chart" "$(grep -c '<svg ' "$out/r.html")" 1
tap_is "html: nothing fetched (no src= or href=)" "$(grep -c -E '(src|href)=' "$out/r.html")" 0
tap_is "html: no script" "$(grep -c '<script' "$out/r.html")" 0
tap_ok "html: names both suspects" sh -c "grep -q 'main.addSessions' '$out/r.html' && grep -q 'main.growBuffer' '$out/r.html'"
tap_ok "html: shows the hint" grep -q 'delete(m, k)' "$out/r.html"
# the chart: one line for the total and one per suspect (two)
tap_is "svg: three polylines (total + 2 suspects)" "$(grep -c '<polyline' "$out/c.svg")" 3
tap_ok "svg: standalone XML" sh -c "head -1 '$out/c.svg' | grep -q '^<?xml' && tail -1 '$out/c.svg' | grep -q '^</svg>'"
tap_ok "svg: legend names #1" grep -q '>#1 main.addSessions<' "$out/c.svg"
# 12 points per line: each polyline's points attribute holds 12 pairs
tap_is "svg: 12 points on the total line" \
    "$(grep '<polyline' "$out/c.svg" | head -1 | sed 's/.*points="//; s/".*//' | tr ' ' '\n' | grep -c ,)" 12

# No suspect: the page says so, the chart draws the total alone.
gen plateau plateau
"$AN" --html "$out/p.html" --svg "$out/p.svg" "$work"/plateau/*.pb.gz > /dev/null
tap_ok "html without suspects: says so" grep -q 'No suspects' "$out/p.html"
tap_is "svg without suspects: one polyline" "$(grep -c '<polyline' "$out/p.svg")" 1

# A failed write leaves the old file alone.
echo old > "$out/keep.json"
chmod 0555 "$out"
rc=0
"$AN" --json -o "$out/keep.json" "$fx"/heap-*.pb.gz 2> "$work/err" || rc=$?
chmod 0755 "$out"
if [ "$(id -u)" = 0 ]; then
    tap_ok "write into a read-only dir (root may write): report complete" grep -q '"suspects"' "$out/keep.json"
else
    tap_is "read-only dir: exit 1, old file kept" "$rc $(cat "$out/keep.json")" "1 old"
fi
tap_done
