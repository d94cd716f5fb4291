# tests/stress/stress_lib.sh: helpers shared by the stress and fault tests
# (sourced after tests/tap.sh): start tests/stress/stress_prog and wait until it
# runs, check that no thread of a process is left stopped, pause it at a
# quiescent point and compare its mallinfo2 line with `heapsnap --stats --json`.

HEAPSNAP="$top_builddir/heapsnap"
STRESS_PROG="$top_builddir/tests/stress/stress_prog"
HOOK_SO="$top_builddir/.libs/libheapsnap.so"
# Every mallinfo2 field the walker must reproduce (usmblks is always 0 in glibc).
MI_FIELDS="arena ordblks smblks hblks hblkhd fsmblks uordblks fordblks keepcost"

# sl_wait_line FILE REGEX: waits (up to 5 min, a hang guard, not a timing claim)
# until a line of FILE matches REGEX.
sl_wait_line() {
    _n=0
    while ! grep -q -- "$2" "$1" 2>/dev/null; do
        _n=$((_n + 1))
        [ "$_n" -gt 6000 ] && return 1
        sleep 0.05
    done
    return 0
}

# sl_start OUTFILE [env VAR=... ...] ARGS...: starts stress_prog in the
# background with stdout to OUTFILE; sets sl_pid, returns 1 if it never got ready.
# The first words up to "--" are passed to env (e.g. LD_PRELOAD=...). It runs
# at nice STRESS_NICE (10): its threads still allocate without pause and are
# stopped anywhere, but heapsnap gets the CPU on a small machine.
sl_start() {
    _out=$1; shift
    _envs=""
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do _envs="$_envs $1"; shift; done
    [ "${1:-}" = "--" ] && shift
    rm -f "$_out" # never a ready line of an earlier run into the same file
    # shellcheck disable=SC2086
    nice -n "${STRESS_NICE:-10}" env $_envs "$STRESS_PROG" "$@" > "$_out" 2>> "$_out.err" &
    sl_pid=$!
    sl_wait_line "$_out" '"ready"'
}

# sl_state PID: the states of every thread, e.g. "SRRRR" ("" if gone).
sl_state() {
    for _t in /proc/"$1"/task/*/stat; do
        [ -r "$_t" ] || continue
        sed 's/^.*) \(.\).*/\1/' "$_t" 2>/dev/null
    done | tr -d '\n'
}

# sl_running PID: the process exists, is not a zombie, and no thread is stopped
# (T: job-control stop, t: ptrace stop).
sl_running() {
    kill -0 "$1" 2>/dev/null || return 1
    _s=$(sl_state "$1")
    [ -n "$_s" ] || return 1
    case $_s in *[TtZX]*) return 1 ;; esac
    return 0
}

# sl_mi_fields JSON: the mallinfo2 fields of a JSON text, in a fixed order.
sl_mi_fields() {
    _j=$1; _r=""
    for _f in $MI_FIELDS; do
        _v=$(printf '%s\n' "$_j" | sed -n "s/.*\"$_f\":\([0-9][0-9]*\).*/\1/p")
        _r="$_r$_f=${_v:-missing} "
    done
    printf '%s\n' "$_r"
}

# sl_quiesce PID OUTFILE SEQ: asks the program to park every thread and print
# mallinfo2 line SEQ; returns 1 if the line never came.
sl_quiesce() {
    kill -USR1 "$1" 2>/dev/null || return 1
    sl_wait_line "$2" "\"seq\":$3,"
}

sl_resume() { kill -USR2 "$1" 2>/dev/null; }

# sl_compare PID OUTFILE SEQ STATSFILE: runs heapsnap --stats --json on the
# parked program; sets sl_want / sl_got; 0 when every field is equal.
sl_compare() {
    sl_want=$(sl_mi_fields "$(grep "\"seq\":$3," "$2")")
    if ! "$HEAPSNAP" -p "$1" --stats --json > "$4" 2> "$4.err"; then
        sl_got="heapsnap --stats failed: $(head -n 1 "$4.err")"
        return 1
    fi
    sl_got=$(sl_mi_fields "$(sed -n 's/.*"total":{\([^}]*\)}.*/\1/p' "$4")")
    [ "$sl_want" = "$sl_got" ]
}

# sl_stop PID: ends a program started by sl_start and reaps it.
sl_stop() {
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

# sl_start_endpoint OUT ENV... -- ARGS...: sl_start with the hook's endpoint
# on a free loopback port (a few random tries, each until the index answers
# through http_client $HC); sets port (empty when none came up) and sl_pid.
sl_start_endpoint() {
    _eout=$1; shift
    port=""
    for _try in 1 2 3 4 5; do
        _p=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000))
        sl_start "$_eout" HEAPSNAP_HTTP="127.0.0.1:$_p" "$@" || continue
        _r=""
        for _k in 1 2 3 4 5 6 7 8 9 10; do
            _r=$("$HC" "$_p" get /debug/pprof/ 2>/dev/null)
            case $_r in 200\ *) break ;; esac
            sleep 0.2
        done
        case $_r in 200\ *) port=$_p; return 0 ;; esac
        sl_stop "$sl_pid"; sl_pid=""
    done
    return 1
}
