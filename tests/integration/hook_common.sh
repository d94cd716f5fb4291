# tests/integration/hook_common.sh: sourced by the hook's integration tests.
# Starts a test program with libheapsnap preloaded and its endpoint on a free
# port, fetches pages, and kills everything it started on exit.
. "$top_srcdir/tests/tap.sh"

HOOK_SO="$top_builddir/.libs/libheapsnap.so"
[ -f "$HOOK_SO" ] || tap_bail "libheapsnap.so not built"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
hook_tmp=$(mktemp -d)
hook_pids=""
hook_cleanup() {
    for p in $hook_pids; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$hook_tmp"
}
trap hook_cleanup EXIT

# A port unlikely to be in use, different per test (offset $1) and per run.
hook_port() {
    port=$((20000 + ($$ * 7 + $1 * 1000) % 40000))
    while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
    echo $port
}

# hook_start PROG ENV... : runs PROG READYFILE with the hook preloaded and the
# given environment, waits (bounded) until it wrote its ready file.
hook_start() {
    prog=$1; shift
    hook_n=$((${hook_n:-0} + 1)) # a fresh name per start ($RANDOM is empty in dash)
    ready="$hook_tmp/ready.$hook_n"
    rm -f "$ready"
    env LD_PRELOAD="$HOOK_SO" "$@" "$prog" "$ready" 2>"$hook_tmp/stderr" &
    hook_pid=$!
    disown $hook_pid # no job notice when the trap kills it
    hook_pids="$hook_pids $hook_pid"
    hook_wait_file "$ready" || { cat "$hook_tmp/stderr" >&2; tap_bail "$prog did not start"; }
}

hook_wait_file() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1)); [ $i -gt 3000 ] && return 1 # a hang guard (5 min), not a clock
        sleep 0.1
    done
}

# hook_get PORT PATH [OUTFILE]: the page body (to stdout or OUTFILE).
hook_get() {
    if [ -n "${3:-}" ]; then curl -sS --max-time 30 -o "$3" "http://127.0.0.1:$1$2"
    else curl -sS --max-time 30 "http://127.0.0.1:$1$2"; fi
}

# hook_status PORT PATH [curl options]: the HTTP status code only.
hook_status() {
    p=$1; path=$2; shift 2
    curl -s --max-time 30 -o /dev/null -w '%{http_code}' "$@" "http://127.0.0.1:$p$path"
}

# hook_records: debug=1 text on stdin -> "FUNCTION COUNTS" per record, where
# FUNCTION is the leaf frame's function (the caller of malloc).
hook_records() {
    awk '/^[0-9]+: [0-9]+ \[/ { rec = $1 " " $2 " " $3 " " $4; want = 1; next }
         want && /^#\t/ { split($0, f, "\t"); print f[3] " " rec; want = 0 }' |
        sed 's/+0x[0-9a-f]*//'
}

# hook_record FUNC: the counts of FUNC's record(s) from hook_records output in $records.
hook_record() {
    printf '%s\n' "$records" | awk -v f="$1" '$1 == f { $1 = ""; sub(/^ /, ""); print }'
}

# hook_pprof_top FILE: the function with the most flat inuse_space in FILE.
hook_pprof_top() {
    HOME="$hook_tmp" GO111MODULE=off "$GO" tool pprof -top -sample_index=inuse_space "$1" 2>/dev/null |
        awk '/flat%/ { go = 1; next } go && NF >= 6 { print $6; exit }'
}

# hook_valid FILE: google's validator accepts FILE as a heap profile.
hook_valid() {
    "$PPROFCHECK" -heap "$1" >/dev/null
}
