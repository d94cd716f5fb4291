# tests/integration/types_common.sh: what the type tests (dwtypes.sh,
# stacktypes.sh) read from a test program's status line and from heapsnap's
# profile. Sourced after snap_common.sh; needs GO.

# field STATUS NAME: a number from the program's status line
field() {
    sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"
}

# type_bytes PROFILE TYPE: inuse bytes of the samples whose type is TYPE
type_bytes() {
    re=$(printf '%s' "$2" | sed 's/[][*.^$\\+?(){}|]/\\&/g')
    n=$( (cd "$snap_tmp" && HOME=$snap_tmp GO111MODULE=off "$GO" tool pprof -top -unit=B \
        -sample_index=inuse_space -tagfocus="type=^$re\$" "$1" 2>/dev/null) |
        sed -n 's/^Showing nodes accounting for \([0-9]*\)B,.*/\1/p')
    echo "${n:-0}"
}

# run NAME PROG: starts PROG (its status file the argument), waits for its
# status line, snapshots it (NAME.pb.gz, NAME.json); $pid is PROG's
run() {
    st=$snap_tmp/$1.status
    rm -f "$st"
    "$2" "$st" &
    pid=$!
    snap_pids="$snap_pids $pid"
    tap_wait_for "$st" '"ready"' || tap_bail "$1 did not get ready within 5 minutes"
    "$HEAPSNAP" -p "$pid" -o "$snap_tmp/$1.pb.gz" --json >"$snap_tmp/$1.json" \
        2>"$snap_tmp/$1.err"
    tap_is "$1: heapsnap exits 0" "$?" 0
}

# expect NAME TYPE WANT: WANT bytes (a case's chunks) carry TYPE: >= 90 %,
# and no other chunk does (<= 100 %)
expect() {
    got=$(type_bytes "$1.pb.gz" "$2")
    ok=$(awk -v g="$got" -v w="$3" 'BEGIN { print (w > 0 && g >= 0.9 * w && g <= w) ? 1 : 0 }')
    tap_is "$1: '$2' on $got of the case's $3 bytes" "$ok" 1
}
