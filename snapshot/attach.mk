# snapshot/attach.mk: heapsnap --attach / --detach (snapshot/attach.c) and
# their integration tests.
heapsnap_SOURCES += snapshot/attach.c snapshot/attach.h
heapsnap_CPPFLAGS = $(AM_CPPFLAGS) -DHS_LIBDIR='"$(libdir)"'
