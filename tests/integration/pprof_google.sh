#!/bin/sh
# Profiles written by lib/pprof must pass google/pprof's CheckValid and Go's
# heap conventions, and `go tool pprof` must read them offline (no binaries).
. "$top_srcdir/tests/tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work"

"$top_builddir/tests/progs/write_profile" "$work/a.pb.gz" 1
"$top_builddir/tests/progs/write_profile" "$work/b.pb.gz" 5
tap_ok "profile a passes google's CheckValid and heap conventions" "$PPROFCHECK" -heap "$work/a.pb.gz"
tap_ok "profile b passes google's CheckValid and heap conventions" "$PPROFCHECK" -heap "$work/b.pb.gz"
tap_is "inuse_space total as google reads it" "$("$PPROFCHECK" -sum inuse_space "$work/a.pb.gz")" 64320

cd "$work" || exit 1
top=$("$GO" tool pprof -top -nodecount=10 b.pb.gz 2>&1)
first=$(printf '%s\n' "$top" | awk '/flat%/ {getline; print $6; exit}')
tap_is "go tool pprof -top puts the leaking inlined frame first" "$first" "append_record"
tap_ok "go tool pprof -top shows the total in use" sh -c "printf '%s' \"\$1\" | grep -q '312.81kB total'" _ "$top"

diff=$("$GO" tool pprof -top -base a.pb.gz b.pb.gz 2>&1)
first=$(printf '%s\n' "$diff" | awk '/flat%/ {getline; print $1, $6; exit}')
tap_is "go tool pprof -top -base shows the growth at the leaking site" "$first" "250kB append_record"
lines=$("$GO" tool pprof -lines -top b.pb.gz 2>&1 | awk '/flat%/ {getline; print $6, $7; exit}')
tap_is "file:line of the leaking frame survives offline" "$lines" "append_record leaky.c:14"
tap_done
