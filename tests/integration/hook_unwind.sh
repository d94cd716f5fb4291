#!/bin/sh
# tests/integration/hook_unwind.sh: the hook's cached CFI unwinder gives the
# same stacks as libunwind inside real programs. unwind_compare.so, preloaded,
# captures the stack both ways on every 7th malloc and counts the stacks that
# differ: none may, in Debian's perl, gawk and sqlite3 (stripped, -O2),
# python3 when installed, a C++ -O2 program on four threads
# (libstdc++, exceptions, std::function).
. "$top_srcdir/tests/tap.sh"
SHIM="$top_builddir/tests/progs/unwind_compare.so"
[ -f "$SHIM" ] || tap_bail "tests/progs/unwind_compare.so not built"
work=$(mktemp -d "${TMPDIR:-/tmp}/hook_unwind.XXXXXX")
trap 'rm -rf "$work"' EXIT

# check NAME MIN CMD...: CMD under the shim; its last report has no stack
# that differs and at least MIN that agree.
check() {
    name=$1 min=$2
    shift 2
    LD_PRELOAD="$SHIM" "$@" > /dev/null 2> "$work/$name.err"
    report=$(grep '^unwind_compare: same' "$work/$name.err" | tail -n 1)
    same=$(echo "$report" | awk '{ print $3 }')
    differ=$(echo "$report" | awk '{ print $5 }')
    tap_is "$name: no stack differs from libunwind's" "${differ:-none}" 0
    [ "${differ:-0}" = 0 ] || sed 's/^/# /' "$work/$name.err" | head -n 40
    tap_ok "$name: at least $min stacks compared ($same)" [ "${same:-0}" -ge "$min" ]
}

if command -v perl > /dev/null; then
    check perl 1000 perl -e 'my %h; $h{$_} = [1 .. 3] for 1 .. 20000'
else tap_skip "perl is not installed"; fi
if command -v gawk > /dev/null; then
    check gawk 1000 gawk 'BEGIN { for (i = 0; i < 20000; i++) a[i] = i "x" }'
else tap_skip "gawk is not installed"; fi
if command -v sqlite3 > /dev/null; then
    check sqlite3 20 sqlite3 :memory: "create table t(x text); \
        insert into t select printf('%.80c-%d', 'x', value) from generate_series(1, 20000); \
        create index i on t(x); select count(*) from t;"
else tap_skip "sqlite3 is not installed"; fi
if command -v python3 > /dev/null; then
    check python3 100 python3 -c 'import json; json.dumps([{str(i): i} for i in range(20000)])'
else tap_skip "python3 is not installed"; fi
check cxx_O2_threads 10000 "$top_builddir/tests/progs/unwind_cxx"
tap_done
