#!/bin/sh
# tests/integration/analyze_synthetic.sh: heapsnap-analyze on synthetic series
# with exactly known growth (tests/progs/gen_series, every value exact): the two
# leaks are found with hand-computed figures, every control gives no suspect.
. "$top_srcdir/tests/integration/analyze_common.sh"

# Leaks and controls side by side, 10 snapshots 10 s apart.
gen mixed mixed
json "$work/m" "$work"/mixed/*.pb.gz
tap_is "mixed: exit 0" "$rc" 0
tap_is "mixed: two suspects" "$(jf "$work/m" suspects.length)" 2
tap_is "mixed: #1 is the doubling buffer" "$(jf "$work/m" suspects.0.function)" grow_buffer
tap_is "mixed: #1 growing-buffer" "$(jf "$work/m" suspects.0.pattern)" growing-buffer
tap_is "mixed: #1 file:line" "$(jf "$work/m" suspects.0.file):$(jf "$work/m" suspects.0.line)" src/buffer.c:42
# capacities 1,2,4,4,8,8,8,8,16,16 MiB at 0..90 s: slope = 1325/8250 MiB/s
tap_is "mixed: #1 bytes_per_s" "$(jf "$work/m" suspects.0.bytes_per_s)" 168407.6606
tap_is "mixed: #1 r2" "$(jf "$work/m" suspects.0.r2)" 0.8775382693
tap_is "mixed: #1 objects_per_s" "$(jf "$work/m" suspects.0.objects_per_s)" 0
tap_is "mixed: #2 skips the xmalloc wrapper" "$(jf "$work/m" suspects.1.function)" add_entry
tap_is "mixed: #2 accumulating-entries" "$(jf "$work/m" suspects.1.pattern)" accumulating-entries
tap_is "mixed: #2 file:line" "$(jf "$work/m" suspects.1.file):$(jf "$work/m" suspects.1.line)" src/cache.c:17
# 500 entries of 128 bytes per 10 s
tap_is "mixed: #2 bytes_per_s" "$(jf "$work/m" suspects.1.bytes_per_s)" 6400
tap_is "mixed: #2 objects_per_s" "$(jf "$work/m" suspects.1.objects_per_s)" 50
tap_is "mixed: #2 r2" "$(jf "$work/m" suspects.1.r2)" 1
tap_is "mixed: #2 growth_bytes" "$(jf "$work/m" suspects.1.growth_bytes)" 576000
tap_is "mixed: #2 stack, leaf first" \
    "$(jf "$work/m" suspects.1.stack.0) $(jf "$work/m" suspects.1.stack.1) $(jf "$work/m" suspects.1.stack.2) $(jf "$work/m" suspects.1.stack.3)" \
    "xmalloc add_entry handle main"
tap_is "mixed: plateau and warm-up are plateaus" \
    "$(jf "$work/m" not_leaking.plateau.top.0) $(jf "$work/m" not_leaking.plateau.top.1)" "load_config fill_pool"
tap_is "mixed: churn" "$(jf "$work/m" not_leaking.churn.top.0)" handle_request
tap_is "mixed: snapshots and duration" "$(jf "$work/m" snapshots) $(jf "$work/m" duration_s)" "10 90"

# File names in reverse time order: the series is ordered by time_nanos.
gen rev mixed -r
json "$work/r" "$work"/rev/*.pb.gz
tap_is "reversed names: same suspects" \
    "$(jf "$work/r" suspects.0.function) $(jf "$work/r" suspects.1.function) $(jf "$work/r" suspects.1.bytes_per_s)" \
    "grow_buffer add_entry 6400"

# Each control alone: no suspect, and --fail-on-leak exits 0.
for c in churn plateau warmup; do
    gen "c-$c" "$c"
    json "$work/c-$c.flat" --fail-on-leak "$work/c-$c"/*.pb.gz
    tap_is "control $c: no suspect, exit 0" "$(jf "$work/c-$c.flat" suspects.length) $rc" "0 0"
done
tap_is "control plateau: called a plateau" "$(jf "$work/c-plateau.flat" not_leaking.plateau.top.0)" fill_pool
tap_is "control warm-up: called a plateau" "$(jf "$work/c-warmup.flat" not_leaking.plateau.top.0)" load_config
tap_is "control churn: called churn" "$(jf "$work/c-churn.flat" not_leaking.churn.top.0)" handle_request
# A flat heap sampled like Go (period 512 KiB, every object turned over), several seeds.
for seed in 1 3 5 7 9; do
    gen "noisy$seed" noisy -s $seed
    json "$work/noisy$seed.flat" --fail-on-leak "$work/noisy$seed"/*.pb.gz
    tap_is "noisy sampled flat heap (seed $seed): no suspect" \
        "$(jf "$work/noisy$seed.flat" suspects.length) $rc" "0 0"
done

# Leaks alone, with --fail-on-leak: exit 3.
gen entries entries
json "$work/e" --fail-on-leak "$work"/entries/*.pb.gz
tap_is "entries leak: exit 3 with --fail-on-leak" "$rc" 3
tap_is "entries leak: one suspect" "$(jf "$work/e" suspects.length) $(jf "$work/e" suspects.0.function)" "1 add_entry"
# Within three snapshots.
json "$work/e3" "$work/entries/snap-000.pb.gz" "$work/entries/snap-001.pb.gz" "$work/entries/snap-002.pb.gz"
tap_is "entries leak: suspect #1 within three snapshots" "$(jf "$work/e3" suspects.0.function)" add_entry

# A wrapper the built-in list does not know, then named with --drop.
gen wrapped wrapped
json "$work/w" "$work"/wrapped/*.pb.gz
tap_is "wrapper unknown: attributed to pool_get" "$(jf "$work/w" suspects.0.function)" pool_get
json "$work/w2" --drop 'pool_get|other_alloc' "$work"/wrapped/*.pb.gz
tap_is "--drop pool_get: attributed to the caller" \
    "$(jf "$work/w2" suspects.0.function) $(jf "$work/w2" suspects.0.file):$(jf "$work/w2" suspects.0.line)" \
    "register_client src/clients.c:61"

# No time_nanos: file order, rates per snapshot, with a note.
gen notime notime
json "$work/nt" "$work"/notime/*.pb.gz
tap_is "no time_nanos: per-snapshot rate" "$(jf "$work/nt" suspects.0.bytes_per_s)" 64000
tap_is "no time_nanos: no duration" "$(jf "$work/nt" duration_s) $(jf "$work/nt" ordered_by)" "null input order"
tap_ok "no time_nanos: a note says so" grep -q "carry no distinct time_nanos" "$work/nt"

# Two-point diff: a weaker verdict, stated as such.
json "$work/b" --base "$work/entries/snap-000.pb.gz" "$work/entries/snap-009.pb.gz"
tap_is "--base: mode and verdict" "$(jf "$work/b" mode) $(jf "$work/b" suspects.0.verdict)" "two-point grew"
tap_is "--base: growth and rate" \
    "$(jf "$work/b" suspects.0.growth_bytes) $(jf "$work/b" suspects.0.bytes_per_s) $(jf "$work/b" suspects.0.r2)" \
    "576000 6400 null"
tap_ok "--base: says the verdict is weaker" grep -q "weaker verdict" "$work/b"
"$AN" --base "$work/entries/snap-000.pb.gz" "$work/entries/snap-009.pb.gz" > "$work/b.txt"
tap_ok "--base text: candidates, not confirmed leaks" grep -q "candidates, not confirmed leaks" "$work/b.txt"

# Profiles written here are valid for google's own validator.
if [ -x "${PPROFCHECK:-}" ]; then
    tap_ok "gen_series profiles pass pprof's CheckValid" "$PPROFCHECK" -heap "$work"/mixed/*.pb.gz "$work"/noisy1/*.pb.gz
fi
tap_done
