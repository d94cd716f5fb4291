#!/bin/sh
# lib/symbolize end to end on a copy of tests/progs/symtest (-g -O2): symbolized
# with its DWARF in place; stripped, with the DWARF in a separate file found by
# .gnu_debuglink and by build id under HEAPSNAP_DEBUG_DIR; with none at all.
# Then an address profile and a thread-stack profile pass google's validator
# and go tool pprof names the functions once the binaries are gone.
. "$top_srcdir/tests/tap.sh"
command -v objcopy >/dev/null && command -v strip >/dev/null || tap_skip_all "binutils (objcopy, strip) not installed"
work=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    exec 3>&- 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work"
lookup="$top_builddir/tests/progs/symlookup"
progs="$top_srcdir/tests/progs"

# The line carrying "SYMTEST:name" in tests/progs/FILE.
line() { grep -n "SYMTEST:$2\( \|\$\)" "$progs/$1" | cut -d: -f1; }

# Starts a symtest binary blocked on a fifo; sets pid and addrs.
mkfifo "$work/fifo"
exec 3<>"$work/fifo"
start() {
    : >"$work/out.$$" # exists before the loop below reads it (the job's redirection may come later)
    "$1" <"$work/fifo" >>"$work/out.$$" &
    pid=$!
    pids="$pids $pid"
    i=0
    while [ "$(wc -l <"$work/out.$$")" -lt 3 ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
    addrs=$(awk '{print $2}' "$work/out.$$" | tr '\n' ' ')
}

# symlookup's frames with each file reduced to its base name.
frames() { "$lookup" -p "$pid" -r $addrs | awk -F'\t' '{ if ($0 == "--") print; else { n = split($2, p, "/"); print $1 " " p[n] " " $3 } }'; }

want="symtest_known symtest.c:$(line symtest.c known_call) $(line symtest.c known_decl)
--
symtest_inner symtest.c:$(line symtest.c inner_call) $(line symtest.c inner_decl)
symtest_outer symtest.c:$(line symtest.c outer_call) $(line symtest.c outer_decl)
--
symtest::Widget::grow(int) symtest_cxx.cc:$(line symtest_cxx.cc grow_call) $(line symtest_cxx.cc grow_decl)
--"

mkdir -p "$work/bin" "$work/stripped" "$work/empty"
cp "$top_builddir/tests/progs/symtest" "$work/bin/symtest"
start "$work/bin/symtest"
tap_is "in-place DWARF: function, file:line, start line, inlined frame innermost first" "$(frames)" "$want"

# Stripped copy whose DWARF lives in symtest.debug.
cp "$work/bin/symtest" "$work/stripped/symtest"
objcopy --only-keep-debug "$work/stripped/symtest" "$work/symtest.debug"
strip "$work/stripped/symtest"
objcopy --add-gnu-debuglink="$work/symtest.debug" "$work/stripped/symtest"
id=$(readelf -n "$work/stripped/symtest" | awk '/Build ID/ {print $3}')
mkdir -p "$work/dl$work/stripped" "$work/bid/.build-id/$(echo "$id" | cut -c1-2)" "$work/none"
cp "$work/symtest.debug" "$work/dl$work/stripped/symtest.debug"
cp "$work/symtest.debug" "$work/bid/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug"
rm "$work/symtest.debug"
tap_ok "the stripped copy has no .debug_info and no .symtab" sh -c "! readelf -S '$work/stripped/symtest' | grep -q -e '\.debug_info' -e '\.symtab'"
start "$work/stripped/symtest"
tap_is "stripped, debug file by .gnu_debuglink under HEAPSNAP_DEBUG_DIR/<dir>" "$(HEAPSNAP_DEBUG_DIR=$work/dl frames)" "$want"
tap_is "stripped, debug file by build id under HEAPSNAP_DEBUG_DIR/.build-id" "$(HEAPSNAP_DEBUG_DIR=$work/bid frames)" "$want"
hex=$(echo "$addrs" | awk '{print $1}')
# Without symbols a frame is named by its file and ELF address (the same in
# every run, unlike the raw address): the mapping's file offset, through the
# PT_LOAD segment that holds it.
off=$(while read -r range perms foff rest; do
    lo=$((0x${range%-*})) hi=$((0x${range#*-}))
    if [ $((hex)) -ge $lo ] && [ $((hex)) -lt $hi ]; then echo $(($((hex)) - lo + 0x$foff)); break; fi
done <"/proc/$pid/maps")
vaddr=$(readelf -lW "$work/stripped/symtest" | while read -r t fo va pa fs rest; do
    if [ "$t" = LOAD ] && [ "$off" -ge $((fo)) ] && [ "$off" -lt $((fo + fs)) ]; then
        printf '%x\n' $((off - fo + va)); break
    fi
done)
tap_is "stripped, no debug file: named by file and ELF address" \
    "$(HEAPSNAP_DEBUG_DIR=$work/none "$lookup" -p "$pid" $hex | head -1)" "$(printf 'symtest+0x%s\t:0\t0' "$vaddr")"

# Profiles from the first copy, read after every binary is gone.
start "$work/bin/symtest"
"$lookup" -p "$pid" -r -o "$work/addrs.pb.gz" $addrs
tap_ok "threads of a running process stopped, unwound and written" "$lookup" -p "$pid" -T "$work/threads.pb.gz"
tap_ok "the process runs again after the thread capture" sh -c "! grep -q '^State:.*[tT]' /proc/$pid/status"
for p in $pids; do kill -9 "$p" 2>/dev/null; done
pids=""
rm -rf "$work/bin" "$work/stripped"
tap_ok "address profile passes google's CheckValid" "$PPROFCHECK" "$work/addrs.pb.gz"
tap_ok "thread profile passes google's CheckValid and threads/count" "$PPROFCHECK" -threads "$work/threads.pb.gz"

cd "$work/empty" || exit 1
top=$("$GO" tool pprof -top -lines ../addrs.pb.gz 2>&1)
for f in "symtest_known symtest.c:$(line symtest.c known_call)" \
    "symtest_inner symtest.c:$(line symtest.c inner_call)" \
    "symtest::Widget::grow symtest_cxx.cc:$(line symtest_cxx.cc grow_call)"; do
    got=$(printf '%s\n' "$top" | awk -v fn="${f% *}" '$6 == fn { n = split($7, p, "/"); print $6 " " p[n] }')
    tap_is "go tool pprof -top -lines, no binaries: $f" "$got" "$f"
done
traces=$("$GO" tool pprof -traces ../threads.pb.gz 2>&1)
tap_ok "go tool pprof -traces shows the blocked thread in symtest_block" sh -c "printf '%s' \"\$1\" | grep -q 'symtest_block'" _ "$traces"
tap_ok "go tool pprof -traces shows the thread label" sh -c "printf '%s' \"\$1\" | grep -q 'thread: *symtest$'" _ "$traces"
tap_is "the main binary is the address profile's first mapping" "$(printf '%s\n' "$top" | sed -n 's/^File: //p')" "symtest"
tap_is "the main binary is the thread profile's first mapping" "$(printf '%s\n' "$traces" | sed -n 's/^File: //p')" "symtest"
tap_done
