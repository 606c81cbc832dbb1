/* A mutex-protected shared counter incremented by four threads; the final value and each
   thread's own count are printed by main after the joins. */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define ROUNDS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long mine[NTHREADS];

static void *worker(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter += id + 1;
        mine[id]++;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        printf("thread %d: %ld increments\n", i, mine[i]);
    printf("counter %ld (expected %ld)\n", counter, (long)ROUNDS * (1 + 2 + 3 + 4));
    return counter == (long)ROUNDS * 10 ? 0 : 1;
}
