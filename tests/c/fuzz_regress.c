/* fuzz_regress.c - every input that once crashed a reader under `make fuzz` (kept in
 * tests/fuzz/regress/READER/) is read again by that reader: it must be refused with a
 * reason or loaded, never crash (and, in `make sanitize`, never trip a sanitizer).
 * Inputs are read exactly as the fuzz harnesses feed them: the checkpoint harness fixes
 * the payload size and CRCs first, so that is done here too. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fuzz/ckpt_fix.h"
#include "ckpt.h"
#include "io_idx.h"
#include "io_png.h"
#include "tap.h"

/* The checkpoint harness's view of an input: size and CRC fields made to match. */
static int fixed_ckpt(const char *path, char *out, size_t outlen) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char *b = malloc(1 << 20);
    size_t n = b ? fread(b, 1, 1 << 20, f) : 0;
    fclose(f);
    if (!b) return -1;
    ckpt_fix_header(b, n);
    snprintf(out, outlen, "/tmp/ebm-fuzz-regress-%d", (int)getpid());
    FILE *g = fopen(out, "wb");
    int rc = g && fwrite(b, 1, n, g) == n ? 0 : -1;
    if (g) fclose(g);
    free(b);
    return rc;
}

int main(void) {
    const char *readers[] = {"idx", "ckpt", "png"};
    int total = 0;
    for (int r = 0; r < 3; r++) {
        char dir[256];
        snprintf(dir, sizeof dir, "tests/fuzz/regress/%s", readers[r]);
        DIR *d = opendir(dir);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char path[600], tmp[128], err[256] = "";
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            int rc;
            ebm_tensor t;
            if (r == 0) {
                rc = ebm_idx_read(path, &t, err, sizeof err);
                if (rc == EBM_OK) ebm_tensor_release(&t);
            } else if (r == 1) {
                if (fixed_ckpt(path, tmp, sizeof tmp)) { ok(0, "%s: readable", path); continue; }
                ebm_ckpt ck;
                rc = ebm_ckpt_load(tmp, &ck, err, sizeof err);
                if (rc == EBM_OK) ebm_ckpt_free(&ck);
                remove(tmp);
            } else {
                rc = ebm_png_read(path, &t, err, sizeof err);
                if (rc == EBM_OK) ebm_tensor_release(&t);
            }
            ok(rc == EBM_OK || err[0], "%s: %s", path, rc == EBM_OK ? "loads" : err);
            total++;
        }
        closedir(d);
    }
    ok(total >= 1, "%d kept fuzz inputs read (run from the repository root)", total);
    return done_testing();
}
