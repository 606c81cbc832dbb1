/* N pthread workers (argv[1], default 4) run threads_work's integer loop for argv[2]
   rounds (default 2000) while the main thread holds open: a pipe with unread data, a
   file it wrote (its offset in the middle), an unlinked file, a dup of stdout. After
   joining the workers it reads each back and prints what it finds. The program of the
   tests that checkpoint a domain program mid-run (its host files saved and restored). */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xorshift_worker.h"

static void show(const char *what, int fd)
{
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0) {
        printf("%s: read failed\n", what);
        return;
    }
    buf[n] = 0;
    printf("%s: %zd bytes [%s]\n", what, n, buf);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 4;
    if (argc > 2)
        rounds = atol(argv[2]);
    if (n < 1 || n > MAXT || rounds < 0) {
        fprintf(stderr, "usage: threads_files [threads 1-%d] [rounds]\n", MAXT);
        return 2;
    }
    int p[2];
    if (pipe(p) != 0) {
        printf("pipe failed\n");
        return 1;
    }
    const char *msg = "a message left in the pipe";
    if (write(p[1], msg, strlen(msg)) != (ssize_t)strlen(msg))
        printf("pipe write short\n");
    /* named from the pid, not mkstemp's clock-based names: a run's instructions do
       not depend on the host's clock */
    char named[64], gone[64];
    snprintf(named, sizeof named, "/tmp/threads_files.%ld.a", (long)getpid());
    snprintf(gone, sizeof gone, "/tmp/threads_files.%ld.b", (long)getpid());
    int fd = open(named, O_CREAT | O_RDWR | O_TRUNC, 0600);
    int ufd = open(gone, O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0 || ufd < 0) {
        printf("open failed\n");
        return 1;
    }
    unlink(gone);
    const char *text = "0123456789abcdefghij\n";
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
        write(ufd, "an unlinked file's content", 27) != 27)
        printf("file write short\n");
    lseek(fd, 5, SEEK_SET);
    lseek(ufd, 3, SEEK_SET);
    int o = dup(1);
    printf("fds: pipe %d %d, file %d, unlinked %d, dup %d\n", p[0], p[1], fd, ufd, o);
    fflush(stdout);

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

    show("pipe", p[0]);
    if (write(fd, "XY", 2) != 2)
        printf("file write at offset 5 failed\n");
    printf("file offset after the write: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    lseek(fd, 0, SEEK_SET);
    show("file", fd);
    show("unlinked file from offset 3", ufd);
    fflush(stdout);
    const char *via = "written through the dup of stdout\n";
    if (write(o, via, strlen(via)) != (ssize_t)strlen(via))
        printf("dup write short\n");
    close(p[0]);
    close(p[1]);
    close(fd);
    close(ufd);
    close(o);
    unlink(named);
    fprintf(stderr, "threads_files: done\n");
    return 0;
}
