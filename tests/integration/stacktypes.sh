#!/bin/sh
# tests/integration/stacktypes.sh: DWARF types from the threads' local
# variables (tests/progs/stacktypes_prog.c): a list only main's `head`
# holds, a table only a second thread's `tab` holds, both threads blocked in
# read(). At -O0 both live in stack slots: each case's bytes at least 90 %
# under its exact type in the profile, and in --histo. At -O2 `tab` (its
# address taken) is still a slot; `head` lives in a callee-saved register
# across the call in main's frame, which the unwind recovers from where the
# frames below saved it: typed as well. A third thread's list is held only
# by a parameter of its blocked function: typed from the parameter at both
# levels.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
. "$top_srcdir/tests/integration/types_common.sh"
tap_need_ptrace
command -v "${GO:-go}" >/dev/null 2>&1 || tap_skip_all "go is needed (install golang-go)"
GO=${GO:-go}
O0=$top_builddir/tests/progs/stacktypes_O0
O2=$top_builddir/tests/progs/stacktypes_O2
[ -x "$O0" ] && [ -x "$O2" ] || tap_skip_all "tests/progs/stacktypes_O0/_O2 are not built"

# stack_roots NAME: the type stage's figures from the --json line
stack_roots() {
    echo "# $1: $(sed -n 's/.*\("dwarf_typed_chunks".*\)}/\1/p' "$snap_tmp/$1.json")"
}

# the worker's table, in its frame at every level
check_table() {
    st=$snap_tmp/$1.status
    expect "$1" "struct entry *[] in table::slots" "$(field "$st" tslots)"
    expect "$1" "struct entry" "$(field "$st" tentries)"
    expect "$1" "char[] in entry::label" "$(field "$st" tlabels)"
}

run O0 "$O0"
stack_roots O0
check_table O0
st=$snap_tmp/O0.status
expect O0 "struct lnode" "$(field "$st" lnodes)"
expect O0 "char[] in lnode::name" "$(field "$st" lnames)"
expect O0 "double[] in lnode::xs" "$(field "$st" lxs)"
expect O0 "struct pnode" "$(field "$st" pnodes)"
tap_ok "O0: typed roots from stack slots" grep -q '"dwarf_stack_slots":[1-9]' "$snap_tmp/O0.json"
tap_ok "O0: the evidence is dwarf" sh -c "cd '$snap_tmp' && HOME='$snap_tmp' '$GO' tool \
pprof -tags O0.pb.gz 2>/dev/null | grep -q ': dwarf$'"
tap_ok "O0: pprof -tags lists struct lnode" sh -c "cd '$snap_tmp' && HOME='$snap_tmp' '$GO' \
tool pprof -tags O0.pb.gz 2>/dev/null | grep -q ': struct lnode$'"

# --histo names the same types.
"$HEAPSNAP" -p "$pid" --histo >"$snap_tmp/histo.txt" 2>&1
tap_is "histo: --histo exits 0" "$?" 0
tap_ok "histo: a row of 400 struct lnode" \
    grep -qE '^ +[0-9]+ +400 +[0-9]+ +[0-9]+  struct lnode$' "$snap_tmp/histo.txt"
tap_ok "histo: a row of 300 struct entry" \
    grep -qE '^ +[0-9]+ +300 +[0-9]+ +[0-9]+  struct entry$' "$snap_tmp/histo.txt"
sed 's/^/# /' "$snap_tmp/histo.txt" | head -10
tap_ok "O0: the process runs on" snap_running "$pid"

run O2 "$O2"
stack_roots O2
check_table O2
st=$snap_tmp/O2.status
expect O2 "struct lnode" "$(field "$st" lnodes)"
expect O2 "char[] in lnode::name" "$(field "$st" lnames)"
expect O2 "double[] in lnode::xs" "$(field "$st" lxs)"
expect O2 "struct pnode" "$(field "$st" pnodes)"
tap_ok "O2: main's head from a register" grep -q '"dwarf_stack_values":[1-9]' "$snap_tmp/O2.json"
tap_ok "O2: the process runs on" snap_running "$pid"
tap_done
