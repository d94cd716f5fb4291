#!/bin/sh
# tests/integration/debuginfod_fetch.sh: a stripped program's frames get names
# from a debuginfod server. The test splits snap_leaker into a stripped copy
# and its debug file (objcopy --only-keep-debug), serves the debug file with
# Debian's debuginfod on 127.0.0.1 (started and stopped here, bounded in
# time), and snapshots the stripped copy with the hook at rate 1: without
# DEBUGINFOD_URLS its frames are offsets, with it they are names and lines,
# and the client's cache keeps them once the server is gone.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"
[ -x "$LEAKER" ] || tap_skip_all "tests/progs/snap_leaker is not built"

# Debian's server, installed by scripts/install-deps; installed here if root.
if ! command -v debuginfod >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
    command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get -qq install -y --no-install-recommends \
        debuginfod >/dev/null 2>&1
fi
command -v debuginfod >/dev/null 2>&1 || tap_skip_all "Debian's debuginfod cannot be installed here"
command -v curl >/dev/null 2>&1 || tap_bail "curl is needed to wait for the server (scripts/install-deps)"

# The stripped program and, in its own directory, its debug file.
prog=$snap_tmp/prog
srv=$snap_tmp/srv
mkdir -p "$srv" "$snap_tmp/nodebug"
cp "$LEAKER" "$prog" &&
    objcopy --only-keep-debug "$prog" "$srv/prog.debug" &&
    strip --strip-all "$prog" || tap_bail "cannot split snap_leaker's debug info"
buildid=$(readelf -n "$prog" | sed -n 's/.*Build ID: *//p')
[ -n "$buildid" ] || tap_bail "snap_leaker has no build id"
leak_line=$(grep -n SNAP_LEAK_LINE "$top_srcdir/tests/progs/snap_leaker.c" | cut -d: -f1)

# The first row of `go tool pprof -top` (function, or function and file:line with -lines).
first_row() {
    (cd "$snap_tmp" && HOME=$snap_tmp "$GO" tool pprof -top "$@" 2>/dev/null) |
        sed -n '/flat%/{n;p;q}' | awk '{print $6, $7}' | sed 's/ $//; s| .*/| |'
}

# No local debug file anywhere: HEAPSNAP_DEBUG_DIR is an empty directory.
export HEAPSNAP_DEBUG_DIR=$snap_tmp/nodebug
unset DEBUGINFOD_URLS
export DEBUGINFOD_CACHE_PATH=$snap_tmp/cache
leaker_status=$snap_tmp/status
LD_PRELOAD=$HOOK HEAPSNAP_RATE=1 "$prog" "$leaker_status" --mb 1 --leak 1000 --size 1000 &
leaker_pid=$!
snap_pids="$snap_pids $leaker_pid"
snap_wait_file "$leaker_status" "ready 0" || tap_bail "the stripped snap_leaker did not start"
snap_leak_step || tap_bail "the leaker did not leak"

"$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/plain.pb.gz" 2>/dev/null
tap_is "snapshot without DEBUGINFOD_URLS exits 0" "$?" 0
row=$(first_row plain.pb.gz)
echo "# without the server: $row"
tap_ok "without the server the leak is an offset in prog" \
    sh -c 'echo "$1" | grep -q "^prog+0x[0-9a-f]*$"' sh "$row"

# The server, on a free port (it exits when it cannot listen: try another).
dif_pid=
for try in 1 2 3 4 5; do
    port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
    debuginfod -p "$port" -F -t 0 -g 0 -d "$snap_tmp/dif.sqlite" "$srv" \
        >"$snap_tmp/debuginfod.log" 2>&1 &
    dif_pid=$!
    snap_pids="$snap_pids $dif_pid"
    # Up to 30 s for it to index the directory and answer.
    code=
    i=0
    while [ $i -lt 150 ] && kill -0 "$dif_pid" 2>/dev/null; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            "http://127.0.0.1:$port/buildid/$buildid/debuginfo")
        [ "$code" = 200 ] && break
        sleep 0.2
        i=$((i + 1))
    done
    [ "$code" = 200 ] && break
    kill "$dif_pid" 2>/dev/null
    dif_pid=
done
[ -n "$dif_pid" ] || tap_bail "debuginfod did not serve the debug file: $(tail -n 3 "$snap_tmp/debuginfod.log")"

export DEBUGINFOD_URLS=http://127.0.0.1:$port
timeout 120 "$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/dif.pb.gz" 2>/dev/null
tap_is "snapshot with DEBUGINFOD_URLS exits 0" "$?" 0
tap_is "with the server the leak has its name" "$(first_row dif.pb.gz)" snap_leak_buffer
tap_is "and its file:line" "$(first_row -lines dif.pb.gz)" \
    "snap_leak_buffer snap_leaker.c:$leak_line"
tap_ok "the debug file is in the client's cache" test -s "$snap_tmp/cache/$buildid/debuginfo"
tap_ok "the profile passes google's validator" snap_valid -heap "$snap_tmp/dif.pb.gz"

# Server gone: the cache still answers, and nothing waits for the server.
kill "$dif_pid"
wait "$dif_pid" 2>/dev/null
timeout 120 "$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/cached.pb.gz" 2>/dev/null
tap_is "snapshot with the server stopped exits 0" "$?" 0
tap_is "the cached debug file still names the leak" "$(first_row cached.pb.gz)" snap_leak_buffer
tap_ok "the process runs on" snap_running "$leaker_pid"
tap_done
