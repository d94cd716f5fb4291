#!/bin/sh
# tests/integration/analyze_debian.sh: the verdict on Debian's own programs as
# shipped, under the hook at its default rate (HEAPSNAP_RATE unset), five
# snapshots 1 s apart, run after run (DEBIAN_RUNS, default 2): gawk keeping
# array keys is found every time, and gawk and perl doing the same work without keeping it give no
# suspect every time -- a heap whose samples come and go is no leak, whatever
# one or two samples do. (perl and sqlite3 leaking: name_debian.sh.)
. "$top_srcdir/tests/integration/analyze_common.sh"
S="$top_builddir/heapsnap"
HOOK="$top_builddir/.libs/libheapsnap.so"
[ -x "$S" ] && [ -f "$HOOK" ] || tap_skip_all "heapsnap or the hook is not built"
command -v gawk >/dev/null && command -v perl >/dev/null ||
    tap_skip_all "gawk or perl is missing (scripts/install-deps installs them)"
RUNS=${DEBIAN_RUNS:-2}
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# verdict NAME WANT: WANT is "none" or "FUNCTION PATTERN" of suspect #1.
verdict() {
    json "$work/$1.flat" "$work/$1"-*.pb.gz
    if [ "$2" = none ]; then
        got=$(jf "$work/$1.flat" suspects.length)
        tap_is "$1: no suspect" "$got" 0
        [ "$got" = 0 ] || "$AN" "$work/$1"-*.pb.gz 2>&1 | sed 's/^/# /'
    else
        got="$(jf "$work/$1.flat" suspects.0.function) $(jf "$work/$1.flat" suspects.0.pattern)"
        tap_is "$1: suspect #1" "$got" "$2"
        [ "$got" = "$2" ] || "$AN" "$work/$1"-*.pb.gz 2>&1 | sed 's/^/# /'
    fi
}

# gawk: 2000 array keys every 10 ms, kept (leak) or overwritten in a fixed
# set of 5000 keys while a second array is rebuilt (control).
GAWK_LEAK='BEGIN { while (1) { for (j = 0; j < 2000; j++) a["key-" i++ "-" sprintf("%40s", "")] = i
    system("sleep 0.01") } }'
GAWK_FLAT='BEGIN { while (1) { for (j = 0; j < 2000; j++) a["key-" (i++ % 5000) "-" sprintf("%40s", "")] = i
    delete b; for (j = 0; j < 1000; j++) b[j] = sprintf("%60d", j); system("sleep 0.01") } }'
# perl: the same work on a hash of at most 5000 keys, and strings built and
# dropped.
PERL_FLAT='my %h; my $i = 0;
while (1) {
    for (1 .. 2000) { $h{"key-" . ($i++ % 5000) . "-" . ("x" x 40)} = "v" x ($i % 100) }
    my @tmp = map { "y" x 64 } 1 .. 1000;
    select(undef, undef, undef, 0.01);
}'
r=1
while [ $r -le "$RUNS" ]; do
    env -u HEAPSNAP_RATE LD_PRELOAD="$HOOK" gawk "$GAWK_LEAK" > /dev/null &
    pid=$!
    snap_running gawk-leak-$r
    # gawk is stripped of every symbol: its array nodes and its key strings
    # are two allocating functions, both named gawk+0xADDR
    json "$work/gl$r" "$work/gawk-leak-$r"-*.pb.gz
    n=$(jf "$work/gl$r" suspects.length)
    tap_is "gawk-leak-$r: found, accumulating entries" \
        "$([ "${n:-0}" -ge 1 ] && echo found) $(jf "$work/gl$r" suspects.0.pattern)" "found accumulating-entries"
    env -u HEAPSNAP_RATE LD_PRELOAD="$HOOK" gawk "$GAWK_FLAT" > /dev/null &
    pid=$!
    snap_running gawk-flat-$r
    verdict gawk-flat-$r none
    env -u HEAPSNAP_RATE LD_PRELOAD="$HOOK" perl -e "$PERL_FLAT" &
    pid=$!
    snap_running perl-flat-$r
    verdict perl-flat-$r none
    r=$((r + 1))
done
tap_done
