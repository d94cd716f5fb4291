#!/bin/sh
# tests/integration/analyze_errors.sh: usage errors exit 2, bad or mismatched
# inputs exit 1 with one sentence naming the cause and the fix.
. "$top_srcdir/tests/integration/analyze_common.sh"

gen entries entries
e0="$work/entries/snap-000.pb.gz"
e1="$work/entries/snap-001.pb.gz"

# run ARGS...: status in $rc, stderr in $work/err
run() {
    rc=0
    "$AN" "$@" > "$work/out" 2> "$work/err" || rc=$?
}

run
tap_is "no profiles: exit 2" "$rc" 2
tap_ok "no profiles: says what to give" grep -q "give at least two profiles" "$work/err"
run "$e0"
tap_is "one profile: exit 2" "$rc" 2
run --base "$e0" "$e1" "$e1"
tap_is "--base with two more profiles: exit 2" "$rc" 2
tap_ok "--base: explains its form" grep -q "heapsnap-analyze --base OLD NEW" "$work/err"
run --no-such-option "$e0" "$e1"
tap_is "unknown option: exit 2" "$rc" 2
run --drop '(' "$e0" "$e1"
tap_is "bad --drop regex: exit 2" "$rc" 2
tap_ok "bad --drop regex: names it" grep -q "bad --drop expression '('" "$work/err"
run --help
tap_is "--help: exit 0" "$rc" 0
tap_ok "--help lists --fail-on-leak" grep -q -- "--fail-on-leak" "$work/out"

run "$e0" "$work/missing.pb.gz"
tap_is "missing file: exit 1" "$rc" 1
tap_ok "missing file: named" grep -q "missing.pb.gz" "$work/err"

mkdir "$work/adir"
run "$e0" "$work/adir"
tap_is "a directory: exit 1" "$rc" 1
tap_ok "a directory: says to name the files inside it" \
    grep -q "adir is a directory, not a file: name the files inside it" "$work/err"

printf 'this is not a profile at all' > "$work/garbage.pb.gz"
run "$e0" "$work/garbage.pb.gz"
tap_is "garbage input: exit 1" "$rc" 1
tap_ok "garbage input: named" grep -q "garbage.pb.gz" "$work/err"
tap_is "garbage input: one line" "$(wc -l < "$work/err")" 1

head -c 100 "$e1" > "$work/truncated.pb.gz"
run "$e0" "$work/truncated.pb.gz"
tap_is "truncated input: exit 1" "$rc" 1
tap_ok "truncated input: named" grep -q "truncated.pb.gz" "$work/err"

gen types mismatch-types
run "$work/types/snap-000.pb.gz" "$work/types/snap-001.pb.gz"
tap_is "different sample types: exit 1" "$rc" 1
tap_is "different sample types: one clear error" "$(cat "$work/err")" \
    "heapsnap-analyze: $work/types/snap-001.pb.gz has sample types (samples/count, cpu/nanoseconds) but $work/types/snap-000.pb.gz has (alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes): analyze profiles of one kind from one program together"

gen period mismatch-period
run "$work/period/snap-000.pb.gz" "$work/period/snap-001.pb.gz"
tap_is "different periods: exit 1" "$rc" 1
tap_is "different periods: one clear error" "$(cat "$work/err")" \
    "heapsnap-analyze: $work/period/snap-001.pb.gz was sampled every 1 bytes but $work/period/snap-000.pb.gz every 524288 bytes: take every snapshot with the same sampling rate (HEAPSNAP_RATE or runtime.MemProfileRate) so their values compare"

run --sample-index no_such_type "$e0" "$e1"
tap_is "unknown --sample-index: exit 1" "$rc" 1
tap_ok "unknown --sample-index: lists the choices" grep -q "choose one of alloc_objects/count" "$work/err"
run --sample-index 3 "$e0" "$e1"
tap_is "--sample-index by number: exit 0" "$rc" 0
run --sample-index alloc_space --json "$e0" "$e1"
tap_ok "--sample-index alloc_space: follows alloc_space" grep -q '"sample_type": "alloc_space"' "$work/out"

mkdir -p "$work/dir.html"
run --html "$work/dir.html" "$e0" "$e1"
tap_is "--html to a directory: exit 1" "$rc" 1
tap_ok "--html to a directory: says so" grep -q "is a directory" "$work/err"
tap_done
