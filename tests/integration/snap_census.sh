#!/bin/sh
# tests/integration/snap_census.sh: heapsnap on a process without the hook:
# a valid heap profile that is a census by size class under [unattributed ...]
# pseudo-frames, adding up to the walker's total, with one notice on stderr;
# and --threads writes the stopped threads' stacks as a threads/count profile.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"

snap_start_leaker --mb 4 --threads 3
"$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/c.pb.gz" --threads "$snap_tmp/t.pb.gz" --json \
    >"$snap_tmp/c.json" 2>"$snap_tmp/c.err"
tap_is "census snapshot exits 0" "$?" 0
tap_ok "process runs on" snap_running "$leaker_pid"
tap_ok "valid heap profile" snap_valid -heap "$snap_tmp/c.pb.gz"
tap_is "one line on stderr" "$(wc -l <"$snap_tmp/c.err")" 1
tap_ok "the notice says the hook adds call sites" grep -q "LD_PRELOAD=libheapsnap.so" "$snap_tmp/c.err"
tap_is "no hook in the JSON" "$(grep -o '"hook":[a-z]*' "$snap_tmp/c.json")" '"hook":false'
sum=$("$PPROFCHECK" -sum inuse_space "$snap_tmp/c.pb.gz")
tap_is "census adds up to the walker's in-use bytes" "$sum" "$(snap_json "$snap_tmp/c.json" inuse_bytes)"
tap_is "all of it unattributed" "$(snap_json "$snap_tmp/c.json" unattributed_bytes)" "$sum"

empty=$snap_tmp/empty
mkdir "$empty" && cp "$snap_tmp/c.pb.gz" "$snap_tmp/t.pb.gz" "$empty/"
top=$(cd "$empty" && HOME=$empty GO111MODULE=off "$GO" tool pprof -top -unit=B c.pb.gz 2>/dev/null)
# Every row is a pseudo-frame; the root holds it all.
tap_is "every frame is an [unattributed ...] pseudo-frame" \
    "$(printf '%s\n' "$top" | sed -n '/flat%/,$p' | sed 1d | grep -vc '\[unattributed')" 0
tap_is "the root [unattributed] holds the whole heap" \
    "$(printf '%s\n' "$top" | awk '$6 == "[unattributed]" {print $4}')" "${sum}B"
tap_ok "size classes such as [unattributed 1008-byte chunks]" \
    sh -c "printf '%s\n' \"\$1\" | grep -q '\[unattributed 1008-byte chunks\]'" sh "$top"

tap_ok "threads profile is valid" snap_valid -threads "$snap_tmp/t.pb.gz"
tap_is "it counts all 4 threads" "$("$PPROFCHECK" -sum threads "$snap_tmp/t.pb.gz")" 4
traces=$(cd "$empty" && HOME=$empty GO111MODULE=off "$GO" tool pprof -traces t.pb.gz 2>/dev/null)
tap_ok "3 workers seen in worker()" \
    sh -c "printf '%s\n' \"\$1\" | grep -A1 '^ *3 ' | grep -q worker" sh "$traces"
tap_ok "main thread seen in main()" \
    sh -c "printf '%s\n' \"\$1\" | grep -qw main" sh "$traces"

# Without libc's debug file the built-in layout is used, with a notice.
mkdir "$snap_tmp/nodebug"
HEAPSNAP_DEBUG_DIR=$snap_tmp/nodebug "$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/nd.pb.gz" \
    --json >"$snap_tmp/nd.json" 2>"$snap_tmp/nd.err"
tap_is "without libc debug info: exit 0" "$?" 0
tap_ok "the notice names the fallback" grep -q "built-in table" "$snap_tmp/nd.err"
tap_ok "and how to install the debug info" grep -q "install libc6-dbg" "$snap_tmp/nd.err"
tap_ok "the profile is still valid" snap_valid -heap "$snap_tmp/nd.pb.gz"
tap_is "and adds up the same" "$("$PPROFCHECK" -sum inuse_space "$snap_tmp/nd.pb.gz")" "$sum"
tap_ok "process runs on" snap_running "$leaker_pid"
tap_done
