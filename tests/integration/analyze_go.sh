#!/bin/sh
# tests/integration/analyze_go.sh: heapsnap-analyze on heap profiles written by
# Go's own runtime/pprof (tests/gofixtures, see its README): the growing slice
# and the unbounded map are named with their patterns; the churn, plateau and
# warm-up controls are not suspects; go tool pprof reads the same files.
. "$top_srcdir/tests/integration/analyze_common.sh"
fx="$top_srcdir/tests/gofixtures"

json "$work/g" "$fx"/heap-*.pb.gz
tap_is "go: exit 0" "$rc" 0
tap_is "go: 12 snapshots, ordered by time_nanos" "$(jf "$work/g" snapshots) $(jf "$work/g" ordered_by)" "12 time_nanos"
tap_is "go: sampled every 64 KiB" "$(jf "$work/g" period) $(jf "$work/g" sample_type)" "65536 inuse_space"
tap_is "go: exactly two suspects" "$(jf "$work/g" suspects.length)" 2
tap_is "go: #1 the map" "$(jf "$work/g" suspects.0.function) $(jf "$work/g" suspects.0.pattern)" \
    "main.addSessions accumulating-entries"
tap_is "go: #1 at the map assignment" "$(basename "$(jf "$work/g" suspects.0.file)"):$(jf "$work/g" suspects.0.line)" "main.go:49"
tap_is "go: #2 the slice" "$(jf "$work/g" suspects.1.function) $(jf "$work/g" suspects.1.pattern)" \
    "main.growBuffer growing-buffer"
tap_is "go: #2 at the append" "$(basename "$(jf "$work/g" suspects.1.file)"):$(jf "$work/g" suspects.1.line)" "main.go:42"
tap_is "go: #2 call path (inlined frames expanded)" \
    "$(jf "$work/g" suspects.1.stack.0) $(jf "$work/g" suspects.1.stack.1) $(jf "$work/g" suspects.1.stack.2)" \
    "main.growBuffer main.main runtime.main"
tap_is "go: the slice's object count is flat" "$(jf "$work/g" suspects.1.objects_per_s)" 0
tap_is "go: the ring is churn" "$(jf "$work/g" not_leaking.churn.top.0)" main.churn
tap_is "go: the cache that fills up is a plateau" "$(jf "$work/g" not_leaking.plateau.top.0)" main.fillCache
tap_ok "go: the one-time table is flat" grep -q '^not_leaking.flat.top.0=main.warmUp$' "$work/g"
tap_ok "go: Go hints name delete(m, k)" grep -q 'suspects.0.hint=.*delete(m, k)' "$work/g"

# The text report on the same files, and --fail-on-leak.
rc=0
"$AN" --fail-on-leak "$fx"/heap-*.pb.gz > "$work/g.txt" || rc=$?
tap_is "go: --fail-on-leak exits 3" "$rc" 3
tap_ok "go: text names #1" grep -q '^#1  main.addSessions  accumulating-entries$' "$work/g.txt"
tap_ok "go: text names #2" grep -q '^#2  main.growBuffer  growing-buffer$' "$work/g.txt"

# Three profiles are enough for both: the slice (large, always-sampled arrays)
# and the map, whose 512-byte entries are sampled one in ~128 but whose ~2 MiB
# over the first three profiles came with nothing freed (its alloc_space rose
# as much), 5 deviations above the noise of that turnover. With three
# snapshots both verdicts are low-confidence.
json "$work/g3" "$fx/heap-00.pb.gz" "$fx/heap-01.pb.gz" "$fx/heap-02.pb.gz"
tap_is "go: both within three snapshots" \
    "$(jf "$work/g3" suspects.length) $(jf "$work/g3" suspects.0.function) $(jf "$work/g3" suspects.1.function)" \
    "2 main.addSessions main.growBuffer"
tap_is "go: three snapshots give low confidence" \
    "$(jf "$work/g3" suspects.0.confidence) $(jf "$work/g3" suspects.1.confidence)" "low low"
tap_is "go: twelve snapshots give high confidence" \
    "$(jf "$work/g" suspects.0.confidence) $(jf "$work/g" suspects.1.confidence)" "high high"
json "$work/g5" "$fx/heap-00.pb.gz" "$fx/heap-01.pb.gz" "$fx/heap-02.pb.gz" "$fx/heap-03.pb.gz" "$fx/heap-04.pb.gz"
tap_is "go: both within five snapshots" "$(jf "$work/g5" suspects.0.function) $(jf "$work/g5" suspects.1.function)" \
    "main.addSessions main.growBuffer"

# go tool pprof agrees on what grew between the first and the last profile.
HOME="$work" GO111MODULE=off "${GO:-go}" tool pprof -top -sample_index=inuse_space \
    -base "$fx/heap-00.pb.gz" "$fx/heap-11.pb.gz" > "$work/pprof.txt" 2>&1
tap_ok "go tool pprof -base shows main.addSessions" grep -q 'main.addSessions' "$work/pprof.txt"
tap_done
