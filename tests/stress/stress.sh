#!/bin/sh
# tests/stress/stress.sh: STRESS_SNAPSHOTS snapshots (default 1000, split over
# three runs: hook at rate 1, hook at the default rate, no hook; STRESS_MODES
# picks fewer) of a 4-thread
# allocation-heavy program. After each: heapsnap exited 0 (giving up on a busy
# heap counts as a failure) and the program runs
# with no thread stopped; every profile passes google's validator (-heap); every
# STRESS_QUIESCENT_EVERY-th snapshot (default 10) the program parks all threads
# and the walker's totals must equal its own mallinfo2 in every field.
# STRESS_HEAPSNAP_ARGS adds options to every snapshot (--cow: each one forks
# a frozen child, and then the test also checks that every one forked).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/stress/stress_lib.sh"

total=${STRESS_SNAPSHOTS:-1000}
qevery=${STRESS_QUIESCENT_EVERY:-10}
# STRESS_MODES picks which of the three runs happen (CI leaves out rate1, the
# slowest per snapshot: rate 1 records every allocation for symbolization).
modes=${STRESS_MODES:-rate1 default-rate no-hook}
nmodes=$(echo $modes | wc -w)
[ "$nmodes" -ge 1 ] || tap_bail "STRESS_MODES names no mode"
per_mode=$(( (total + nmodes - 1) / nmodes ))
[ -x "$HEAPSNAP" ] && [ -x "$STRESS_PROG" ] && [ -f "$HOOK_SO" ] ||
    tap_bail "build heapsnap, libheapsnap.so and tests/stress/stress_prog first"
[ -x "$PPROFCHECK" ] || tap_bail "PPROFCHECK ($PPROFCHECK) is not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-stress.XXXXXX")
sl_pid=""
trap '[ -n "$sl_pid" ] && sl_stop "$sl_pid"; rm -rf "$tmp"' EXIT
echo "# $total snapshots: $per_mode per mode, a quiescent mallinfo2 check every $qevery"

grand_snaps=0
grand_quiet=0
run_mode() {
    mode=$1; shift
    dir="$tmp/$mode"
    mkdir -p "$dir"
    if ! sl_start "$dir/prog.out" "$@" -- -t 4 -s "$per_mode"; then
        tap_ok "$mode: stress_prog started" false
        return
    fi
    pid=$sl_pid
    t_mode=$(date +%s)
    snap_fail=0; snap_busy=0; stopped=0; quiet=0; quiet_fail=0; seq=0; first_err=""; first_mis=""
    forked=0
    i=1
    while [ "$i" -le "$per_mode" ]; do
        f="$dir/snap-$(printf %04d "$i").pb.gz"
        # shellcheck disable=SC2086 # the options are words
        if ! "$HEAPSNAP" -p "$pid" ${STRESS_HEAPSNAP_ARGS:-} --json -o "$f" > "$dir/json" 2> "$dir/err"; then
            # Giving up on a heap that stays busy is a failure too (heapsnap
            # resumes only the threads inside malloc until they are out); it
            # is counted apart so that a regression shows what it is.
            snap_fail=$((snap_fail + 1))
            grep -q 'stayed busy' "$dir/err" && snap_busy=$((snap_busy + 1))
            [ -z "$first_err" ] && first_err="snapshot $i: $(head -n 3 "$dir/err")"
        fi
        grep -q '"mode":"fork"' "$dir/json" && forked=$((forked + 1))
        if ! sl_running "$pid"; then
            stopped=$((stopped + 1))
            echo "# $mode: after snapshot $i the thread states are '$(sl_state "$pid")'"
        fi
        if [ $((i % qevery)) -eq 0 ]; then
            seq=$((seq + 1))
            quiet=$((quiet + 1))
            if ! sl_quiesce "$pid" "$dir/prog.out" "$seq"; then
                quiet_fail=$((quiet_fail + 1))
                [ -z "$first_mis" ] && first_mis="quiescent point $seq: no mallinfo2 line"
            elif ! sl_compare "$pid" "$dir/prog.out" "$seq" "$dir/stats.json"; then
                quiet_fail=$((quiet_fail + 1))
                [ -z "$first_mis" ] && first_mis="point $seq want: $sl_want
got:  $sl_got"
            fi
            sl_resume "$pid"
            sl_running "$pid" || stopped=$((stopped + 1))
        fi
        [ $((i % 50)) -eq 0 ] && echo "# $mode: $i snapshots, $snap_fail failed, $stopped left" \
            "a thread stopped, $((quiet - quiet_fail))/$quiet quiescent totals equal ($(date +%T))"
        i=$((i + 1))
    done
    echo "# $mode: $snap_busy of $per_mode snapshots gave up on a heap that stayed busy" \
        "($(($(date +%s) - t_mode)) s for the snapshots)"
    tap_is "$mode: $per_mode snapshots exit 0" "$snap_fail failed" "0 failed"
    echo "# $mode: $forked of $per_mode snapshots forked a frozen child"
    case " ${STRESS_HEAPSNAP_ARGS:-} " in
    *" --cow "*) tap_is "$mode: every snapshot forked (--cow)" "$forked forked" "$per_mode forked" ;;
    esac
    tap_is "$mode: no snapshot gives up on a heap that stays busy" "$snap_busy gave up" "0 gave up"
    [ -n "$first_err" ] && printf '%s\n' "$first_err" | sed 's/^/# /'
    tap_is "$mode: program running, no thread stopped, after every snapshot" \
        "$stopped stopped" "0 stopped"
    # google's validator, 50 files per run (it prints one line per bad file)
    bad=$(cd "$dir" && ls snap-*.pb.gz 2>/dev/null | xargs -n 50 "$PPROFCHECK" -heap 2>&1 |
        grep -v ': ok$' | head -n 5)
    valid=$(cd "$dir" && ls snap-*.pb.gz 2>/dev/null | wc -l)
    tap_is "$mode: every profile written passes pprofcheck -heap" "$valid written, ${bad:-none bad}" \
        "$((per_mode - snap_fail)) written, none bad"
    tap_is "$mode: walker totals equal mallinfo2 at $quiet quiescent points" \
        "$quiet_fail differ" "0 differ"
    [ -n "$first_mis" ] && printf '%s\n' "$first_mis" | sed 's/^/# /'
    # still alive and well: one more quiescent point parks every worker
    seq=$((seq + 1))
    tap_ok "$mode: every worker still runs and parks at the end" sl_quiesce "$pid" "$dir/prog.out" "$seq"
    echo "# $mode: $(grep "\"seq\":$seq," "$dir/prog.out" | sed 's/.*"ops":\([0-9]*\).*/\1/') allocator calls by the program"
    sl_stop "$pid"
    sl_pid=""
    grand_snaps=$((grand_snaps + per_mode - snap_fail))
    grand_quiet=$((grand_quiet + quiet - quiet_fail))
    rm -f "$dir"/snap-*.pb.gz
}

for m in $modes; do
    case $m in
    rate1) run_mode rate1 LD_PRELOAD="$HOOK_SO" HEAPSNAP_RATE=1 ;;
    default-rate) run_mode default-rate LD_PRELOAD="$HOOK_SO" ;;
    no-hook) run_mode no-hook ;;
    *) tap_bail "unknown mode '$m' in STRESS_MODES (rate1, default-rate, no-hook)" ;;
    esac
done
echo "# figures: $grand_snaps snapshots written and validated, $grand_quiet quiescent totals equal"
tap_done
