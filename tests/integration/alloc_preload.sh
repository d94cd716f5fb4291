#!/bin/sh
# tests/integration/alloc_preload.sh: tcmalloc and mimalloc (Debian's
# libtcmalloc-minimal4 and libmimalloc2.0) preloaded after the hook become the
# malloc the hook forwards to. snap_leaker at HEAPSNAP_RATE=1 leaks 1000
# blocks of 1000 bytes from snap_leak_buffer; heapsnap must name the
# allocator, build the profile from the hook's live table and count exactly
# those 1000 blocks.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/snap_common.sh"
[ -e "$HOOK" ] || tap_skip_all "libheapsnap.so is not built"
libdir=/usr/lib/x86_64-linux-gnu

for lib in libtcmalloc_minimal.so.4 libmimalloc.so.2; do
    if [ ! -e "$libdir/$lib" ]; then
        tap_skip "$lib is not installed (scripts/install-deps installs it)"
        continue
    fi
    real=$(basename "$(readlink -f "$libdir/$lib")")
    leaker_status=$snap_tmp/status.$lib
    LD_PRELOAD=$HOOK:$libdir/$lib HEAPSNAP_RATE=1 "$LEAKER" "$leaker_status" --mb 2 \
        --leak 1000 --size 1000 &
    leaker_pid=$!
    snap_pids="$snap_pids $leaker_pid"
    snap_wait_file "$leaker_status" "ready 0" || tap_bail "snap_leaker did not start with $lib"
    snap_leak_step || tap_bail "snap_leaker did not leak with $lib"
    "$HEAPSNAP" -p "$leaker_pid" -o "$snap_tmp/$lib.pb.gz" --json >"$snap_tmp/$lib.json" \
        2>"$snap_tmp/$lib.err"
    tap_is "$lib: snapshot exits 0" "$?" 0
    tap_ok "$lib: named as the allocator" grep -q "\"allocator\":\"$real\"" "$snap_tmp/$lib.json"
    tap_ok "$lib: profile from the live table" grep -q '"source":"live_table"' "$snap_tmp/$lib.json"
    objs=$(cd "$snap_tmp" && HOME=$snap_tmp "$GO" tool pprof -top -sample_index=inuse_objects \
        "$lib.pb.gz" 2>/dev/null | awk '$6 == "snap_leak_buffer" {print $1}')
    tap_is "$lib: exactly 1000 leaked blocks at snap_leak_buffer" "$objs" 1000
    tap_ok "$lib: the process runs on" snap_running "$leaker_pid"
    kill "$leaker_pid"
done
tap_done
