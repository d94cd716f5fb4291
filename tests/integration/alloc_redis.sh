#!/bin/sh
# tests/integration/alloc_redis.sh: Debian's redis-server, which links
# jemalloc, run with the hook at the default rate on a free local port, gains
# 20000 keys of 1000 bytes between snapshots (five, 0.5 s apart). heapsnap
# must take its profile from the hook's live table, the growth it shows must
# match what was stored, and the analyzer must name the leak inside redis.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"
AN=$top_builddir/heapsnap-analyze

# Debian's package, installed by scripts/install-deps; installed here if root.
if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
    command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get -qq install -y --no-install-recommends \
        redis-server >/dev/null 2>&1
fi
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ||
    tap_skip_all "Debian's redis-server cannot be installed here"

# A free port: redis says so when it cannot bind; try a few random ones.
started=
for try in 1 2 3 4 5; do
    port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
    LD_PRELOAD=$HOOK redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no --dir "$snap_tmp" >"$snap_tmp/redis.log" 2>&1 &
    redis_pid=$!
    snap_pids="$snap_pids $redis_pid"
    i=0
    while [ $i -lt 3000 ] && kill -0 "$redis_pid" 2>/dev/null; do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && { started=1; break; }
        sleep 0.1
        i=$((i + 1))
    done
    [ -n "$started" ] && break
    kill "$redis_pid" 2>/dev/null
done
[ -n "$started" ] || tap_bail "redis-server did not start: $(tail -n 3 "$snap_tmp/redis.log")"

# add FIRST COUNT: COUNT keys of 1000 bytes, in one pipelined batch (RESP).
add() {
    awk -v a="$1" -v n="$2" 'BEGIN {
        v = sprintf("%1000s", ""); gsub(/ /, "x", v)
        for (i = a; i < a + n; i++) {
            k = "key:" i
            printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
        }
    }' | timeout 60 redis-cli -p "$port" --pipe >/dev/null
}

ok=0
for s in 1 2 3 4 5; do
    if ! add $((s * 100000)) 20000; then
        how=running
        if ! kill -0 "$redis_pid" 2>/dev/null; then
            wait "$redis_pid"
            how="exited with status $? (139 is SIGSEGV)"
        fi
        tap_bail "redis-cli could not add keys; redis-server $how"
    fi
    sleep 0.5
    "$HEAPSNAP" -p "$redis_pid" -o "$snap_tmp/r-$s.pb.gz" --json >"$snap_tmp/r-$s.json" \
        2>"$snap_tmp/r-$s.err" && ok=$((ok + 1))
done
tap_is "five snapshots of redis-server" "$ok" 5
tap_ok "redis-server runs on" snap_running "$redis_pid"
tap_is "the keys are all there" "$(redis-cli -p "$port" dbsize)" 100000
tap_ok "the allocator is jemalloc" grep -q '"allocator":"libjemalloc.so.2"' "$snap_tmp/r-5.json"
tap_ok "the profile comes from the hook's live table" \
    grep -q '"source":"live_table"' "$snap_tmp/r-5.json"
tap_ok "stderr says so" grep -q "allocates with libjemalloc.so.2, not glibc's malloc" \
    "$snap_tmp/r-1.err"
tap_ok "valid heap profiles" snap_valid -heap "$snap_tmp"/r-*.pb.gz

# 80000 keys were added between the first and the last snapshot, each with a
# 1004-byte value sds (3-byte header, NUL) and some 60 bytes of key, object and
# dict entry. With about 170 samples in that growth the estimate's relative
# error is near 1/sqrt(170) = 8%: accept 3 of those either way.
first=$("$PPROFCHECK" -sum inuse_space "$snap_tmp/r-1.pb.gz")
last=$("$PPROFCHECK" -sum inuse_space "$snap_tmp/r-5.pb.gz")
grew=$((last - first))
want=$((80000 * 1064))
echo "# inuse_space grew by $grew bytes; stored about $want"
tap_ok "the growth matches what was stored (within 24%)" \
    [ $((grew * 100)) -ge $((want * 76)) -a $((grew * 100)) -le $((want * 124)) ]

"$AN" "$snap_tmp"/r-*.pb.gz >"$snap_tmp/an.txt" 2>&1
sed 's/^/# /' "$snap_tmp/an.txt" | head -n 24
s1=$(sed -n 's/^#1  *\([^ ]*\).*/\1/p' "$snap_tmp/an.txt")
tap_ok "a leak suspect" [ -n "$s1" ]
tap_ok "suspect #1 is a named frame ($s1)" \
    sh -c '[ -n "$1" ] && ! echo "$1" | grep -q "+0x"' sh "$s1"
path=$(sed -n '/^#1 /,/^ *hint/p' "$snap_tmp/an.txt")
tap_ok "its call path goes through redis's string code (_sdsnewlen)" \
    sh -c 'echo "$1" | grep -q _sdsnewlen' sh "$path"
# zmalloc*, zcalloc and zrealloc are redis's allocator wrappers: every
# allocation of redis goes through them. Choosing the frame above them is the
# analyzer's (issue 16, part 1); until it does, this is a known failure.
tap_n=$((tap_n + 1))
case $s1 in
zmalloc* | zcalloc* | zrealloc* | ztrymalloc*)
    echo "not ok $tap_n - suspect #1 is not an allocator wrapper ($s1) # TODO the analyzer's frame choice" ;;
*) echo "ok $tap_n - suspect #1 is not an allocator wrapper ($s1)" ;;
esac
tap_done
