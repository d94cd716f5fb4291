#!/bin/sh
# tests/integration/faults_output.sh: output that cannot be written. A directory
# that is not writable (as an unprivileged user, and a read-only mount), a full
# disk (a full 64 KiB tmpfs), an output path that is a symbolic
# link (to a file, dangling) or a directory, a missing directory, stdout on
# /dev/full: heapsnap exits 1 with one sentence, writes no file and no temp
# file, overwrites nothing, and the program keeps running.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/stress/stress_lib.sh"

[ -x "$HEAPSNAP" ] && [ -x "$STRESS_PROG" ] || tap_bail "build heapsnap and stress_prog first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-output.XXXXXX")
logs=$(mktemp -d "${TMPDIR:-/tmp}/hs-output-logs.XXXXXX")
sl_pid=""; mnt=""; nobody_pid=""
cleanup() {
    [ -n "$sl_pid" ] && sl_stop "$sl_pid"
    [ -n "$nobody_pid" ] && kill -KILL "$nobody_pid" 2>/dev/null
    for m in $mnt; do umount "$m" 2>/dev/null; done
    rm -rf "$tmp" "$logs"
}
trap cleanup EXIT
sl_start "$logs/prog.out" -- -t 2 || tap_bail "stress_prog did not start"
pid=$sl_pid

# fails_cleanly DESC DIR ARGS...: heapsnap ARGS exits 1 with one line
# "heapsnap: ..." on stderr, DIR's listing (names, sizes, link targets) is
# unchanged, no temp file appears, and the program still runs.
fails_cleanly() {
    desc=$1; dir=$2; shift 2
    before=$(ls -lA --time-style=+ "$dir" 2>/dev/null | sed 1d)
    "$@" > "$logs/hs.out" 2> "$logs/hs.err"
    rc=$?
    after=$(ls -lA --time-style=+ "$dir" 2>/dev/null | sed 1d)
    why=""
    [ "$rc" -eq 1 ] || why="exit $rc"
    [ "$(wc -l < "$logs/hs.err")" -eq 1 ] || why="$why; $(wc -l < "$logs/hs.err") lines on stderr"
    grep -q '^heapsnap: [^ ]' "$logs/hs.err" || why="$why; stderr is not 'heapsnap: sentence'"
    [ "$before" = "$after" ] || why="$why; $dir changed"
    sl_running "$pid" || why="$why; program not running ($(sl_state "$pid"))"
    if [ -z "$why" ]; then tap_ok "$desc" true; else
        tap_ok "$desc" false; echo "# $why"; sed 's/^/#   stderr: /' "$logs/hs.err" | head -n 4
        printf '%s\n' "$before" | sed 's/^/#   before: /'; printf '%s\n' "$after" | sed 's/^/#   after:  /'
    fi
    sed 's/^/#   -> /' "$logs/hs.err" | head -n 1
}

# symbolic links and directories
printf 'keep me\n' > "$tmp/target.pb.gz"
ln -s "$tmp/target.pb.gz" "$tmp/link.pb.gz"
ln -s "$tmp/nowhere.pb.gz" "$tmp/dangling.pb.gz"
mkdir "$tmp/adir"
fails_cleanly "-o a symlink to a file: refused, link and target intact" "$tmp" \
    "$HEAPSNAP" -p "$pid" -o "$tmp/link.pb.gz"
tap_is "the link's target still holds its old content" "$(cat "$tmp/target.pb.gz")" "keep me"
fails_cleanly "-o a dangling symlink: refused, nothing created" "$tmp" \
    "$HEAPSNAP" -p "$pid" -o "$tmp/dangling.pb.gz"
tap_ok "the dangling link's target was not created" [ ! -e "$tmp/nowhere.pb.gz" ]
fails_cleanly "-o a directory: refused" "$tmp" "$HEAPSNAP" -p "$pid" -o "$tmp/adir"
fails_cleanly "--threads a symlink: refused, link intact" "$tmp" \
    "$HEAPSNAP" -p "$pid" -o "$tmp/adir/p.pb.gz" --threads "$tmp/link.pb.gz"
