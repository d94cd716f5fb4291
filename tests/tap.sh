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
tap_skip_all() { echo "1..0 # SKIP $1"; exit 0; }
tap_bail() { echo "Bail out! $1"; exit 1; }
tap_done() { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }
