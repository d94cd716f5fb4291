/* analyzer/an_prefetch.c: a small pool of reader threads (see an_prefetch.h).
 * Workers claim file indexes in order and stop claiming when they are more
 * than a window ahead of the consumer, so memory stays bounded by the window
 * however long the series is. */
#include "an_prefetch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AN_PREFETCH_MAX_THREADS 8

typedef struct an_slot {
    pprof_profile *p;
    hs_err err;
    int done;
} an_slot;

struct an_prefetch {
    char *const *paths;
    size_t n;
    an_slot *slots;
    size_t next;   /* next index a worker claims */
    size_t taken;  /* indexes below this were handed to the consumer */
    size_t window; /* how far workers may run ahead of taken */
    int stopping;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t tid[AN_PREFETCH_MAX_THREADS];
    unsigned nthreads;
};

static void *an_prefetch_worker(void *arg)
{
    an_prefetch *pf = arg;
    pthread_mutex_lock(&pf->lock);
    for (;;) {
        while (!pf->stopping && pf->next < pf->n && pf->next >= pf->taken + pf->window)
            pthread_cond_wait(&pf->changed, &pf->lock);
        if (pf->stopping || pf->next >= pf->n)
            break;
        size_t i = pf->next++;
        pthread_mutex_unlock(&pf->lock);
        hs_err err = {{0}};
        pprof_profile *p = pprof_read_file(pf->paths[i], &err);
        pthread_mutex_lock(&pf->lock);
        pf->slots[i].p = p;
        pf->slots[i].err = err;
        pf->slots[i].done = 1;
        pthread_cond_broadcast(&pf->changed);
    }
    pthread_mutex_unlock(&pf->lock);
    return NULL;
}

static unsigned an_prefetch_threads(unsigned want, size_t n)
{
    if (want == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        want = cpus > 0 ? (unsigned)cpus : 1;
    }
    if (want > AN_PREFETCH_MAX_THREADS)
        want = AN_PREFETCH_MAX_THREADS;
    if (want > n)
        want = n ? (unsigned)n : 1;
    return want;
}

an_prefetch *an_prefetch_start(char *const *paths, size_t n, unsigned nthreads, hs_err *err)
{
    an_prefetch *pf = calloc(1, sizeof(*pf));
    an_slot *slots = calloc(n ? n : 1, sizeof(*slots));
    if (pf == NULL || slots == NULL) {
        free(pf);
        free(slots);
        hs_err_set(err, "out of memory");
        return NULL;
    }
    pf->paths = paths;
    pf->n = n;
    pf->slots = slots;
    unsigned want = an_prefetch_threads(nthreads, n);
    pf->window = 2 * (size_t)want + 2;
    pthread_mutex_init(&pf->lock, NULL);
    pthread_cond_init(&pf->changed, NULL);
    for (unsigned t = 0; t < want; t++) {
        if (pthread_create(&pf->tid[t], NULL, an_prefetch_worker, pf) != 0)
            break;
        pf->nthreads++;
    }
    if (pf->nthreads == 0) {
        an_prefetch_stop(pf);
        hs_err_set(err, "cannot start a thread to read the profiles (out of memory or "
                        "process limits?)");
        return NULL;
    }
    return pf;
}

pprof_profile *an_prefetch_take(an_prefetch *pf, size_t i, hs_err *err)
{
    if (i >= pf->n) {
        hs_err_set(err, "no profile %zu in a list of %zu", i, pf->n);
        return NULL;
    }
    pthread_mutex_lock(&pf->lock);
    if (pf->taken < i + 1) {
        pf->taken = i + 1;
        pthread_cond_broadcast(&pf->changed);
    }
    while (!pf->slots[i].done)
        pthread_cond_wait(&pf->changed, &pf->lock);
    pprof_profile *p = pf->slots[i].p;
    pf->slots[i].p = NULL;
    if (p == NULL && err != NULL)
        *err = pf->slots[i].err;
    pthread_mutex_unlock(&pf->lock);
    return p;
}

void an_prefetch_stop(an_prefetch *pf)
{
    if (pf == NULL)
        return;
    pthread_mutex_lock(&pf->lock);
    pf->stopping = 1;
    pthread_cond_broadcast(&pf->changed);
    pthread_mutex_unlock(&pf->lock);
    for (unsigned t = 0; t < pf->nthreads; t++)
        pthread_join(pf->tid[t], NULL);
    for (size_t i = 0; i < pf->n; i++)
        pprof_profile_free(pf->slots[i].p);
    pthread_mutex_destroy(&pf->lock);
    pthread_cond_destroy(&pf->changed);
    free(pf->slots);
    free(pf);
}
