#!/bin/bash
# tests/integration/hook_programs.sh: libheapsnap under threads, fork, a
# constructor that allocates before main, and C++ new/delete, each checked
# with exact counts (HEAPSNAP_RATE=1), google's validator and go tool pprof.
. "$top_srcdir/tests/integration/hook_common.sh"
progs="$top_builddir/tests/progs"

check_profile() { # NAME PORT TOPFUNC
    f="$hook_tmp/$1.pb.gz"
    hook_get $2 /debug/pprof/heap "$f"
    tap_ok "$1: valid heap profile" hook_valid "$f"
    tap_is "$1: go tool pprof -top shows $3 on top" "$(hook_pprof_top "$f")" "$3"
}

# Threads: per-thread samplers, cross-thread free.
port=$(hook_port 2)
hook_start "$progs/hook_threads" HEAPSNAP_RATE=1 HEAPSNAP_HTTP=127.0.0.1:$port
records=$(hook_get $port '/debug/pprof/heap?debug=1' | hook_records)
tap_is "threads: 4 x 500 x 1024 kept" "$(hook_record thread_leak)" "2000: 2048000 [2000: 2048000]"
tap_is "threads: churn all freed" "$(hook_record thread_churn)" "0: 0 [4000: 1024000]"
tap_is "threads: freed by another thread" "$(hook_record handoff_alloc)" "0: 0 [1000: 512000]"
check_profile threads $port thread_leak

# Allocation before main, from a constructor.
port=$(hook_port 3)
hook_start "$progs/hook_ctor" HEAPSNAP_RATE=1 HEAPSNAP_HTTP=127.0.0.1:$port
records=$(hook_get $port '/debug/pprof/heap?debug=1' | hook_records)
tap_is "constructor: ctor_leak recorded" "$(hook_record ctor_leak)" "10: 70000 [10: 70000]"
tap_is "constructor: main_leak recorded" "$(hook_record main_leak)" "3: 27000 [3: 27000]"
check_profile ctor $port ctor_leak

# C++: operator new is not the leaf; its caller is.
port=$(hook_port 4)
hook_start "$progs/hook_cxx" HEAPSNAP_RATE=1 HEAPSNAP_HTTP=127.0.0.1:$port
text=$(hook_get $port '/debug/pprof/heap?debug=1')
records=$(printf '%s\n' "$text" | hook_records)
tap_is "C++: new Node x 100 kept" "$(hook_record 'cxx_leak()')" "100: 100000 [100: 100000]"
tap_is "C++: new char[5000] x 10 kept" "$(hook_record 'cxx_array_leak()')" "10: 50000 [10: 50000]"
tap_is "C++: new/delete churn freed" "$(hook_record 'cxx_churn()')" "0: 0 [100: 100000]"
tap_ok "C++: operator new is never the leaf" sh -c "! printf '%s\n' \"\$1\" | grep -q '^operator new'" _ "$records"
check_profile cxx $port cxx_leak # pprof's short name

# fork: 20 children forked while another thread hammers malloc must all exit
# cleanly; a long-lived child keeps the inherited samples, adds its own, and
# serves them on its own endpoint; the parent's endpoint does not see them.
port=$(hook_port 5)
cport=$(hook_port 6)
[ "$cport" = "$port" ] && cport=$((port + 1))
child_ready="$hook_tmp/child.ready"
env LD_PRELOAD="$HOOK_SO" HEAPSNAP_RATE=1 HEAPSNAP_HTTP=127.0.0.1:$port \
    "$progs/hook_fork" "$hook_tmp/parent.ready" "$child_ready" 127.0.0.1:$cport 2>"$hook_tmp/fork.err" &
parent=$!
disown $parent
hook_pids="$hook_pids $parent"
hook_wait_file "$hook_tmp/parent.ready" || { cat "$hook_tmp/fork.err" >&2; tap_bail "hook_fork failed"; }
hook_wait_file "$child_ready" || { cat "$hook_tmp/fork.err" >&2; tap_bail "hook_fork child failed"; }
child=$(awk '{print $2}' "$child_ready")
hook_pids="$hook_pids $child"
tap_ok "fork: 20 children forked under a malloc-hammering thread exited cleanly" kill -0 $parent
records=$(hook_get $port '/debug/pprof/heap?debug=1' | hook_records)
tap_is "fork: parent keeps before_fork" "$(hook_record before_fork)" "100: 100000 [100: 100000]"
tap_is "fork: parent has parent_after" "$(hook_record parent_after)" "50: 150000 [50: 150000]"
tap_is "fork: parent does not see child_leak" "$(hook_record child_leak)" ""
ctext=$(hook_get $cport '/debug/pprof/heap?debug=1')
records=$(printf '%s\n' "$ctext" | hook_records)
tap_is "fork: child inherited before_fork" "$(hook_record before_fork)" "100: 100000 [100: 100000]"
tap_is "fork: child has child_leak" "$(hook_record child_leak)" "200: 409600 [200: 409600]"
tap_is "fork: child does not see parent_after" "$(hook_record parent_after)" ""
tap_is "fork: child's registry names the child" \
    "$(printf '%s\n' "$ctext" | sed -n 's/^# Pid = //p')" "$child"
check_profile fork-child $cport child_leak
tap_done
