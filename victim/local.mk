# victim/: heapsnap-victim, the program that leaks on purpose (one file per
# scenario). Built without sanitizers: ASan replaces glibc's allocator, and the
# victim exists to show heapsnap glibc's own heap.
bin_PROGRAMS += heapsnap-victim
heapsnap_victim_SOURCES = victim/main.c victim/options.c victim/options.h \
	victim/workers.c victim/workers.h victim/cap.c victim/cap.h \
	victim/scenario.h victim/scenarios.c \
	victim/scn_slice.c victim/scn_map.c victim/scn_queue.c victim/scn_strdup.c \
	victim/scn_errpath.c victim/scn_steady.c victim/scn_plateau.c victim/scn_fragment.c
heapsnap_victim_CFLAGS = $(HS_WARN_CFLAGS)
heapsnap_victim_LDFLAGS =
# Linked with libheapsnap so its stacks are always recorded (HEAPSNAP_RATE=1 for
# every allocation); lib/ only for hs_err, unsanitized like the hook.
heapsnap_victim_LDADD = libheapsnap.la lib/libhs_nosan.la

VICTIM_TESTS = tests/integration/victim_cli.sh tests/integration/victim_scenarios.sh \
	tests/integration/victim_cap.sh tests/integration/victim_http.sh
TESTS += $(VICTIM_TESTS)
EXTRA_DIST += $(VICTIM_TESTS)
