#!/bin/sh
# tests/integration/faults_exit.sh: the examined program dies while heapsnap
# works on it. SIGKILLed at random moments of a snapshot, or exiting on its own
# during a periodic series: heapsnap either finished first (exit 0, a valid
# profile) or exits 1 with one sentence and leaves no file and no temp file;
# never a crash, a hang or a partial profile.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/stress/stress_lib.sh"

rounds=${FAULT_EXITS:-8}
[ -x "$HEAPSNAP" ] && [ -x "$STRESS_PROG" ] && [ -f "$HOOK_SO" ] ||
    tap_bail "build heapsnap, libheapsnap.so and tests/stress/stress_prog first"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-exit.XXXXXX")
sl_pid=""
trap '[ -n "$sl_pid" ] && sl_stop "$sl_pid"; rm -rf "$tmp"' EXIT
ms_now() { date +%s%3N; }
ms_sleep() { sleep "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))"; }

# How long one snapshot of this program takes here, to spread the deaths over it.
sl_start "$tmp/p0.out" LD_PRELOAD="$HOOK_SO" HEAPSNAP_RATE=1 -- -t 4 || tap_bail "no start"
t0=$(ms_now)
"$HEAPSNAP" -p "$sl_pid" -o "$tmp/base.pb.gz" 2> /dev/null
tap_is "a first snapshot exits 0" "$?" 0
span=$(( ($(ms_now) - t0) * 12 / 10 ))
[ "$span" -gt 0 ] || span=1
sl_stop "$sl_pid"; sl_pid=""

ok_rounds=0; died_mid=0; done_first=0; first=""
i=1
while [ "$i" -le "$rounds" ]; do
    d=$(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % span ))
    sl_start "$tmp/p$i.out" LD_PRELOAD="$HOOK_SO" HEAPSNAP_RATE=1 -- -t 4 -s "$i" ||
        tap_bail "no start"
    out="$tmp/d-$i.pb.gz"
    "$HEAPSNAP" -p "$sl_pid" -o "$out" > "$tmp/hs.out" 2> "$tmp/hs.err" &
    hp=$!
    ms_sleep "$d"
    sl_stop "$sl_pid"; sl_pid=""
    wait "$hp"
    rc=$?
    why=""
    if [ "$rc" -eq 0 ]; then
        done_first=$((done_first + 1))
        "$PPROFCHECK" -heap "$out" > /dev/null 2>&1 || why="exit 0 but $out is not valid"
    elif [ "$rc" -eq 1 ]; then
        died_mid=$((died_mid + 1))
        [ -e "$out" ] && why="exit 1 but $out exists"
        [ "$(wc -l < "$tmp/hs.err")" -eq 1 ] || why="$why; $(wc -l < "$tmp/hs.err") lines on stderr"
        grep -q '^heapsnap: [^ ]' "$tmp/hs.err" || why="$why; stderr is not 'heapsnap: sentence'"
    else
        why="exit $rc"
    fi
    tmps=$(ls -A "$tmp" | grep -c '^\..*\.tmp')
    [ "$tmps" -eq 0 ] || why="$why; $tmps temp files left"
    if [ -z "$why" ]; then ok_rounds=$((ok_rounds + 1)); elif [ -z "$first" ]; then
        first="round $i (killed after $d ms): $why: $(head -n 3 "$tmp/hs.err")"
    fi
    i=$((i + 1))
done
echo "# $rounds rounds: the program died during $died_mid snapshots, after $done_first"
[ -n "$first" ] && echo "# first problem: $first"
tap_is "a program killed at a random moment: exit 0 + valid file, or exit 1 + one sentence + no file" \
    "$ok_rounds" "$rounds"
sed 's/^/# e.g. /' "$tmp/hs.err" | head -n 1

# The program exits by itself during a periodic series, after about three
# snapshots' time: the series ends with exit 0 and what it wrote (exit 1 with
# one sentence only if the machine was too slow for even one snapshot).
sl_start "$tmp/px.out" LD_PRELOAD="$HOOK_SO" -- -t 4 -x $((span * 3 + 500)) || tap_bail "no start"
xp=$sl_pid
"$HEAPSNAP" -p "$xp" -i 100ms -n 0 -o "$tmp/per-%03d.pb.gz" > /dev/null 2> "$tmp/per.err"
rc=$?
wait "$xp" 2>/dev/null; sl_pid=""
n=$(ls "$tmp" | grep -c '^per-.*\.pb\.gz$')
echo "# periodic series: $n snapshots before the program exited; stderr: $(head -n 2 "$tmp/per.err" | tr '\n' ' ')"
if [ "$n" -gt 0 ]; then
    tap_is "periodic mode ends with exit 0 when the program exits" "$rc" 0
else
    tap_is "no snapshot fitted before the exit: exit 1 with one sentence" \
        "$rc $(wc -l < "$tmp/per.err")" "1 1"
fi
bad=$(cd "$tmp" && ls per-*.pb.gz 2>/dev/null | xargs -r "$PPROFCHECK" -heap 2>&1 | grep -v ': ok$')
tap_is "every profile of the series is complete and valid" "${bad:-none bad}" "none bad"
tap_is "no temp file left by the series" "$(ls -A "$tmp" | grep -c '^\..*\.tmp')" 0

# The program is killed during a periodic series.
sl_start "$tmp/pk.out" LD_PRELOAD="$HOOK_SO" HEAPSNAP_RATE=1 -- -t 4 || tap_bail "no start"
kp=$sl_pid
"$HEAPSNAP" -p "$kp" -i 50ms -n 0 -o "$tmp/kil-%03d.pb.gz" > /dev/null 2> "$tmp/kil.err" &
hp=$!
ms_sleep $((span * 2))
sl_stop "$kp"; sl_pid=""
wait "$hp"
rc=$?
tap_ok "periodic mode with the program killed ends with exit 0 or 1, no crash (exit $rc)" \
    [ "$rc" -eq 0 -o "$rc" -eq 1 ]
bad=$(cd "$tmp" && ls kil-*.pb.gz 2>/dev/null | xargs -r "$PPROFCHECK" -heap 2>&1 | grep -v ': ok$')
tap_is "every profile it wrote is complete and valid" "${bad:-none bad}" "none bad"
tap_is "no temp file left" "$(ls -A "$tmp" | grep -c '^\..*\.tmp')" 0
tap_done
