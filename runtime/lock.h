/* lock.h - ownership of a file by one process at a time (run folders: lua/ebm/run.lua).
 *
 * The lock is flock(LOCK_EX) on an open descriptor of the lock file: the kernel drops it when
 * the holder closes the descriptor or ends, however it ends (exit, error, SIGINT, kill -9), so a
 * lock file left behind by a dead process is simply taken over. The descriptor is opened with
 * O_CLOEXEC: programs the holder starts (gnuplot, GNU parallel) do not inherit the lock.
 * flock, unlike fcntl locks, is not dropped when another descriptor of the same file is closed
 * in the holder's process (reading the lock file to show its owner is safe).
 */
#ifndef EBM_LOCK_H
#define EBM_LOCK_H

#include <stddef.h>

#include "tensor.h" /* error codes (EBM_EIO) and ebm_errorf */

/* Take the lock on `path` (created with mode 0644 if missing) without waiting.
 *   0         taken: the file now holds exactly `info` (the holder's description); *fd is the
 *             descriptor to keep open while the lock is held (ebm_lock_release)
 *   EBM_EBUSY another open descriptor holds it: `holder` receives the file's content (at most
 *             holder_len - 1 bytes, NUL-terminated) and *fd is -1
 *   EBM_EIO   the file cannot be opened, locked or written: `err` says why, *fd is -1 */
enum { EBM_EBUSY = 16 }; /* beside tensor.h's codes */
int ebm_lock_acquire(const char *path, const char *info, int *fd, char *holder, size_t holder_len,
                     char *err, size_t errlen);

/* Give up a lock taken by ebm_lock_acquire (closes fd). */
void ebm_lock_release(int fd);

#endif
