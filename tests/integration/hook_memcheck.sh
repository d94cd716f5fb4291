#!/bin/sh
# tests/integration/hook_memcheck.sh: the preloaded hook under valgrind's
# memcheck. ASan cannot run inside the hook (it would have to replace the very
# allocator the hook interposes), so memcheck checks it instead: the hook's
# malloc family forwards to glibc's functions, which valgrind replaces, and
# every read and write of the hook's own code (sampler, stack capture, tables,
# the HTTP thread building profiles with lib/) is checked. A 2-thread
# allocation-heavy program runs with the hook at rate 1 and its endpoint on
# loopback, answers a few requests (good and bad), then exits when the test
# closes its input: valgrind must report no error.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/stress/stress_lib.sh"

HC="$top_builddir/tests/stress/http_client"
command -v valgrind > /dev/null 2>&1 || tap_skip_all "valgrind is not installed"
[ -x "$STRESS_PROG" ] && [ -f "$HOOK_SO" ] && [ -x "$HC" ] ||
    tap_bail "build libheapsnap.so, stress_prog and http_client first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-memcheck.XXXXXX")
vg=""
trap '[ -n "$vg" ] && kill -KILL "$vg" 2>/dev/null; rm -rf "$tmp"' EXIT

port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000))
# The program exits when its standard input (a FIFO the test holds open on fd 3)
# reaches end of file: it runs as long as the requests take, however slowly
# valgrind (~50x) and the machine's load let it start and answer.
mkfifo "$tmp/ctl"
valgrind -q --error-exitcode=99 --trace-children=yes --log-file="$tmp/vg.%p" \
    env LD_PRELOAD="$HOOK_SO" HEAPSNAP_RATE=1 HEAPSNAP_HTTP="127.0.0.1:$port" \
    "$STRESS_PROG" -t 2 -q < "$tmp/ctl" > "$tmp/prog.out" 2> "$tmp/prog.err" &
vg=$!
exec 3> "$tmp/ctl"

# mc_wait CMD...: runs CMD every 0.2 s until it succeeds (0) or valgrind has
# exited (1). The bound, MEMCHECK_WAIT_S (600 s), only guards against a hang:
# a start-up that fails ends the wait at once, through valgrind's exit.
mc_wait() {
    _end=$(($(date +%s) + ${MEMCHECK_WAIT_S:-600}))
    while ! "$@"; do
        kill -0 "$vg" 2> /dev/null || return 1
        [ "$(date +%s)" -lt "$_end" ] || return 1
        sleep 0.2
    done
}
mc_ready() { grep -q '"ready"' "$tmp/prog.out" 2> /dev/null; }
mc_answers() {
    r=$("$HC" "$port" get /debug/pprof/ 2> /dev/null)
    case $r in 200\ *) return 0 ;; esac
    return 1
}
mc_wait mc_ready || {
    sed 's/^/# /' "$tmp/prog.err" "$tmp"/vg.* 2> /dev/null | head -n 20
    tap_bail "the program did not start under valgrind (it exited, or no \"ready\" line in ${MEMCHECK_WAIT_S:-600} s)"
}
r=""
mc_wait mc_answers
tap_is "the endpoint answers under valgrind" "${r%% *}" 200
r=$("$HC" "$port" get /debug/pprof/heap "$tmp/heap.pb.gz")
tap_is "a heap profile is served" "${r%% *}" 200
tap_ok "and it passes pprofcheck -heap" "$PPROFCHECK" -heap "$tmp/heap.pb.gz"
r=$("$HC" "$port" get '/debug/pprof/heap?debug=1' "$tmp/heap.txt")
tap_is "the text format is served" "${r%% *}" 200
tap_is "a bad request gets a 4xx or a close" \
    "$("$HC" "$port" garbage 3000 | sed 's/^4[0-9][0-9]$/refused/; s/^closed$/refused/')" refused
exec 3>&- # end of input: the program exits
wait "$vg"
rc=$?
vg=""
errs=$(cat "$tmp"/vg.* 2>/dev/null | grep -c '^==[0-9]*== [A-Z]')
tap_is "valgrind exit status (99 = memcheck found errors)" "$rc" 0
tap_is "no memcheck report from the hook or its HTTP thread" "$errs" 0
[ "$errs" -eq 0 ] || cat "$tmp"/vg.* | head -n 60 | sed 's/^/# /'
tap_done
