#!/bin/sh
# The manual pages lint clean with mandoc, and every option a command's --help
# lists appears in that command's page.
. "$top_srcdir/tests/tap.sh"
command -v "$MANDOC" >/dev/null 2>&1 || MANDOC=mandoc
for page in heapsnap.1 heapsnap-analyze.1 heapsnap-victim.1 libheapsnap.3 heapsnap.7; do
    f="$top_srcdir/man/$page"
    if [ ! -f "$f" ]; then
        tap_ok "man/$page exists" false
        continue
    fi
    lint=$("$MANDOC" -Tlint -Wwarning "$f" 2>&1)
    tap_is "mandoc -Tlint is clean for $page" "$lint" ""
done
for cmd in heapsnap heapsnap-analyze heapsnap-victim; do
    page="$top_srcdir/man/$cmd.1"
    exe="$top_builddir/$cmd"
    [ -x "$exe" ] && [ -f "$page" ] || { tap_ok "$cmd and its page exist" false; continue; }
    text=$("$MANDOC" -Tascii "$page" | col -b)
    missing=""
    for opt in $("$exe" --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
        printf '%s\n' "$text" | grep -q -- "$opt" || missing="$missing $opt"
    done
    tap_is "every --help option of $cmd is in its man page" "$missing" ""
done
tap_done
