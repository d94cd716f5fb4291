/* analyzer/an_prefetch.h: reading a list of profiles ahead on worker threads,
 * so gunzip and protobuf decoding (most of the analyzer's time) run on every
 * core while the caller folds the profiles into series in order. */
#ifndef AN_PREFETCH_H
#define AN_PREFETCH_H

#include <stddef.h>

#include "hs_error.h"
#include "pprof.h"

typedef struct an_prefetch an_prefetch;

/* Starts reading paths[0..n) with up to nthreads workers (0: one per online
 * CPU, at most 8), keeping a bounded number of decoded profiles in memory.
 * NULL with err set when no thread could be started. */
an_prefetch *an_prefetch_start(char *const *paths, size_t n, unsigned nthreads, hs_err *err);

/* Waits for profile i; the caller owns it (pprof_profile_free). Take them in
 * order 0, 1, 2... NULL with err set to that file's own error. */
pprof_profile *an_prefetch_take(an_prefetch *pf, size_t i, hs_err *err);

/* Stops the workers, frees every profile not taken, frees pf. */
void an_prefetch_stop(an_prefetch *pf);

#endif
