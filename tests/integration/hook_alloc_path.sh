#!/bin/sh
# tests/integration/hook_alloc_path.sh: the hook's allocation path stays
# self-contained (DESIGN: no allocator, no lib/ calls): nm on the objects that
# run inside the host's malloc and free must find no undefined symbol that
# lib/ defines and no allocator entry point. Only the endpoint's files
# (hook_http, hook_profile) and start-up (hook_init) may use lib/.
. "$top_srcdir/tests/tap.sh"

# The files of the allocation path: entry points, sampling, tables, stack
# capture, the fork lock and the size-class counters.
ALLOC_PATH="hook_malloc hook_sampler hook_tables hook_stack hook_forklock hook_counts"
# What the allocator exports (glibc's malloc family and libc calls that allocate).
ALLOCATOR="malloc calloc realloc reallocarray free posix_memalign aligned_alloc memalign valloc
pvalloc strdup strndup asprintf vasprintf fopen fdopen open_memstream getline getdelim"

command -v nm > /dev/null 2>&1 || tap_skip_all "nm (binutils) is not installed"
lib=$top_builddir/lib/.libs/libhs_nosan.a
[ -f "$lib" ] || tap_bail "build lib/libhs_nosan.la first (make)"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-allocpath.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
nm -g --defined-only "$lib" 2> /dev/null | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/lib"
tap_ok "lib/ defines symbols (nm read $lib)" test -s "$tmp/lib"
printf '%s\n' $ALLOCATOR | sort -u > "$tmp/alloc"

for f in $ALLOC_PATH; do
    o=$top_builddir/hook/.libs/libheapsnap_la-$f.o # PIC object when shared
    [ -f "$o" ] || o=$top_builddir/hook/libheapsnap_la-$f.o
    if [ ! -f "$o" ]; then
        tap_ok "$f: object built" false
        continue
    fi
    nm -u "$o" | awk '{ print $NF }' | sort -u > "$tmp/u"
    tap_is "$f references no lib/ symbol" "$(comm -12 "$tmp/u" "$tmp/lib" | tr '\n' ' ')" ""
    tap_is "$f calls no allocator" "$(comm -12 "$tmp/u" "$tmp/alloc" | tr '\n' ' ')" ""
done
tap_done
