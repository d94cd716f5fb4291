#!/bin/sh
# tests/integration/name_cxx.sh: a C++ release build (tests/progs/cxx_leak,
# g++ -O2 -g) leaking through std::vector and std::unordered_map inside class
# methods, run with the hook at the default rate (HEAPSNAP_RATE unset), five
# snapshots: the two methods are the suspects with their patterns and short
# names (text, HTML, --json with the full signature, go tool pprof -top), what
# the map's suspect holds named as declared (std::pair<const std::string,
# Session>, no default template arguments), every
# C++ name in the profiles is the one pprof itself would show, and the control
# mode (the same work, bounded) has no suspect.
. "$top_srcdir/tests/integration/analyze_common.sh"
S="$top_builddir/heapsnap"
P="$top_builddir/tests/progs/cxx_leak"
HOOK="$top_builddir/.libs/libheapsnap.so"
[ -x "$S" ] && [ -x "$P" ] && [ -f "$HOOK" ] || tap_skip_all "heapsnap, the hook or cxx_leak is not built"
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
(cd "$work" && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="${GOCACHE:-$work/gocache}" HOME="$work" \
    "${GO:-go}" build -o "$work/demangle" "$top_srcdir/tests/integration/name_demangle.go") ||
    tap_bail "cannot build name_demangle.go (golang-github-google-pprof-dev)"

