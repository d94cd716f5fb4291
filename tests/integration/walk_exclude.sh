#!/bin/sh
# tests/integration/walk_exclude.sh: hproc_exclude takes ranges out of the
# search for mmapped chunks (heapsnap leaves libheapsnap's tables out that
# way): a chunk inside an excluded range is no longer found, every other one
# still is, and excluding nothing finds what mallinfo2 counts.
. "$top_srcdir/tests/tap.sh"

. "$top_srcdir/tests/integration/walk_common.sh"

start_varied 3 2
hblks=$(sed -n 's/.*"hblks":\([0-9]*\).*/\1/p' "$work/out" | head -1)

"$probe" mmapped "$pid" | sort >"$work/all"
tap_is "without exclusions: as many mmapped chunks as mallinfo2's hblks" \
    "$(wc -l <"$work/all")" "$hblks"
tap_ok "varied_heap has at least 3 mmapped chunks" test "$(wc -l <"$work/all")" -ge 3

# Leave out the first and the last chunk, each exactly its own bytes.
first=$(head -1 "$work/all")
last=$(tail -1 "$work/all")
range() { printf '%x-%x' "$1" $(($1 + $2)); }
"$probe" mmapped "$pid" "$(range $first)" "$(range $last)" | sort >"$work/some"
sed '1d;$d' "$work/all" >"$work/expect"
tap_is "excluding two chunks' ranges finds exactly the others" \
    "$(cat "$work/some")" "$(cat "$work/expect")"

# Nested and overlapping ranges: everything below 2^47, and a part of it again.
"$probe" mmapped "$pid" 0-800000000000 "$(range $first)" >"$work/none"
tap_is "excluding the whole address space finds none" "$(wc -l <"$work/none")" 0
"$probe" mmapped "$pid" 0-1 1-2 2-3 3-4 4-5 5-6 6-7 7-8 8-9 >/dev/null 2>&1
tap_is "a ninth range is refused (usage error)" "$?" 2
tap_not_stopped "the probe left the target running" "$pid"
tap_done
