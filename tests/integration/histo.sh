#!/bin/sh
# tests/integration/histo.sh: heapsnap --histo on a C++ heap of known classes
# (tests/progs/types_prog): every object counted under its dynamic class --
# through a base pointer, a second base, a namespace, an anonymous namespace
# -- in the binary as built, in a stripped copy (RTTI names, no symbols) and
# with the hook preloaded; the chunks without a class by size; the process
# runs on and exits 0.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
tap_need_ptrace
PROG=$top_builddir/tests/progs/types_prog
[ -x "$PROG" ] || tap_skip_all "tests/progs/types_prog is not built"
command -v objcopy >/dev/null || tap_skip_all "objcopy (binutils) is not installed"
cp "$PROG" "$snap_tmp/types_stripped" && objcopy --strip-all "$snap_tmp/types_stripped" ||
    tap_bail "cannot strip a copy of types_prog"

# count JSON CLASS: the objects of CLASS in a --histo --json output
count() {
    sed -n "s/.*{\"type\":\"$2\",\"from\":\"vtable\",\"objects\":\([0-9]*\),.*/\1/p" "$1"
}

# check LABEL BINARY [PRELOAD]
check() {
    out=$snap_tmp/$1.out
    rm -f "$out"
    mkfifo "$snap_tmp/$1.in"
    LD_PRELOAD=${3:-} "$2" <"$snap_tmp/$1.in" >"$out" &
    pid=$!
    snap_pids="$snap_pids $pid"
    exec 7>"$snap_tmp/$1.in"
    tap_wait_for "$out" '"ready"' || tap_bail "$1: types_prog did not start"
    "$HEAPSNAP" -p "$pid" --histo --json >"$snap_tmp/$1.json" 2>"$snap_tmp/$1.err"
    tap_is "$1: --histo --json exits 0" "$?" 0
    got=""
    for c in Circle Square 'shop::Session' Both '(anonymous namespace)::Local'; do
        got="$got $c=$(count "$snap_tmp/$1.json" "$c")"
    done
    tap_is "$1: every object under its dynamic class" "$got" \
        " Circle=1000 Square=500 shop::Session=300 Both=200 (anonymous namespace)::Local=100"
    tap_ok "$1: the untyped 4000-byte buffers counted by size" \
        grep -qE '"type":null,"chunk_size":4016,"sampled":[0-9]+,"objects":5[0-9],' "$snap_tmp/$1.json"
    tap_ok "$1: the process runs on" snap_running "$pid"
    exec 7>&-
    wait "$pid"
    tap_is "$1: the program exits 0" "$?" 0
}

check built "$PROG"
if readelf -S "$snap_tmp/types_stripped" | grep -q '\.symtab'; then
    tap_ok "the stripped copy has no symbol table" false
else
    tap_ok "the stripped copy has no symbol table" true
fi
check stripped "$snap_tmp/types_stripped"
[ -e "$HOOK" ] && check hooked "$PROG" "$HOOK"

# The text form: a header, a row per class with its count, and a total.
mkfifo "$snap_tmp/t.in"
"$PROG" <"$snap_tmp/t.in" >"$snap_tmp/t.out" &
pid=$!
snap_pids="$snap_pids $pid"
exec 7>"$snap_tmp/t.in"
tap_wait_for "$snap_tmp/t.out" '"ready"' || tap_bail "types_prog did not start"
"$HEAPSNAP" -p "$pid" --histo >"$snap_tmp/text" 2>&1
tap_ok "text: a Circle row with 1000 objects" grep -qE '^ +[0-9]+ +1000 +[0-9]+ +[0-9]+  Circle$' "$snap_tmp/text"
tap_ok "text: a Total line" grep -qE '^Total +[0-9]+ +[0-9]+$' "$snap_tmp/text"
sed 's/^/# /' "$snap_tmp/text" | head -12
exec 7>&-
wait "$pid"

