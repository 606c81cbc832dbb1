/* Asks for four threads that all stay alive until every pthread_create has returned,
   and reports each result: on a machine with fewer free CPUs for threads (sun4v run
   --strands N) the extra creations fail with EAGAIN. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cv = PTHREAD_COND_INITIALIZER;
static int go;
static long ran[NTHREADS];

static void *worker(void *arg)
{
    long id = (long)arg;
    pthread_mutex_lock(&lock);
    while (!go)
        pthread_cond_wait(&go_cv, &lock);
    pthread_mutex_unlock(&lock);
    ran[id] = id + 100;
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    int rc[NTHREADS], created = 0;
    for (long i = 0; i < NTHREADS; i++) {
        rc[i] = pthread_create(&t[i], NULL, worker, (void *)i);
        if (rc[i] == 0)
            created++;
    }
    pthread_mutex_lock(&lock);
    go = 1;
    pthread_cond_broadcast(&go_cv);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < NTHREADS; i++) {
        if (rc[i] == 0) {
            pthread_join(t[i], NULL);
            printf("thread %d: created, ran %ld\n", i, ran[i]);
        } else {
            printf("thread %d: pthread_create failed: %s\n", i,
                   rc[i] == EAGAIN ? "EAGAIN" : strerror(rc[i]));
        }
    }
    printf("%d of %d threads created\n", created, NTHREADS);
    return 0;
}
