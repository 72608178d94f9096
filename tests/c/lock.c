/* lock.c - ebm_lock_acquire/release: one holder at a time, the holder's text shown to the
 * others, released on release, on close by exit and on kill -9, a left-over file taken over. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"
#include "tap.h"

static char dir[] = "/tmp/ebm_lock_test_XXXXXX";
static char path[256];

/* In a child process: try the lock; exit 0 if taken, 1 if busy (holder text checked against
 * `want`), 2 on another error. */
static int child_try(const char *want) {
    pid_t p = fork();
    if (p == 0) {
        int fd;
        char holder[256], err[256];
        int rc = ebm_lock_acquire(path, "child\n", &fd, holder, sizeof holder, err, sizeof err);
        if (rc == 0) _exit(0);
        if (rc == EBM_EBUSY) _exit(want && strcmp(holder, want) == 0 ? 1 : 3);
        _exit(2);
    }
    int st = 0;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void) {
    plan(9);
    if (!mkdtemp(dir)) return 1;
    snprintf(path, sizeof path, "%s/lock", dir);
    int fd;
    char holder[256], err[256];
    int rc = ebm_lock_acquire(path, "pid=1\nlonger text\n", &fd, holder, sizeof holder, err, sizeof err);
    ok(rc == 0 && fd > 2, "the first caller takes the lock (file created)");
    ebm_lock_release(fd);
    rc = ebm_lock_acquire(path, "pid=2\n", &fd, holder, sizeof holder, err, sizeof err);
    ok(rc == 0, "after release it is taken again");
    is_int(child_try("pid=2\n"), 1, "another process is refused and reads exactly the holder's text");
    /* closing another descriptor of the file in the holder's process keeps the lock (flock) */
    FILE *f = fopen(path, "r");
    if (f) fclose(f);
    is_int(child_try("pid=2\n"), 1, "reading the lock file in the holder's process keeps the lock");
    ebm_lock_release(fd);
    is_int(child_try(NULL), 0, "released: another process takes it");

    /* a holder killed with SIGKILL loses its lock */
    int pfd[2];
    if (pipe(pfd) != 0) return 1;
    pid_t h = fork();
    if (h == 0) {
        int hfd;
        char e[64], hb[8];
        if (ebm_lock_acquire(path, "holder\n", &hfd, hb, sizeof hb, e, sizeof e) != 0) _exit(1);
        if (write(pfd[1], "x", 1) != 1) _exit(1);
        for (;;) pause();
    }
    char c;
    ok(read(pfd[0], &c, 1) == 1, "a child holds the lock");
    is_int(child_try("holder\n"), 1, "while it lives, others are refused");
    kill(h, SIGKILL);
    waitpid(h, NULL, 0);
    is_int(child_try(NULL), 0, "after kill -9 of the holder the left-over file is taken over");

    snprintf(path, sizeof path, "%s/no/such/dir/lock", dir);
    rc = ebm_lock_acquire(path, "x", &fd, holder, sizeof holder, err, sizeof err);
    ok(rc == EBM_EIO && strstr(err, "cannot open") && fd == -1, "an impossible path is an I/O error with a message");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) diag("could not remove %s", dir);
    return done_testing();
}
