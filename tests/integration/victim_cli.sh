#!/bin/sh
# tests/integration/victim_cli.sh: heapsnap-victim's command line: --list names
# every scenario, --help/--version, usage errors exit 2 with one sentence, and
# the man page documents every --help option and passes mandoc -Tlint.
. "$top_srcdir/tests/tap.sh"

V="$top_builddir/heapsnap-victim"
MAN="$top_srcdir/man/heapsnap-victim.1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$V" --list > "$tmp/list"
tap_is "--list exits 0" "$?" 0
tap_is "--list names every scenario and control in order" \
    "$(awk '{printf "%s ", $1}' "$tmp/list")" "slice map queue strdup errpath steady plateau fragment "
tap_is "--list marks five leaks and three controls" \
    "$(awk '{print $2}' "$tmp/list" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')" \
    "control=3 leak=5 "

"$V" --help > "$tmp/help"
tap_is "--help exits 0" "$?" 0
tap_is "--help starts with the usage line" "$(head -n 1 "$tmp/help")" \
    "Usage: heapsnap-victim --scenario NAME [OPTIONS]"

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
tap_is "--version prints the package version" "$("$V" --version)" "heapsnap-victim $version"

# Each usage error: exit 2, nothing on stdout, one line on stderr that names
# heapsnap-victim and ends a sentence.
usage_error() {
    "$V" "$@" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] &&
        grep -q '^heapsnap-victim: .*\.$' "$tmp/err"
}
tap_ok "unknown option exits 2 with one sentence" usage_error --scenario slice --bogus
tap_ok "unknown short option exits 2" usage_error -s slice -q
tap_ok "no scenario exits 2" usage_error --duration 1s
tap_ok "unknown scenario exits 2" usage_error --scenario nosuch
tap_ok "missing value exits 2" usage_error --scenario
tap_ok "stray argument exits 2" usage_error slice
tap_ok "--threads 0 exits 2" usage_error -s slice --threads 0
tap_ok "--threads 65 exits 2" usage_error -s slice --threads 65
tap_ok "--rate -1 exits 2" usage_error -s slice --rate -1
tap_ok "--rate abc exits 2" usage_error -s slice --rate abc
tap_ok "--duration 5x exits 2" usage_error -s slice --duration 5x
tap_ok "--duration 0 exits 2" usage_error -s slice --duration 0
tap_ok "--max-mb 0 exits 2" usage_error -s slice --max-mb 0
tap_ok "--max-mb below the program's own size exits 2" usage_error -s slice --max-mb 2
tap_ok "--seed 1.5 exits 2" usage_error -s slice --seed 1.5
tap_ok "--http without a port exits 2" usage_error -s slice --http localhost
"$V" --threads 0 -s slice 2> "$tmp/err"
tap_is "the --threads message names the range and the value" "$(cat "$tmp/err")" \
    "heapsnap-victim: --threads takes a whole number from 1 to 64, not '0'."

# Durations as the banner reads them back: units ms, s, m, h, plain seconds.
banner_duration() {
    rm -f "$tmp/dur.out" # not the last run's banner, read before this one truncates it
    "$V" --scenario steady --rate 10 --duration "$1" > "$tmp/dur.out" 2>&1 &
    dpid=$!
    i=0 # a hang guard (5 min), not a timing claim: a loaded machine starts it late
    while [ "$i" -lt 3000 ] && kill -0 "$dpid" 2>/dev/null && ! grep -q "Profile it" "$tmp/dur.out"; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -TERM "$dpid" 2> /dev/null
    wait "$dpid"
    head -n 1 "$tmp/dur.out" | sed -n 's/.*MiB of data), \(.*\)\.$/\1/p'
}
tap_is "--duration 500ms" "$(banner_duration 500ms)" "for 500 ms"
tap_is "--duration 1500ms" "$(banner_duration 1500ms)" "for 1500 ms"
tap_is "--duration 10s" "$(banner_duration 10s)" "for 10 s"
tap_is "--duration 5m" "$(banner_duration 5m)" "for 300 s"
tap_is "--duration 1h" "$(banner_duration 1h)" "for 3600 s"
tap_is "--duration 30 (plain seconds)" "$(banner_duration 30)" "for 30 s"
rm -f "$tmp/dur.out" # not the last run's banner (its handler would not be in place yet)
"$V" --scenario steady --rate 10 > "$tmp/dur.out" 2>&1 &
dpid=$!
i=0
while [ "$i" -lt 3000 ] && ! grep -q "Profile it" "$tmp/dur.out"; do
    sleep 0.1
    i=$((i + 1))
done
tap_ok "without --duration it runs until killed" kill -0 "$dpid"
kill -TERM "$dpid"
wait "$dpid"
tap_is "... and exits 0 on SIGTERM" "$?" 0
tap_is "... and the banner says so" \
    "$(head -n 1 "$tmp/dur.out" | sed -n 's/.*MiB of data), \(.*\)\.$/\1/p')" "until killed"

# The man page: lint clean (warnings and above; cross references to the other
# heapsnap pages are unresolved until they are installed) and every option.
"${MANDOC:-mandoc}" -Tlint -Wwarning "$MAN" > "$tmp/lint" 2>&1
tap_is "mandoc -Tlint -Wwarning is clean" "$?:$(cat "$tmp/lint")" "0:"
"${MANDOC:-mandoc}" -Tascii "$MAN" 2>/dev/null | sed 's/.\x08//g' > "$tmp/man.txt"
grep -o -- '--[a-z][a-z-]*' "$tmp/help" | sort -u > "$tmp/opts"
grep -o -- '^  -[a-zA-Z]' "$tmp/help" | sed 's/^  //' | sort -u >> "$tmp/opts"
tap_is "--help lists 11 long and 9 short options" "$(wc -l < "$tmp/opts")" 20
missing=""
while read -r opt; do
    grep -q -- "$opt\([^a-z-]\|$\)" "$tmp/man.txt" || missing="$missing $opt"
done < "$tmp/opts"
tap_is "every --help option appears in heapsnap-victim(1)" "$missing" ""
for s in slice map queue strdup errpath steady plateau fragment; do
    grep -q "^     $s " "$tmp/man.txt" || missing="$missing $s"
done
tap_is "every scenario is described in heapsnap-victim(1)" "$missing" ""

tap_done
