# tests/integration/busy_lib.sh: driving tests/progs/pause_busy from a test
# (sourced after tap.sh and snap_common.sh). The program's threads only malloc
# and free; SIGUSR1 parks them all at a quiescent point, where it prints its
# mallinfo2 as {"seq":N,...}; SIGUSR2 resumes them and it prints
# {"resumed":N}. Both are sent again every 2 s until the line appears: a
# signal that arrives while a tracer (heapsnap, sp_poster) has the thread
# stopped waits for that tracer's detach, which a tracer killed with -9 never
# does, and a SIGUSR1 still pending beside a SIGUSR2 is delivered first and
# ignored by a program still paused.
BUSY=$top_builddir/tests/progs/pause_busy
[ -x "$BUSY" ] || tap_skip_all "tests/progs/pause_busy is not built"

# busy_start THREADS FD [PRELOAD]: starts pause_busy with THREADS threads
# (PRELOAD in LD_PRELOAD when given), niced (BUSY_NICE, 10) as stress_lib's
# program is, so its spinning threads do not starve the tests beside it; its
# stdin is a fifo held open on fd FD (closing it ends the program with 0).
# Sets busy_pid, busy_out and busy_seq (its last quiescent point, 0).
busy_start() {
    busy_out=$snap_tmp/busy$1.out busy_seq=0
    rm -f "$busy_out" "$snap_tmp/in$1"
    mkfifo "$snap_tmp/in$1"
    LD_PRELOAD=${3:-} nice -n "${BUSY_NICE:-10}" "$BUSY" -t "$1" -q \
        <"$snap_tmp/in$1" >"$busy_out" &
    busy_pid=$!
    snap_pids="$snap_pids $busy_pid"
    eval "exec $2>\"$snap_tmp/in$1\""
    busy_wait_line '"ready"' : || tap_bail "pause_busy -t $1 did not start"
}

# busy_wait_line PATTERN SIGNAL: waits until busy_out has a line matching
# PATTERN, sending SIGNAL (: for none) every 2 s; 1 after the hang guard.
busy_wait_line() {
    i=0
    until grep -q "$1" "$busy_out" 2>/dev/null; do
        [ "$2" != : ] && [ $((i % 40)) = 0 ] && kill "-$2" "$busy_pid"
        i=$((i + 1))
        [ $i -gt 6000 ] && return 1 # a hang guard (5 min), not a clock
        sleep 0.05
    done
}

# The program's next quiescent point: every thread has left the allocator and
# reached its loop's check; increments busy_seq.
busy_quiescent() {
    busy_seq=$((busy_seq + 1))
    busy_wait_line "\"seq\":$busy_seq," USR1
}

# Resumes the program from quiescent point busy_seq.
busy_resume() {
    busy_wait_line "\"resumed\":$busy_seq}" USR2
}

# The value of a key in a one-line JSON object (numbers and true/false).
jval() {
    sed -n "s/.*\"$2\":\([0-9a-z][0-9a-z]*\).*/\1/p" "$1" | head -n 1
}

# The mallinfo2 fields a profile's comment states, as the program prints
# them: "uordblks=N fordblks=N hblkhd=N".
busy_comment_mi() {
    (cd "$snap_tmp" && HOME=$snap_tmp "$GO" tool pprof -comments "$1" 2>/dev/null) |
        sed -n 's/.*mallinfo2 uordblks \([0-9]*\) fordblks \([0-9]*\) hblkhd \([0-9]*\).*/uordblks=\1 fordblks=\2 hblkhd=\3/p'
}

# The same fields as the program printed them at quiescent point busy_seq.
busy_prog_mi() {
    line=$(grep "\"seq\":$busy_seq," "$busy_out")
    echo "uordblks=$(echo "$line" | sed 's/.*"uordblks":\([0-9]*\).*/\1/')" \
        "fordblks=$(echo "$line" | sed 's/.*"fordblks":\([0-9]*\).*/\1/')" \
        "hblkhd=$(echo "$line" | sed 's/.*"hblkhd":\([0-9]*\).*/\1/')"
}