# The same classes as the profile's "type" label (HEAPSNAP_RATE=1: exact
# counts): go tool pprof -tagfocus type=^CLASS$ selects every object of it
# (unanchored, shop::Session would also match main's vector buffer, typed
# 'shop::Session *[] in main::sessions' from main's stack slot).
mkfifo "$snap_tmp/p.in"
rm -f "$snap_tmp/p.out"
LD_PRELOAD=$HOOK HEAPSNAP_RATE=1 "$PROG" <"$snap_tmp/p.in" >"$snap_tmp/p.out" &
pid=$!
snap_pids="$snap_pids $pid"
exec 7>"$snap_tmp/p.in"
tap_wait_for "$snap_tmp/p.out" '"ready"' || tap_bail "types_prog did not start"
"$HEAPSNAP" -p "$pid" -o "$snap_tmp/p.pb.gz" --json >"$snap_tmp/p.json" 2>"$snap_tmp/p.err"
# typed_chunks counts the DWARF-typed ones too (libc's stdio buffer, char[])
typed=$(sed -n 's/.*"typed_chunks":\([0-9]*\),.*"dwarf_typed_chunks":\([0-9]*\),.*/\1 \2/p' \
    "$snap_tmp/p.json")
tap_is "profile: 2100 chunks typed by their vtables" "$(echo "$typed" | awk '{ print $1 - $2 }')" 2100
got=""
for c in Circle Square 'shop::Session' Both; do
    n=$( (cd "$snap_tmp" && HOME=$snap_tmp "$GO" tool pprof -sample_index=inuse_objects -top \
        -tagfocus="type=^$c\$" p.pb.gz 2>/dev/null) |
        sed -n 's/.*accounting for \([0-9]*\), .*/\1/p')
    got="$got $c=$n"
done
tap_is "profile: -tagfocus type=CLASS selects each class's objects" "$got" \
    " Circle=1000 Square=500 shop::Session=300 Both=200"
tap_ok "profile: the type's evidence is the type_from label" sh -c \
    "cd '$snap_tmp' && HOME='$snap_tmp' '$GO' tool pprof -tags p.pb.gz 2>/dev/null | grep -q 'vtable'"
exec 7>&-
wait "$pid"

"$HEAPSNAP" -p "$pid" --histo --stats >/dev/null 2>"$snap_tmp/usage"
tap_is "--histo --stats is a usage error" "$?" 2

# Records behind a void * at the hook's default rate: only the sampled
# ones are typed (by their allocating line); the row of their size says what
# the sampled ones of that size are (about 24 of the 100000 are sampled).
ST=$top_builddir/tests/progs/sampled_types
rm -f "$snap_tmp/st.status"
LD_PRELOAD=$HOOK "$ST" "$snap_tmp/st.status" &
spid=$!
snap_pids="$snap_pids $spid"
tap_wait_for "$snap_tmp/st.status" 'ready' || tap_bail "sampled_types did not start"
"$HEAPSNAP" -p "$spid" --histo --json >"$snap_tmp/st.json" 2>"$snap_tmp/st.err"
row=$(tr '{' '\n' <"$snap_tmp/st.json" | grep '"chunk_size":144,')
tap_ok "sampled records: the 144-byte row says its sampled chunks are struct sample_rec ($row)" \
    sh -c "printf '%s' \"\$1\" | grep -qE '\"sampled\":([0-9]+),\"sampled_type\":\"struct sample_rec\",\"sampled_typed\":\\1,'" _ "$row"
"$HEAPSNAP" -p "$spid" --histo >"$snap_tmp/st.txt" 2>&1
tap_ok "sampled records: and the text row too" \
    grep -qE '\[unknown 144-byte chunks; the sampled ones: ([0-9]+) of \1 struct sample_rec\]$' "$snap_tmp/st.txt"
sed 's/^/# /' "$snap_tmp/st.txt" | head -5
kill "$spid"
tap_done
