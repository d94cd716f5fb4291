#!/bin/sh
# tests/integration/tcache_tls.sh: every thread's tcache found through static
# TLS (fs_base - l_tls_offset + offset) must equal what gdb, through
# libthread_db, reports as &tcache and tcache for the same thread.
. "$top_srcdir/tests/tap.sh"

command -v gdb >/dev/null 2>&1 || tap_skip_all "gdb is not installed"
[ -r /usr/lib/debug/.build-id/93/ac61ec5a8eb1396f9fbd350e3169a558528a40.debug ] ||
    tap_skip_all "gdb needs libc6-dbg to print tcache"
. "$top_srcdir/tests/integration/walk_common.sh"

start_varied 7 4

"$probe" tcache "$pid" | sort >"$work/ours"
tap_is "one line per thread" "$(wc -l <"$work/ours")" 5

gdb -q -batch -nx -p "$pid" -ex 'thread apply all p &tcache' -ex 'thread apply all p tcache' \
    >"$work/gdb" 2>/dev/null
# "LWP var value" from gdb's two passes over the threads
awk '/\(LWP [0-9]+\)/ { match($0, /LWP [0-9]+/); lwp = substr($0, RSTART + 4, RLENGTH - 4) }
     /^\$[0-9]+ = \(tcache_perthread_struct \*\*\)/ { var[lwp] = $NF }
     /^\$[0-9]+ = \(tcache_perthread_struct \*\)/ { val[lwp] = $NF }
     END { for (l in var) print l, var[l], val[l] }' "$work/gdb" | sort >"$work/theirs"
tap_is "gdb saw every thread" "$(wc -l <"$work/theirs")" 5
tap_is "&tcache and tcache per thread equal gdb's (libthread_db)" "$(cat "$work/ours")" \
    "$(cat "$work/theirs")"
tap_not_stopped "the probe left the target running" "$pid"
tap_done
