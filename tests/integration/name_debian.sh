#!/bin/sh
# tests/integration/name_debian.sh: Debian's own stripped binaries under the
# hook at the default rate (HEAPSNAP_RATE unset), five snapshots each: perl
# keeping hash keys and sqlite3 inserting into an in-memory table each get a
# suspect #1 named by a function of the program (not a raw file+0xADDR, not an
# allocator wrapper such as Perl_more_bodies or sqlite3MallocZero), one
# suspect per leak, and their bounded variants get none; mawk, which has no
# symbol at all, keeps its raw name with one sentence naming its debug
# package. Needs perl and sqlite3 (scripts/install-deps).
. "$top_srcdir/tests/integration/analyze_common.sh"
S="$top_builddir/heapsnap"
HOOK="$top_builddir/.libs/libheapsnap.so"
[ -x "$S" ] && [ -f "$HOOK" ] || tap_skip_all "heapsnap or the hook is not built"
command -v perl >/dev/null && command -v sqlite3 >/dev/null ||
    tap_skip_all "perl or sqlite3 is missing (scripts/install-deps installs them)"
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT


# leak NAME FUNCTION PATTERN: suspect #1 of NAME's snapshots.
leak() {
    json "$work/$1.flat" "$work/$1"-*.pb.gz
    got="$(jf "$work/$1.flat" suspects.0.function) $(jf "$work/$1.flat" suspects.0.pattern)"
    tap_is "$1: #1 is named by the program's own function" "$got" "$2 $3"
    [ "$got" = "$2 $3" ] || "$AN" "$work/$1"-*.pb.gz 2>&1 | sed 's/^/# /'
    "$AN" "$work/$1"-*.pb.gz > "$work/$1.txt" 2>&1
    tap_is "$1: the function is one suspect, not one per call site" \
        "$(grep -c "^#[0-9]*  $2 " "$work/$1.txt")" 1
    tap_ok "$1: its call path keeps the frames without symbols below it" \
        grep -Eq "^    call path $2 -> .*\\+0x[0-9a-f]+" "$work/$1.txt"
    tap_ok "$1: no 'also' line twice" sh -c "[ -z \"\$(grep '^    also' '$work/$1.txt' | sort | uniq -d)\" ]"
}

# control NAME: no suspect.
control() {
    json "$work/$1.flat" --fail-on-leak "$work/$1"-*.pb.gz
    tap_is "$1: no suspect" "$(jf "$work/$1.flat" suspects.length) $rc" "0 0"
    [ "$(jf "$work/$1.flat" suspects.length)" = 0 ] || "$AN" "$work/$1"-*.pb.gz 2>&1 | sed 's/^/# /'
}

# perl: 2000 new hash keys every 10 ms, kept (leak) or dropped every 20000
# keys (control).
PERL_PROG='my ($keep) = @ARGV; my %h; my $i = 0;
while (1) {
    for (1 .. 2000) { $h{"key-$i-" . ("x" x 40)} = 1; $i++ }
    %h = () if !$keep && $i % 20000 == 0;
    select(undef, undef, undef, 0.01);
}'
env -u HEAPSNAP_RATE LD_PRELOAD="$HOOK" perl -e "$PERL_PROG" 1 &
pid=$!
snap_running perl
leak perl Perl_hv_common accumulating-entries
env -u HEAPSNAP_RATE LD_PRELOAD="$HOOK" perl -e "$PERL_PROG" 0 &
pid=$!
snap_running perl-control
control perl-control

# sqlite3: 5000 rows every 50 ms into an in-memory table (about 10 MB/s, 20
# samples a second at the default rate), kept (leak) or deleted after each
# batch (control). The feeder ends with sqlite3's stdin.
feed() {
    echo 'CREATE TABLE t(k TEXT PRIMARY KEY, v BLOB);'
    while :; do
        echo "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000)
              INSERT INTO t SELECT hex(randomblob(16)) || x, randomblob(40) FROM c;"
        [ "$1" = keep ] || echo 'DELETE FROM t;'
        sleep 0.05
    done
}
feed keep | env -u HEAPSNAP_RATE LD_PRELOAD="$HOOK" sqlite3 :memory: &
pid=$!
snap_running sqlite3
leak sqlite3 sqlite3BtreeInsert accumulating-entries
feed drop | env -u HEAPSNAP_RATE LD_PRELOAD="$HOOK" sqlite3 :memory: &
pid=$!
snap_running sqlite3-control
control sqlite3-control
# mawk: stripped of everything, even dynamic symbols; an array that keeps
# 2000 keys every 10 ms. Its suspect keeps its raw name, and one sentence names
# the debug package dpkg says would give names.
if command -v mawk >/dev/null && [ -x /usr/bin/mawk ]; then
    env -u HEAPSNAP_RATE LD_PRELOAD="$HOOK" /usr/bin/mawk 'BEGIN {
        while (1) {
            for (j = 0; j < 2000; j++) a["key-" i++ "-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"] = i
            system("sleep 0.01")
        } }' > /dev/null &
    pid=$!
    snap_running mawk
    "$AN" "$work"/mawk-*.pb.gz > "$work/mawk.txt" 2>&1
    tap_ok "mawk: #1 keeps its file+0xADDR name" grep -Eq '^#1  mawk\+0x[0-9a-f]+  accumulating-entries$' "$work/mawk.txt"
    grep -q '^#1  mawk' "$work/mawk.txt" || sed 's/^/# /' "$work/mawk.txt"
    want="    symbols   no frame of /usr/bin/mawk has a name: install its debug symbols"
    want="$want ($(dpkg -S /usr/bin/mawk | sed 's/[:,].*//')-dbgsym, from Debian's debian-debug archive) and take the snapshots again"
    tap_is "mawk: one sentence names the debug package" "$(grep '^    symbols' "$work/mawk.txt")" "$want"
else
    tap_skip "mawk is not installed"
    tap_skip "mawk is not installed"
fi
tap_done
