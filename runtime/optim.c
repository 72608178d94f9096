/* optim.c - SGD and Adam steps over contiguous f32/f64 tensors. */
#include "optim.h"

#include <tgmath.h> /* float loops use sqrtf */

/* EBM_OK when all non-NULL tensors match p's dtype (float) and numel and are contiguous. */
static int check_group(const ebm_tensor *p, const ebm_tensor *const *ts, int n) {
    if (p->dtype != EBM_F32 && p->dtype != EBM_F64) return EBM_ETYPE;
    if (!ebm_tensor_is_contiguous(p)) return EBM_ESHAPE;
    int64_t np = ebm_tensor_numel(p);
    for (int i = 0; i < n; i++) {
        if (!ts[i]) continue;
        if (ts[i]->dtype != p->dtype) return EBM_ETYPE;
        if (ebm_tensor_numel(ts[i]) != np || !ebm_tensor_is_contiguous(ts[i])) return EBM_ESHAPE;
    }
    return EBM_OK;
}

#define SGD_LOOP(T)                                                                               \
    do {                                                                                          \
        T *x = ebm_tensor_data(p), *b = v ? (T *)ebm_tensor_data(v) : NULL;                       \
        const T *gr = ebm_tensor_data(g);                                                         \
        T lr = (T)c->lr, wd = (T)c->weight_decay, mu = (T)c->momentum, dm = (T)(1 - c->dampening); \
        if (!use_mom) {                                                                           \
            for (int64_t i = 0; i < n; i++) x[i] -= lr * (gr[i] + wd * x[i]);                     \
        } else if (c->lr_in_velocity) {                                                           \
            for (int64_t i = 0; i < n; i++) {                                                     \
                T gi = gr[i] + wd * x[i];                                                         \
                T vi = mu * b[i] - lr * gi;                                                       \
                b[i] = vi;                                                                        \
                x[i] += vi;                                                                       \
            }                                                                                     \
        } else {                                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                     \
                T gi = gr[i] + wd * x[i];                                                         \
                T vi = first ? gi : mu * b[i] + dm * gi;                                          \
                b[i] = vi;                                                                        \
                x[i] -= lr * (c->nesterov ? gi + mu * vi : vi);                                   \
            }                                                                                     \
        }                                                                                         \
    } while (0)

int ebm_optim_sgd(ebm_tensor *p, const ebm_tensor *g, ebm_tensor *v, const ebm_sgd_config *c, int first) {
    int use_mom = c->momentum != 0 || c->lr_in_velocity;
    if (use_mom && !v) return EBM_ESHAPE;
    const ebm_tensor *ts[2] = {g, use_mom ? v : NULL};
    int rc = check_group(p, ts, 2);
    if (rc) return rc;
    int64_t n = ebm_tensor_numel(p);
    if (p->dtype == EBM_F32) SGD_LOOP(float);
    else SGD_LOOP(double);
    return EBM_OK;
}

#define ADAM_LOOP(T)                                                                              \
    do {                                                                                          \
        T *x = ebm_tensor_data(p), *mm = ebm_tensor_data(m), *vv = ebm_tensor_data(v);            \
        const T *gr = ebm_tensor_data(g);                                                         \
        T b1 = (T)c->beta1, b2 = (T)c->beta2, eps = (T)c->eps, l2 = (T)(c->decoupled ? 0 : c->weight_decay); \
        T shrink = (T)(c->decoupled ? 1 - c->lr * c->weight_decay : 1);                          \
        T ic1 = (T)(1 / bc1), ic2 = (T)(1 / bc2), lr = (T)c->lr;                                  \
        for (int64_t i = 0; i < n; i++) {                                                         \
            T gi = gr[i] + l2 * x[i];                                                             \
            T mi = b1 * mm[i] + (1 - b1) * gi, vi = b2 * vv[i] + (1 - b2) * gi * gi;              \
            mm[i] = mi;                                                                           \
            vv[i] = vi;                                                                           \
            x[i] = shrink * x[i] - lr * (mi * ic1) / (sqrt(vi * ic2) + eps);                      \
        }                                                                                         \
    } while (0)

int ebm_optim_adam(ebm_tensor *p, const ebm_tensor *g, ebm_tensor *m, ebm_tensor *v, const ebm_adam_config *c,
                   int64_t step) {
    const ebm_tensor *ts[3] = {g, m, v};
    if (!m || !v || step < 1) return EBM_ESHAPE;
    int rc = check_group(p, ts, 3);
    if (rc) return rc;
    int64_t n = ebm_tensor_numel(p);
    double bc1 = 1 - pow(c->beta1, (double)step), bc2 = 1 - pow(c->beta2, (double)step);
    if (p->dtype == EBM_F32) ADAM_LOOP(float);
    else ADAM_LOOP(double);
    return EBM_OK;
}
