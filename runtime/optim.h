/* optim.h - optimiser steps over whole tensors (the arithmetic of lua/ebm/training/optim/).
 *
 * Plain C11, no Lua. Every tensor passed to one call has the same dtype (f32 or f64), the
 * same number of elements, and is contiguous; otherwise EBM_ETYPE / EBM_ESHAPE and nothing
 * is changed. State tensors (momentum, moments) belong to the caller, who keeps them
 * between steps.
 */
#ifndef EBM_OPTIM_H
#define EBM_OPTIM_H

#include "tensor.h"

typedef struct ebm_sgd_config {
    double lr;           /* learning rate */
    double momentum;     /* 0 = plain SGD */
    double dampening;    /* momentum buffer takes (1 - dampening) * g */
    double weight_decay; /* L2: g += weight_decay * p */
    int nesterov;        /* use g + momentum * v instead of v */
    int lr_in_velocity;  /* v = mu*v - lr*g'; p += v (dampening, nesterov and `first` unused) */
} ebm_sgd_config;

/* One SGD step: g' = g + wd*p; with momentum, v = mu*v + (1-damp)*g' (v = g' on the first
 * step, when `first` is set) and d = nesterov ? g' + mu*v : v, else d = g'; p -= lr*d.
 * `v` may be NULL when momentum == 0 (and lr_in_velocity is not set).
 * With lr_in_velocity (the form of Sutskever et al. 2013 and Hinton's RBM guide, which the
 * RBM trainer uses) the velocity carries the learning rate: v = mu*v - lr*g'; p += v, so a
 * changing lr scales only new gradients; v starts at zero (its buffer as given). */
int ebm_optim_sgd(ebm_tensor *p, const ebm_tensor *g, ebm_tensor *v, const ebm_sgd_config *c, int first);

typedef struct ebm_adam_config {
    double lr, beta1, beta2, eps;
    double weight_decay; /* L2 added to the gradient, or decoupled (AdamW) when `decoupled` */
    int decoupled;
} ebm_adam_config;

/* One Adam step number `step` (1-based): g' = g + wd*p (L2 form);
 * m = b1*m + (1-b1)*g'; v = b2*v + (1-b2)*g'^2;
 * p -= lr * (m / (1-b1^step)) / (sqrt(v / (1-b2^step)) + eps);
 * decoupled form: p -= lr*wd*p before the update, and g' = g. */
int ebm_optim_adam(ebm_tensor *p, const ebm_tensor *g, ebm_tensor *m, ebm_tensor *v, const ebm_adam_config *c,
                   int64_t step);

#endif
