/* Producer/consumer over a bounded buffer with a mutex and two condition variables:
   one producer, three consumers; totals printed after the joins. */
#include <pthread.h>
#include <stdio.h>

#define NCONS 3
#define ITEMS 600
#define CAP 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long buf[CAP];
static int head, count, done;
static long consumed_sum[NCONS], consumed_n[NCONS];

static void *producer(void *arg)
{
    (void)arg;
    for (long i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&lock);
        while (count == CAP)
            pthread_cond_wait(&not_full, &lock);
        buf[(head + count) % CAP] = i * i;
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    done = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg)
{
    long id = (long)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (count == 0 && !done)
            pthread_cond_wait(&not_empty, &lock);
        if (count == 0 && done) {
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        long v = buf[head];
        head = (head + 1) % CAP;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
        consumed_sum[id] += v;
        consumed_n[id]++;
    }
}

int main(void)
{
    pthread_t p, c[NCONS];
    for (long i = 0; i < NCONS; i++)
        pthread_create(&c[i], NULL, consumer, (void *)i);
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(p, NULL);
    long n = 0, sum = 0;
    for (int i = 0; i < NCONS; i++) {
        pthread_join(c[i], NULL);
        n += consumed_n[i];
        sum += consumed_sum[i];
    }
    printf("consumed %ld items, sum of squares %ld (expected %ld)\n", n, sum,
           (long)ITEMS * (ITEMS + 1) * (2 * ITEMS + 1) / 6);
    printf("every item consumed exactly once: %s\n", n == ITEMS ? "yes" : "no");
    return 0;
}