# Every output path is checked before the process is stopped, so a bad
# --threads leaves no heap profile behind under -o.
tap_is "exit 1 leaves no heap profile behind when --threads cannot be written" \
    "$(ls -A "$tmp/adir")" ""
fails_cleanly "--threads in a missing directory: refused, no -o written" "$tmp/adir" \
    "$HEAPSNAP" -p "$pid" -o "$tmp/adir/p.pb.gz" --threads "$tmp/missing/t.pb.gz"
fails_cleanly "periodic --threads in a missing directory: refused, no -o written" "$tmp/adir" \
    "$HEAPSNAP" -p "$pid" -i 100ms -n 2 -o "$tmp/adir/s-%d.pb.gz" --threads "$tmp/missing/t-%d.pb.gz"
rm -f "$tmp/adir/p.pb.gz"
fails_cleanly "-o in a missing directory: refused" "$tmp" \
    "$HEAPSNAP" -p "$pid" -o "$tmp/missing/x.pb.gz"
fails_cleanly "periodic -o pattern in a missing directory: refused" "$tmp" \
    "$HEAPSNAP" -p "$pid" -i 100ms -n 2 -o "$tmp/missing/s-%d.pb.gz"
if [ -w /dev/full ]; then
    fails_cleanly "--stats --json with stdout on /dev/full: exit 1" "$tmp" \
        sh -c '"$0" -p "$1" --stats --json > /dev/full' "$HEAPSNAP" "$pid"
fi

# a directory the user cannot write to (program and heapsnap run as nobody)
if [ "$(id -u)" = 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    nb="setpriv --reuid=65534 --regid=65534 --clear-groups"
    mkdir "$tmp/nb" "$tmp/nb/ro" && chmod 755 "$tmp" "$tmp/nb" "$tmp/nb/ro"
    $nb "$STRESS_PROG" -t 1 > "$tmp/nb/prog.out" 2>&1 &
    nobody_pid=$!
    sl_wait_line "$tmp/nb/prog.out" '"ready"'
    fails_cleanly "as nobody, -o in a directory owned by root (0755): refused" "$tmp/nb/ro" \
        $nb "$HEAPSNAP" -p "$nobody_pid" -o "$tmp/nb/ro/x.pb.gz"
    tap_ok "the nobody-owned program still runs" sl_running "$nobody_pid"
    kill -KILL "$nobody_pid"; wait "$nobody_pid" 2>/dev/null; nobody_pid=""
else
    tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP cannot run as nobody (not root or no setpriv)"
fi

# mounts: read-only, and full (skipped where mount is not permitted). On the
# full one the temp file is created (tmpfs has inodes left) and the write fails.
mkdir "$tmp/ro" "$tmp/full"
if mount -t tmpfs -o size=64k,ro tmpfs "$tmp/ro" 2>/dev/null; then
    mnt="$mnt $tmp/ro"
    fails_cleanly "-o on a read-only file system: refused" "$tmp/ro" \
        "$HEAPSNAP" -p "$pid" -o "$tmp/ro/x.pb.gz"
else
    tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP mount -t tmpfs is not permitted here"
fi
if mount -t tmpfs -o size=64k tmpfs "$tmp/full" 2>/dev/null; then
    mnt="$mnt $tmp/full"
    printf 'old profile\n' > "$tmp/full/prev.pb.gz"
    dd if=/dev/zero of="$tmp/full/fill" bs=1k 2>/dev/null
    fails_cleanly "-o on a full disk (64 KiB tmpfs): ENOSPC, old file intact" "$tmp/full" \
        "$HEAPSNAP" -p "$pid" -o "$tmp/full/prev.pb.gz"
    tap_is "the old file under that name is unchanged" "$(cat "$tmp/full/prev.pb.gz")" "old profile"
    fails_cleanly "periodic mode on a full disk: exit 1, nothing written" "$tmp/full" \
        "$HEAPSNAP" -p "$pid" -i 100ms -n 3 -o "$tmp/full/s-%d.pb.gz"
else
    tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP mount -t tmpfs is not permitted here"
fi
tap_ok "the program still runs at the end" sl_running "$pid"
tap_done
