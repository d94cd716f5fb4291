#!/bin/bash
# tests/integration/hook_config.sh: libheapsnap's environment and exports:
# HEAPSNAP_RATE=0 and bad values, loopback-only binding unless
# HEAPSNAP_HTTP_ALLOW_REMOTE=1, a port in use, and the exported symbol set.
. "$top_srcdir/tests/integration/hook_common.sh"
prog="$top_builddir/tests/progs/hook_ctor"

port=$(hook_port 7)
hook_start "$prog" HEAPSNAP_RATE=0 HEAPSNAP_HTTP=127.0.0.1:$port
tap_is "HEAPSNAP_RATE=0 records nothing" \
    "$(hook_get $port '/debug/pprof/heap?debug=1' | head -1)" "heap profile: 0: 0 [0: 0] @ heap/0"
f="$hook_tmp/empty.pb.gz"
hook_get $port /debug/pprof/heap "$f"
tap_ok "an empty profile is still a valid heap profile" hook_valid "$f"

port2=$(hook_port 8)
[ "$port2" = "$port" ] && port2=$((port + 1))
hook_start "$prog" HEAPSNAP_RATE=abc HEAPSNAP_HTTP=127.0.0.1:$port2
tap_is "bad HEAPSNAP_RATE: one warning naming the fix" "$(cat "$hook_tmp/stderr")" \
    "libheapsnap: HEAPSNAP_RATE=abc is not a number in [0, 1099511627776]; using 524288. Set it to a byte count."
tap_is "bad HEAPSNAP_RATE: default rate used" \
    "$(hook_get $port2 '/debug/pprof/heap?debug=1' | head -1 | sed 's/.*@ //')" "heap/1048576"

hook_start "$prog" HEAPSNAP_HTTP=127.0.0.1:$port2
tap_is "port in use: a warning, and the program runs on" "$(cat "$hook_tmp/stderr")" \
    "libheapsnap: cannot serve /debug/pprof on 127.0.0.1:$port2: Address already in use (pick another port)"

port3=$(hook_port 9)
hook_start "$prog" HEAPSNAP_HTTP=0.0.0.0:$port3
tap_is "non-loopback address refused" "$(cat "$hook_tmp/stderr")" \
    "libheapsnap: cannot serve /debug/pprof on 0.0.0.0:$port3: Permission denied (not a loopback address; set HEAPSNAP_HTTP_ALLOW_REMOTE=1 to allow)"
tap_is "non-loopback address: nothing listens" "$(hook_status $port3 /debug/pprof/)" "000"
hook_start "$prog" HEAPSNAP_HTTP=0.0.0.0:$port3 HEAPSNAP_HTTP_ALLOW_REMOTE=1
tap_is "HEAPSNAP_HTTP_ALLOW_REMOTE=1 allows it" "$(hook_status $port3 /debug/pprof/)" 200

hook_start "$prog" HEAPSNAP_HTTP=nonsense
tap_is "malformed address: a warning" "$(cat "$hook_tmp/stderr")" \
    "libheapsnap: cannot serve /debug/pprof on nonsense: Invalid argument (expected HOST:PORT, e.g. 127.0.0.1:6060)"

# dlclose goes through the hook (which then forgets its unwinder's rules):
# libbz2 loaded, called and unloaded 20 times by python3, every allocation
# recorded. Debian's python3.11 takes malloc's address in non-PIC code, so
# the lookup of "malloc" names its own PLT entry: the hook must still see
# itself preloaded (heapsnap_attach_state 2), not wait for an attach.
tap_is "dlclose through the hook: loads and unloads, in a preloaded hook" \
    "$(LD_PRELOAD=$HOOK_SO HEAPSNAP_RATE=1 python3 -c '
import _ctypes, ctypes
for i in range(20):
    h = _ctypes.dlopen("libbz2.so.1.0", 2)
    version = ctypes.CFUNCTYPE(ctypes.c_char_p)(_ctypes.dlsym(h, "BZ2_bzlibVersion"))()
    kept = [bytes(100) for _ in range(1000)]
    _ctypes.dlclose(h)
state = ctypes.c_int.in_dll(ctypes.CDLL(None), "heapsnap_attach_state").value
print(version.decode().split(",")[0], state)' 2>&1)" "1.0.8 2"

tap_is "exports: the malloc family, dlclose, the registry and heapsnap.h only" \
    "$(nm -D --defined-only "$HOOK_SO" | awk '{print $3}' | sort | tr '\n' ' ')" \
    "aligned_alloc calloc dlclose free heapsnap_attach heapsnap_attach_state heapsnap_detach heapsnap_http_start heapsnap_rate heapsnap_registry heapsnap_version malloc malloc_usable_size memalign posix_memalign pvalloc realloc reallocarray valloc "
tap_done
