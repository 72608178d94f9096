/* fuzz_ckpt.c - libFuzzer harness: any bytes as a checkpoint file. The payload size and
 * the two CRCs would stop almost every mutation at the door, so the harness rewrites those
 * three header fields (and nothing else) to match the mutated bytes: the fuzzer then
 * reaches the field-by-field parser behind them. (Those header checks are plain compares,
 * tested in tests/lua/ckpt.lua.) Inputs too short for a header go in unchanged. */
#include <string.h>

#include "ckpt.h"
#include "ckpt_fix.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    ckpt_fix_header(buf, size);
    ebm_ckpt ck;
    char err[256] = "";
    int rc = ebm_ckpt_load(fuzz_path(buf, size), &ck, err, sizeof err);
    free(buf);
    if (rc != EBM_OK) {
        if (!err[0]) abort();
        return 0;
    }
    volatile size_t acc = ck.meta_len ? (unsigned char)ck.meta[ck.meta_len - 1] : 0;
    for (int i = 0; i < ck.n; i++) {
        acc += strlen(ck.items[i].name);
        const unsigned char *p = ebm_tensor_data(&ck.items[i].t);
        size_t n = (size_t)ebm_tensor_numel(&ck.items[i].t) * ebm_dtype_size(ck.items[i].t.dtype);
        for (size_t q = 0; q < n; q++) acc += p[q];
    }
    (void)acc;
    ebm_ckpt_free(&ck);
    return 0;
}
