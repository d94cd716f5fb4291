#!/bin/sh
# tests/integration/dwtypes.sh: the DWARF types of a C program's heap
# (tests/progs/dwtypes_prog.c) in heapsnap's "type" label: a hash table's
# bucket array and chains, a list and its double arrays, an array of
# pointers to structs, a struct's strings, a thread-local pointer's struct
# and its buffer -- at -O0 and -O2, each case's
# bytes at least 90 % under its exact type and none beyond them; the same
# for libstdc++'s containers (tests/progs/dwtypes_cxx.cc: vector and string
# buffers, map, unordered_map and list nodes, deque blocks, a class in a
# namespace, its name qualified as its vtable would give it); and the C
# program without debug info: no DWARF type, and it runs on.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
. "$top_srcdir/tests/integration/types_common.sh"
tap_need_ptrace
command -v "${GO:-go}" >/dev/null 2>&1 || tap_skip_all "go is needed (install golang-go)"
command -v objcopy >/dev/null || tap_skip_all "objcopy (binutils) is not installed"
GO=${GO:-go}
O0=$top_builddir/tests/progs/dwtypes_O0
O2=$top_builddir/tests/progs/dwtypes_O2
CXX=$top_builddir/tests/progs/dwtypes_cxx
[ -x "$O0" ] && [ -x "$O2" ] && [ -x "$CXX" ] ||
    tap_skip_all "tests/progs/dwtypes_O0/_O2/_cxx are not built"
cp "$O0" "$snap_tmp/dwtypes_nodebug" && objcopy --strip-debug "$snap_tmp/dwtypes_nodebug" ||
    tap_bail "cannot strip a copy of dwtypes_O0"

check() {
    run "$1" "$2"
    st=$snap_tmp/$1.status
    expect "$1" "struct session *[] in table::buckets" "$(field "$st" buckets)"
    expect "$1" "struct session" "$(field "$st" sessions)"
    expect "$1" "char[] in session::user" "$(field "$st" users)"
    expect "$1" "struct node" "$(field "$st" nodes)"
    expect "$1" "double[] in node::xs" "$(field "$st" xs)"
    expect "$1" "struct item" "$(field "$st" items)"
    expect "$1" "struct config" "$(field "$st" config)"
    names=$(($(type_bytes "$1.pb.gz" "char[] in config::name") +
        $(type_bytes "$1.pb.gz" "char[] in config::path")))
    tap_is "$1: config's two strings under their members" "$names" "$(field "$st" names)"
    expect "$1" "struct tls_buf" "$(field "$st" tls)"
    expect "$1" "char[] in tls_buf::data" "$(field "$st" tlsdata)"
    tap_ok "$1: the evidence is dwarf" sh -c "cd '$snap_tmp' && HOME='$snap_tmp' '$GO' tool \
pprof -tags $1.pb.gz 2>/dev/null | grep -q ': dwarf$'"
    us=$(sed -n 's/.*"types_us":\([0-9]*\).*/\1/p' "$snap_tmp/$1.json")
    echo "# $1: DWARF type stage $us us (after the resume), $(sed -n \
        's/.*"dwarf_typed_bytes":\([0-9]*\).*/\1/p' "$snap_tmp/$1.json") bytes typed"
    tap_ok "$1: the process runs on" snap_running "$pid"
}

check O0 "$O0"
check O2 "$O2"

# --histo counts the same types: a row per DWARF type.
"$HEAPSNAP" -p "$pid" --histo --json >"$snap_tmp/histo.json" 2>"$snap_tmp/histo.err"
tap_is "histo: --histo --json exits 0" "$?" 0
tap_ok "histo: 3000 struct session, all the sessions' bytes" grep -qF \
    "{\"type\":\"struct session\",\"from\":\"dwarf\",\"objects\":3000,\"bytes\":$(field "$snap_tmp/O2.status" sessions)}" \
    "$snap_tmp/histo.json"
"$HEAPSNAP" -p "$pid" --histo >"$snap_tmp/histo.txt" 2>&1
tap_ok "histo: a text row of 3000 'char[] in session::user'" \
    grep -qE '^ +[0-9]+ +3000 +[0-9]+ +[0-9]+  char\[\] in session::user$' "$snap_tmp/histo.txt"
sed 's/^/# /' "$snap_tmp/histo.txt" | head -8

run cxx "$CXX"
st=$snap_tmp/cxx.status
expect cxx "Session[] in g_vec" "$(field "$st" vec)"
expect cxx "char[] in Session::user" "$(field "$st" users)"
expect cxx "double[] in g_xs" "$(field "$st" xs)"
expect cxx "char[] in g_str" "$(field "$st" str)"
expect cxx "std::pair<int const, Session> node in g_map" "$(field "$st" map)"
expect cxx "std::pair<long int const, Session> node in g_umap" "$(field "$st" umap)"
expect cxx "shop::Cart" "$(field "$st" cart)"
expect cxx "long int[] in shop::Cart::items" "$(field "$st" items)"
expect cxx "Session node in g_list" "$(field "$st" list)"
deque=$(type_bytes cxx.pb.gz "Session[] in g_deque")
tap_ok "cxx: the deque's blocks hold its 1000 48-byte Sessions ($deque bytes)" \
    test "$deque" -ge 48000 -a "$deque" -le 60000
tap_ok "cxx: the process runs on" snap_running "$pid"

# Without debug info: no DWARF type of the program's own, and nothing else
# goes wrong. (libc's DWARF, from libc6-dbg, still types its TLS variable
# tcache's struct in each thread that has one.)
run nodebug "$snap_tmp/dwtypes_nodebug"
typed=$(sed -n 's/.*"dwarf_typed_bytes":\([0-9]*\).*/\1/p' "$snap_tmp/nodebug.json")
tap_is "nodebug: only libc's own chunks typed" \
    "$typed" "$(type_bytes nodebug.pb.gz 'struct tcache_perthread_struct')"
tap_is "nodebug: no type label in the profile" \
    "$(type_bytes nodebug.pb.gz 'struct session')" 0
tap_ok "nodebug: the process runs on" snap_running "$pid"
tap_done
