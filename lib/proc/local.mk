# lib/proc/: a live process: ptrace stop and resume, /proc/PID/maps, pagemap,
# memory sources (process_vm_readv, copies), ELF images read from its memory,
# remote unwinding, and libheapsnap's registry read from its memory.
lib_libhs_la_SOURCES += lib/proc/procmaps.c lib/proc/procmaps.h
lib_libhs_la_SOURCES += lib/proc/pagemap.c lib/proc/pagemap.h
lib_libhs_la_SOURCES += lib/proc/memsrc.c lib/proc/memsrc.h lib/proc/memsrc_internal.h \
	lib/proc/memsrc_copy.c
lib_libhs_la_SOURCES += lib/proc/elf_mem.c lib/proc/elf_mem.h
lib_libhs_la_SOURCES += lib/proc/ehhdr.c lib/proc/ehhdr.h lib/proc/uwr.c lib/proc/uwr.h
lib_libhs_la_SOURCES += lib/proc/ptstop.c lib/proc/ptstop.h
lib_libhs_la_SOURCES += lib/proc/registry.c lib/proc/registry.h
include lib/proc/resident.mk
include lib/proc/inject.mk
include lib/proc/safepoint.mk
include lib/proc/tsyscall.mk
include lib/proc/cowfork.mk

# .eh_frame_hdr's header, exact values (tests/unit/test_ehhdr.c).
check_PROGRAMS += tests/unit/test_ehhdr
TESTS += tests/unit/test_ehhdr
tests_unit_test_ehhdr_LDADD = $(UNIT_LDADD)
