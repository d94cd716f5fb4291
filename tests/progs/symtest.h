/* tests/progs/symtest.h: functions at known source lines (symtest.c,
 * symtest_cxx.cc) that the symbolizer and thread-stack tests look up. */
#ifndef HS_SYMTEST_H
#define HS_SYMTEST_H

#ifdef __cplusplus
extern "C" {
#endif

extern volatile int symtest_sink;

/* Returns its own return address: a PC inside the caller at the call line. */
void *symtest_pc(void);
/* A plain function; returns a PC at its "known_call" line. */
void *symtest_known(void);
/* Calls an always_inline function; the PC returned is inside the inlined code. */
void *symtest_outer(int x);
/* A C++ method, symtest::Widget::grow(int), called through this wrapper. */
void *symtest_cxx(int k);
/* Blocks in read(fd) until EOF. */
void symtest_block(int fd);

#ifdef __cplusplus
}
#endif

#endif
