#!/bin/sh
# tests/integration/snap_periodic.sh: periodic snapshots. -n N writes exactly N
# files named by the pattern; -n 0 ends with exit 0 on Ctrl-C (SIGINT) after
# finishing the snapshot in progress, and when the process exits.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"

HOOKED=1 snap_start_leaker --mb 2
out=$snap_tmp/series
mkdir "$out"
"$HEAPSNAP" -p "$leaker_pid" -i 100ms -n 3 -o "$out/snap-%04d.pb.gz" --json \
    >"$snap_tmp/series.json" 2>"$snap_tmp/series.err"
tap_is "-n 3 exits 0" "$?" 0
tap_is "-n 3 writes exactly 3 files" "$(ls "$out" | tr '\n' ' ')" \
    "snap-0001.pb.gz snap-0002.pb.gz snap-0003.pb.gz "
tap_ok "all of them valid heap profiles" snap_valid -heap "$out"/snap-*.pb.gz
tap_is "one JSON line per snapshot" "$(grep -c '"index"' "$snap_tmp/series.json")" 3
tap_is "quiet on stderr when it is not a terminal" "$(cat "$snap_tmp/series.err")" ""
t1=$(sed -n 1p "$snap_tmp/series.json" | sed 's/.*"time_nanos":\([0-9]*\).*/\1/')
t2=$(sed -n 2p "$snap_tmp/series.json" | sed 's/.*"time_nanos":\([0-9]*\).*/\1/')
t3=$(sed -n 3p "$snap_tmp/series.json" | sed 's/.*"time_nanos":\([0-9]*\).*/\1/')
tap_ok "snapshot times increase" test "$t1" -lt "$t2" -a "$t2" -lt "$t3"
tap_ok "process runs on" snap_running "$leaker_pid"

# -n 0 and Ctrl-C: the snapshot in progress is finished, exit 0.
mkdir "$snap_tmp/int"
"$HEAPSNAP" -p "$leaker_pid" -i 100ms -n 0 -o "$snap_tmp/int/s-%d.pb.gz" 2>"$snap_tmp/int.err" &
hs=$!
snap_pids="$snap_pids $hs"
i=0
while [ ! -e "$snap_tmp/int/s-2.pb.gz" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT "$hs"
wait "$hs"
tap_is "Ctrl-C ends the series with exit 0" "$?" 0
tap_ok "every file written is valid" snap_valid -heap "$snap_tmp"/int/s-*.pb.gz
tap_is "no temporary files left" "$(ls -A "$snap_tmp/int" | grep -vc '^s-[0-9]*\.pb\.gz$')" 0
tap_ok "process runs on after Ctrl-C" snap_running "$leaker_pid"

# The process exits: the series ends cleanly.
mkdir "$snap_tmp/exit"
"$HEAPSNAP" -p "$leaker_pid" -i 100ms -n 0 -o "$snap_tmp/exit/s-%d.pb.gz" 2>"$snap_tmp/exit.err" &
hs=$!
snap_pids="$snap_pids $hs"
i=0
while [ ! -e "$snap_tmp/exit/s-1.pb.gz" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM "$leaker_pid"
wait "$hs"
tap_is "the process's exit ends the series with exit 0" "$?" 0
sed 's/^/# stderr: /' "$snap_tmp/exit.err"
tap_ok "what was written is valid" snap_valid -heap "$snap_tmp"/exit/s-*.pb.gz

# A pattern without a conversion is a usage error.
"$HEAPSNAP" -p "$$" -i 1s -o "$snap_tmp/none.pb.gz" 2>"$snap_tmp/pat.err"
tap_is "pattern without %d: exit 2" "$?" 2
tap_ok "and it says so" grep -q "has no %d" "$snap_tmp/pat.err"
tap_done