# snap MODE: five snapshots 1 s apart of $P MODE into $work/MODE-NN.pb.gz
# (MODE "stripped" runs the leak).
snap() {
    rm -f "$work/$1.status"
    mode=$1
    [ "$mode" = stripped ] && mode=leak
    env -u HEAPSNAP_RATE LD_PRELOAD="$HOOK" "$P" "$mode" "$work/$1.status" &
    pid=$!
    i=0
    until [ "$(cat "$work/$1.status" 2>/dev/null)" = ready ] || [ $i -ge 3000 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 0.5
    "$S" -p "$pid" -i 1s -n 5 -o "$work/$1-%02d.pb.gz" > "$work/$1.snap" 2>&1
    src=$?
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=""
    return $src
}

snap leak || tap_bail "heapsnap failed on cxx_leak: $(head -c 300 "$work/leak.snap")"
json "$work/l" "$work"/leak-*.pb.gz
# The two methods are #1 and #2, whichever grows faster in this run. (Memory
# the hook did not sample shows as "[unattributed N-byte chunks]"; whether that
# is a suspect too is the verdict's business, not the names'.)
got=$(for k in 0 1; do echo "$(jf "$work/l" suspects.$k.function) $(jf "$work/l" suspects.$k.pattern)"; done | sort | tr '\n' ';')
want="AuditLog::append growing-buffer;SessionCache::remember accumulating-entries;"
tap_is "C++ -O2: the two methods are suspects #1 and #2, with their patterns" "$got" "$want"
[ "$got" = "$want" ] || HEAPSNAP_ANALYZE_DEBUG=1 "$AN" "$work"/leak-*.pb.gz 2>&1 | sed 's/^/# /'
tap_is "no suspect is named after the C++ standard library" \
    "$(grep -E '^suspects\.[0-9]+\.function=(std::|__gnu_cxx::|void |operator)' "$work/l")" ""
sigs=$(for k in 0 1; do jf "$work/l" suspects.$k.signature; done | sort | tr '\n' ';')
tap_is "--json keeps the full signatures" "$sigs" \
    "AuditLog::append(char const*, unsigned long);SessionCache::remember(long);"
tap_is "the suspect's file is the program's source, not a C++ header" \
    "$(for k in 0 1; do f=$(jf "$work/l" suspects.$k.file); echo "${f##*/}"; done | sort -u)" cxx_leak.cc

"$AN" "$work"/leak-*.pb.gz > "$work/l.txt" 2>&1
tap_ok "text: the methods by their short names" \
    sh -c "grep -q '^#[12]  AuditLog::append  growing-buffer\$' '$work/l.txt' && grep -q '^#[12]  SessionCache::remember  accumulating-entries\$' '$work/l.txt'"
tap_ok "text: each call path starts at the method and folds libstdc++ into one line" \
    sh -c "grep -Eq '^    call path AuditLog::append cxx_leak\\.cc:[0-9]+ -> [0-9]+ frames in libstdc\\+\\+\$' '$work/l.txt' &&
           grep -Eq '^    call path SessionCache::remember cxx_leak\\.cc:[0-9]+ -> [0-9]+ frames in libstdc\\+\\+\$' '$work/l.txt'"
grep -Eq '^    call path AuditLog::append cxx_leak\.cc:[0-9]+ -> [0-9]+ frames in libstdc\+\+$' "$work/l.txt" &&
    grep -Eq '^    call path SessionCache::remember cxx_leak\.cc:[0-9]+ -> [0-9]+ frames in libstdc\+\+$' "$work/l.txt" ||
    sed 's/^/# /' "$work/l.txt"
tap_ok "text: no template arguments or parameter lists anywhere" \
    sh -c "! grep -Eq 'std::allocator<|\\(char const\\*|\\(unsigned long' '$work/l.txt'"
tap_ok "text: SessionCache::remember holds its map's nodes, named as declared" \
    grep -Eq '^    holds     [0-9]+ % std::pair<const std::string, Session> node in SessionCache::map_' "$work/l.txt"
tap_ok "text: no 'also' line twice" sh -c "[ -z \"\$(grep '^    also' '$work/l.txt' | sort | uniq -d)\" ]"

"$AN" --html "$work/l.html" "$work"/leak-*.pb.gz > /dev/null 2>&1
# What the page shows, without the tooltips (which hold the full signatures).
sed 's/ title="[^"]*"//g; s|<title>[^<]*</title>||g' "$work/l.html" > "$work/l.shown"
tap_ok "HTML: the chart's legend and the suspects name both methods, short" \
    sh -c "grep -q '>AuditLog::append<' '$work/l.shown' && grep -q '>SessionCache::remember<' '$work/l.shown' &&
           ! grep -Eq 'std::allocator&lt;|\\(char const' '$work/l.shown'"
tap_ok "HTML: the full signature is the name's tooltip" \
    grep -q 'title="AuditLog::append(char const\*, unsigned long)">AuditLog::append<' "$work/l.html"

last=$(ls "$work"/leak-*.pb.gz | tail -n 1)
top=$(cd "$work" && HOME="$work" "${GO:-go}" tool pprof -top "$last" 2>/dev/null)
tap_ok "go tool pprof -top shows AuditLog::append and SessionCache::remember" \
    sh -c "printf '%s\n' \"\$1\" | grep -Eq ' AuditLog::append\$' && printf '%s\n' \"\$1\" | grep -Eq ' SessionCache::remember\$'" _ "$top"
tap_ok "go tool pprof -top: no full signatures" \
    sh -c "! printf '%s\n' \"\$1\" | grep -Eq 'std::allocator<|\\(unsigned long'" _ "$top"
tap_is "the profile has three comment lines, so listings start with the data" \
    "$(cd "$work" && HOME="$work" "${GO:-go}" tool pprof -comments "$last" 2>/dev/null | wc -l)" 3
tap_ok "every C++ Function.name is what pprof shows by default, system_name mangled" \
    "$work/demangle" "$work"/leak-*.pb.gz

# The same program stripped (no symbol table, no debug info): the suspect
# keeps its file+0xADDR name, and one sentence says which symbols to install.
cp "$P" "$work/cxx_stripped" && strip -s "$work/cxx_stripped" || tap_bail "cannot strip a copy of cxx_leak"
P_FULL=$P
P="$work/cxx_stripped"
snap stripped || tap_bail "heapsnap failed on the stripped cxx_leak: $(head -c 300 "$work/stripped.snap")"
P=$P_FULL
"$AN" "$work"/stripped-*.pb.gz > "$work/s.txt" 2>&1
tap_ok "stripped: suspect #1 is named by its file and offset" grep -Eq '^#1  cxx_stripped\+0x[0-9a-f]+  ' "$work/s.txt"
tap_is "stripped: one sentence says which debug symbols would give names" \
    "$(grep -c "^    symbols   no frame of $work/cxx_stripped has a name: install its debug symbols (on Debian the -dbgsym package" "$work/s.txt")" 1

snap control || tap_bail "heapsnap failed on cxx_leak control: $(head -c 300 "$work/control.snap")"
json "$work/c" --fail-on-leak "$work"/control-*.pb.gz
tap_is "control (the same work, bounded): no suspect" "$(jf "$work/c" suspects.length) $rc" "0 0"
[ "$(jf "$work/c" suspects.length)" = 0 ] || "$AN" "$work"/control-*.pb.gz 2>&1 | sed 's/^/# /'
tap_done
