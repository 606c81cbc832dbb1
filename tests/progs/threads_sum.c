/* Four pthread workers each sum a slice of an array into their own slot; main joins
   them and prints every slot and the total (deterministic whatever the interleaving). */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define N 4000

static long data[N];
static long slot[NTHREADS];

static void *worker(void *arg)
{
    long id = (long)arg;
    long sum = 0;
    for (long i = id * (N / NTHREADS); i < (id + 1) * (N / NTHREADS); i++)
        sum += data[i] * data[i] % 1009;
    slot[id] = sum;
    return (void *)(sum & 0xff);
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (long i = 0; i < N; i++)
        data[i] = i * 7 + 3;
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create %ld failed\n", i);
            return 1;
        }
    long total = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        printf("thread %d: sum %ld (returned %ld)\n", i, slot[i], (long)ret);
        total += slot[i];
    }
    printf("total %ld\n", total);
    return 0;
}
