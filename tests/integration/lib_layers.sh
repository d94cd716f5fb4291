#!/bin/sh
# tests/integration/lib_layers.sh: lib/'s folders are layers (lib/local.mk
# lists them, lowest first). Every #include "x.h" in a lib/ file must name a
# header of its own folder or of a lower one -- or one of the two outside
# headers lib/ may use: hook/heapsnap_registry.h (the registry's documented
# layout) and the generated proto/profile.pb-c.h -- and no file outside lib/
# may be included from lib/ (nothing calls upward). One test per folder, plus
# a check that the order above matches lib/local.mk's includes.
. "$top_srcdir/tests/tap.sh"

lib=$top_srcdir/lib
order=$(sed -n 's|^include lib/\([a-z]*\)/local.mk$|\1|p' "$lib/local.mk" | tr '\n' ' ')
tap_is "lib/local.mk includes the folders lowest first" "$order" "util prof proc sym heap graph types "

lower="" # folders allowed so far, this one added below
for dir in $order; do
    lower="$lower $dir"
    bad=""
    for f in "$lib/$dir"/*.c "$lib/$dir"/*.h; do
        [ -e "$f" ] || continue
        for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
            ok=no
            case $h in heapsnap_registry.h | profile.pb-c.h) ok=yes ;; esac
            for d in $lower; do [ -e "$lib/$d/$h" ] && ok=yes; done
            [ $ok = yes ] || bad="$bad ${f#"$lib"/}:$h"
        done
    done
    tap_is "lib/$dir includes only lib/$dir and the folders below it" "$bad" ""
done
tap_done
