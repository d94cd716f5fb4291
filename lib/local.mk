# lib/: code shared by the commands, one folder per concept, each with its own
# fragment. The folders are layers: a folder's code includes headers from its
# own folder and the folders before it in this list, never after (checked by
# tests/integration/lib_layers.sh):
#   util  errors, atomic files, whole-file reads, durations
#   prof  the pprof format (protobuf builder and reader, heap profiles)
#   proc  a live process: ptrace stop/resume, /proc maps, pagemap, memory
#         sources, ELF images in its memory, remote unwinding, the hook's
#         registry read from its memory
#   sym   symbolization: ELF symbols, DWARF, demangling, debug files,
#         debuginfod, build ids; thread stacks unwound and symbolized
#   heap  glibc's malloc: layout, capture and classification of the heap, the
#         heap of a live process, waiting for a quiet heap
#   graph the heap graph over a capture: roots, lost chunks, holders
#   types what a heap object is: C++ classes from vtable pointers
include lib/util/local.mk
include lib/prof/local.mk
include lib/proc/local.mk
include lib/sym/local.mk
include lib/heap/local.mk
include lib/graph/local.mk
include lib/types/local.mk
