/* N pthread workers (argv[1], default 4) each run a fixed integer work loop of argv[2]
   rounds (default 2000) and store a checksum; main joins them and prints every checksum
   and their sum (the same whatever the interleaving or the number of vCPUs). The
   workload of the tests that move a program's threads between vCPUs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "xorshift_worker.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 4;
    if (argc > 2)
        rounds = atol(argv[2]);
    if (n < 1 || n > MAXT || rounds < 0) {
        fprintf(stderr, "usage: threads_work [threads 1-%d] [rounds]\n", MAXT);
        return 2;
    }
    pthread_t t[MAXT];
    for (long i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create %ld failed\n", i);
            return 1;
        }
    unsigned long sum = 0;
    for (long i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        printf("worker %ld: %016lx\n", i, result[i]);
        sum += result[i];
    }
    printf("threads %ld rounds %ld sum %016lx\n", n, rounds, sum);
    return 0;
}
