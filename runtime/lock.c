/* lock.c - one owner per lock file (see lock.h). */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* Read the whole (small) file at fd into buf, NUL-terminated. */
static void read_all(int fd, char *buf, size_t len) {
    size_t n = 0;
    if (len == 0) return;
    while (n + 1 < len) {
        ssize_t r = pread(fd, buf + n, len - 1 - n, (off_t)n);
        if (r <= 0) break;
        n += (size_t)r;
    }
    buf[n] = '\0';
}

int ebm_lock_acquire(const char *path, const char *info, int *fd, char *holder, size_t holder_len,
                     char *err, size_t errlen) {
    *fd = -1;
    if (holder_len) holder[0] = '\0';
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0) return ebm_errorf(err, errlen, EBM_EIO, "cannot open %s: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            /* The holder writes its info right after taking the lock: give it up to ~0.5 s
             * to finish (the text ends with a newline), so the refusal can name it. */
            for (int tries = 0; tries < 50; tries++) {
                read_all(f, holder, holder_len);
                size_t n = holder_len ? strlen(holder) : 0;
                if (holder_len == 0 || (n > 0 && holder[n - 1] == '\n' && strstr(holder, "command=")))
                    break;
                struct timespec ts = {0, 10 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            close(f);
            return EBM_EBUSY;
        }
        close(f);
        return ebm_errorf(err, errlen, EBM_EIO, "cannot lock %s: %s", path, strerror(e));
    }
    size_t len = strlen(info), done = 0;
    if (ftruncate(f, 0) != 0) goto fail;
    while (done < len) {
        ssize_t w = pwrite(f, info + done, len - done, (off_t)done);
        if (w <= 0) goto fail;
        done += (size_t)w;
    }
    *fd = f;
    return 0;
fail:;
    int e = errno;
    close(f);
    return ebm_errorf(err, errlen, EBM_EIO, "cannot write %s: %s", path, strerror(e));
}

void ebm_lock_release(int fd) {
    if (fd >= 0) close(fd);
}
