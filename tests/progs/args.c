/* Prints argc/argv; with "--stdin" among the arguments it also reads stdin
 * and prints its length, line count and a checksum. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int want_stdin = 0;
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=\"%s\" len=%zu\n", i, argv[i], strlen(argv[i]));
        if (!strcmp(argv[i], "--stdin")) want_stdin = 1;
    }
    printf("argv[argc] is %s\n", argv[argc] == NULL ? "NULL" : "not NULL");
    unsigned long total = 0;
    for (int i = 1; i < argc; i++)
        for (const char *p = argv[i]; *p; p++) total = total * 31 + (unsigned char)*p;
    printf("arg hash %lu\n", total);
    if (want_stdin) {
        char buf[4096];
        long n, len = 0, lines = 0;
        unsigned long sum = 0;
        while ((n = read(0, buf, sizeof buf)) > 0) {
            for (long i = 0; i < n; i++) {
                sum = sum * 131 + (unsigned char)buf[i];
                if (buf[i] == '\n') lines++;
            }
            len += n;
        }
        printf("stdin: %ld bytes, %ld lines, sum %lu\n", len, lines, sum);
    }
    fprintf(stderr, "args: done with %d arguments\n", argc - 1);
    return argc;
}
