/* Four threads step a ring of values in phases separated by a pthread barrier: in each
   phase every thread reads its neighbours' values of the previous phase. */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define PHASES 20

static pthread_barrier_t bar;
static long val[2][NTHREADS];
static int serial_count;

static void *worker(void *arg)
{
    long id = (long)arg;
    for (int p = 0; p < PHASES; p++) {
        long *cur = val[p & 1], *next = val[(p + 1) & 1];
        next[id] = (cur[(id + NTHREADS - 1) % NTHREADS] + 2 * cur[id]
                    + cur[(id + 1) % NTHREADS] + p) % 1000003;
        if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD)
            __atomic_add_fetch(&serial_count, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    pthread_barrier_init(&bar, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++)
        val[0][i] = i * 11 + 1;
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        printf("val[%d] = %ld\n", i, val[PHASES & 1][i]);
    printf("barrier serial threads: %d of %d phases\n", serial_count, PHASES);
    pthread_barrier_destroy(&bar);
    return 0;
}
