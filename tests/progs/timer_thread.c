/* A POSIX timer with SIGEV_THREAD: glibc runs the callback in a helper thread that the
 * kernel signals with SIGEV_THREAD_ID; the callbacks' count and value reach main. */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>
static atomic_int hits; static int val;
static void cb(union sigval v){ val = v.sival_int; atomic_fetch_add(&hits, 1); }
int main(){
  struct sigevent ev = {0}; ev.sigev_notify = SIGEV_THREAD; ev.sigev_notify_function = cb; ev.sigev_value.sival_int = 99;
  timer_t t; int r = timer_create(CLOCK_MONOTONIC, &ev, &t);
  struct itimerspec ts = {{0, 5000000}, {0, 5000000}};
  timer_settime(t, 0, &ts, 0);
  while (atomic_load(&hits) < 3) { struct timespec s = {0, 1000000}; nanosleep(&s, 0); }
  timer_delete(t);
  printf("SIGEV_THREAD: create %d, callbacks >= 3, value %d\n", r, val);
  return 0;
}
