# tests/tap.sh: sourced by the shell integration tests; a tiny TAP emitter.
# ok COND-DESCRIPTION via `tap_ok desc cmd...`, `tap_is desc got want`, and
# `tap_skip reason` for a check that cannot run here (TAP "# SKIP", counted as
# skipped, not passed), and `tap_done` at the end prints the plan.
tap_n=0
tap_failed=0
tap_ok() {
    desc=$1; shift
    tap_n=$((tap_n + 1))
    if "$@"; then echo "ok $tap_n - $desc"; else echo "not ok $tap_n - $desc"; tap_failed=$((tap_failed + 1)); fi
}
tap_is() {
    tap_n=$((tap_n + 1))
    if [ "$2" = "$3" ]; then echo "ok $tap_n - $1"; else
        echo "not ok $tap_n - $1"; echo "# got:  $2"; echo "# want: $3"; tap_failed=$((tap_failed + 1)); fi
}
tap_skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $1"; }
# The state letter /proc gives process $1 (R, S, D, T, t, Z, ...).
tap_proc_state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1; }
# tap_not_stopped NAME PID: PID runs or sleeps (R, S, D) -- nothing left it
# stopped; just after a tracer's detach a thread may be runnable (R).
tap_not_stopped() {
    tap_st=$(tap_proc_state "$2")
    case $tap_st in [RSD]) tap_ok "$1 ($tap_st)" true ;; *) tap_ok "$1 ($tap_st)" false ;; esac
}
tap_skip_all() { echo "1..0 # SKIP $1"; exit 0; }
tap_bail() { echo "Bail out! $1"; exit 1; }
tap_done() { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }

# The preamble the integration tests share.
# tap_need_ptrace: skip the whole test where heapsnap may not trace a
# process it did not start (neither root nor kernel.yama.ptrace_scope=0).
tap_need_ptrace() {
    [ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" = 0 ] ||
        tap_skip_all "ptrace of a non-child needs root or kernel.yama.ptrace_scope=0"
}
# tap_workdir VAR: makes a temporary directory, stores its path in VAR, and
# on exit kills every PID listed in $tap_pids (add them as they start) and
# removes the directory.
tap_pids=""
tap_workdir() {
    tap_dir=$(mktemp -d "${TMPDIR:-/tmp}/hs-test.XXXXXX") || tap_bail "mktemp failed"
    eval "$1=\$tap_dir"
    trap 'for p in $tap_pids; do kill -9 "$p" 2>/dev/null; done; chmod -R u+w "$tap_dir" 2>/dev/null; rm -rf "$tap_dir"' EXIT
}
# tap_wait_for FILE PATTERN: until PATTERN appears in FILE; 1 after a hang
# guard of 5 minutes (a condition, not a clock: a loaded machine is slow).
tap_wait_for() {
    tap_w=0
    while [ "$tap_w" -lt 3000 ]; do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        tap_w=$((tap_w + 1))
    done
    return 1
}
