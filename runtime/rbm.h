/* rbm.h - dense restricted Boltzmann machines: conditionals, sampling, free energy, CD/PCD
 * statistics, exact log Z by enumerating hidden states, AIS.
 *
 * Plain C11, no Lua. Products are cblas_sgemm on contiguous row-major f32 buffers.
 *
 * The visible vector x of one example is a concatenation of one-hot groups, D columns:
 *   - nv pixel groups of (K-1) columns each: pixel value v in 0..K-1 is coded with
 *     x[i*(K-1) + v-1] = 1 for v >= 1 and all zeros for v = 0 (level 0 is the reference,
 *     energy 0). K = 2 is the ordinary binary RBM (one column per pixel, x = v).
 *   - optionally one label group of nl columns, a full one-hot softmax (exactly one is 1).
 * D = nv*(K-1) + nl. Hidden units are binary, nh of them.
 *
 * Energy: E(x,h) = -b.x - c.h - h.W.x with W of shape [nh, D] (row j = hidden unit j).
 * Free energy with h summed out: F(x) = -b.x - sum_j softplus(c_j + W_j.x).
 *
 * Randomness: the uniform for column `col` of chain `chain` at step `step` is a word of
 * ebm_rng_block(seed, step*4 + tag, chain*ceil(ncols/4) + col/4), word col%4, where tag is
 * 0 for hidden and 1 for visible draws. A draw is a pure function of (seed, step, unit,
 * chain): results are identical for any number of threads and any batch split, as long as
 * the caller gives each chain the same id.
 */
#ifndef EBM_RBM_H
#define EBM_RBM_H

#include <stdint.h>

/* Elementwise loops use OpenMP threads only above this many elements (default 2^19);
 * tests set it to 0 to exercise the threaded paths on small problems. */
extern long ebm_rbm_par_min;

typedef struct ebm_rbm {
    int nv;          /* pixel groups (visible units), >= 1 */
    int K;           /* levels per pixel, 2..256 */
    int nl;          /* label units (one softmax group), 0 = none */
    int nh;          /* hidden units, >= 1 */
    int D;           /* visible columns = nv*(K-1) + nl */
    float *W;        /* [nh, D] weights, borrowed (caller owns) */
    float *b;        /* [D] visible biases, borrowed */
    float *c;        /* [nh] hidden biases, borrowed */
} ebm_rbm;

/* Fill m->D from the dims; returns 0, or EBM_ESHAPE (tensor.h codes) for bad dims. */
int ebm_rbm_setup(ebm_rbm *m);

/* act[B,nh] = x[B,D] W^T + c; then p = sigmoid(beta * act) if p != NULL (p may be act). */
void ebm_rbm_hidden_act(const ebm_rbm *m, const float *x, int B, float *act);
void ebm_rbm_hidden_probs(const ebm_rbm *m, const float *x, int B, float beta, float *p);

/* Visible probabilities p[B,D] given hidden h[B,nh] at inverse temperature beta:
 * act = beta*(h W + b) + (1-beta)*base (base: [D] biases of the base-rate model, or NULL
 * meaning zeros), then each group's softmax (for a pixel group the implicit level 0 has
 * activation 0). With clamp_labels the label columns of p are left untouched. */
void ebm_rbm_visible_probs(const ebm_rbm *m, const float *h, int B, float beta, const float *base,
                           int clamp_labels, float *p);

/* Bernoulli draws out[r,j] = (u < p[r,j]) for a [B,n] matrix (hidden layer; tag 0). */
void ebm_rbm_sample_hidden(const float *p, float *out, int B, int n, uint64_t seed, uint64_t step,
                           int64_t chain0);
/* One categorical draw per group from visible probabilities p[B,D] into one-hot x[B,D]
 * (tag 1). With clamp_labels the label columns of x are left as they are. */
void ebm_rbm_sample_visible(const ebm_rbm *m, const float *p, float *x, int B, uint64_t seed,
                            uint64_t step, int64_t chain0, int clamp_labels);

/* Free energy of each row of x[B,D] into F[B] (f64). */
void ebm_rbm_free_energy(const ebm_rbm *m, const float *x, int B, double *F);

/* CD-k / PCD-k statistics (ascent direction of the log-likelihood), averaged per example:
 *   gW = <h x>_data - <h x>_neg, gb = <x>_data - <x>_neg, gc = <h>_data - <h>_neg.
 * Data term uses p(h|x0). Negative chains: with neg == NULL (CD-k) they start at x0 and run
 * k full steps (h then x); with neg [Bn,D] (PCD) they continue from neg, updated in place.
 * The negative term uses the final sampled x and p(h|x). Labels are never clamped.
 * step: the caller's update counter (k steps use stream ids step*k .. step*k+k-1, so a
 * training run gives each update a distinct step). chain ids are row indices.
 * hdata (nh floats, or NULL) receives <h>_data, the data term of gc (for centring offsets).
 * Returns the mean squared reconstruction error ||x0 - p(x|h0)||^2 / (B*D) of the first
 * step when neg == NULL, else 0. Returns < 0 (-EBM_ENOMEM) on allocation failure. */
double ebm_rbm_cd(const ebm_rbm *m, const float *x0, int B, int k, float *neg, int Bn,
                  uint64_t seed, uint64_t step, float *gW, float *gb, float *gc, float *hdata);

/* Discriminative term of hybrid training (Larochelle & Bengio 2008) for a model with a
 * label group (nl >= 2): adds alpha times the gradient of mean_r log p(y_r | x_r) to gW, gb,
 * gc, where y_r is the one-hot label in row r of x [B,D] and
 *   log p(y|x) = b_y + sum_j softplus(c_j + W_j.x_pixels + W_{j,y}) - log sum_y' (same).
 * The pixel columns of gb are untouched (they cancel in p(y|x)). Returns mean log p(y|x),
 * NAN when a row's label group is not one-hot (nothing is added then), or -EBM_ENOMEM. */
double ebm_rbm_disc_grad(const ebm_rbm *m, const float *x, int B, float alpha, float *gW, float *gb,
                         float *gc);

/* Centring (Montavon & Mueller 2012; Melchior, Fischer & Wiskott 2016). Given the gradient
 * (gW, gb, gc) of any objective in the ordinary parameters, and offsets mu [D] (visible) and
 * lam [nh] (hidden), rewrite it in place as the gradient step of the centred model
 * E = -(h-lam).W.(x-mu) - bt.(x-mu) - ct.(h-lam), mapped back to the ordinary parameters:
 *   gW' = gW - lam gb^T - gc mu^T,  gb' = gb - gW'^T lam,  gc' = gc - gW' mu.
 * With mu = lam = 0 it is the identity. The model itself stays in ordinary form. */
void ebm_rbm_center_grad(const ebm_rbm *m, const float *mu, const float *lam, float *gW, float *gb, float *gc);

/* Exact log Z by enumerating all 2^nh hidden states (nh <= 30), stable in f64. */
double ebm_rbm_exact_logz(const ebm_rbm *m);

/* Annealed importance sampling (Salakhutdinov & Murray 2008) from the base-rate model
 * p_A(x) ~ exp(base . x) (W = 0, no hidden units) to m along the geometric path
 * p_k ~ p_A^(1-beta_k) p_B^(beta_k), beta_0 = 0 < ... < beta_{n-1} = 1 given in betas.
 * runs independent chains; logw[runs] receives each run's log importance weight, so that
 * log Z_B ~ log Z_0 + log mean exp(logw). Returns log Z_0 = log Z_A + nh log 2 (the path's
 * start includes the free hidden units), or NAN on bad input / no memory. */
double ebm_rbm_ais(const ebm_rbm *m, const float *base, const double *betas, int nbetas, int runs,
                   uint64_t seed, double *logw);

/* Reverse AIS (Burda, Grosse & Salakhutdinov 2015): the chains start at x0 [runs, D]
 * (one-hot rows, ideally exact samples of m; in practice held-out data) at beta = 1 and
 * walk the same path down to the base-rate model. logw[runs] receives each run's log
 * weight log prod_k p*_{k-1}(x_k) / p*_k(x_k), an unbiased estimate of Z_0 / Z_B when x0 ~ m,
 * so log Z_B ~ log Z_0 - log mean exp(logw) is a stochastic upper bound on log Z_B.
 * Returns log Z_0, or NAN on bad input / no memory. */
double ebm_rbm_ais_reverse(const ebm_rbm *m, const float *base, const double *betas, int nbetas, int runs,
                           const float *x0, uint64_t seed, double *logw);

/* Log normaliser of the base-rate model exp(base . x) over all x (sum of group log-sums). */
double ebm_rbm_base_logz(const ebm_rbm *m, const float *base);

/* Encode n examples: pixel levels v[n, nv] (u8, values 0..K-1; larger values are clamped
 * to K-1) and optional labels y[n] (0-based, NULL = none; ignored when nl = 0) into the
 * one-hot rows x[n, D]. Returns EBM_ERANGE if a label is outside 0..nl-1 (x then partly
 * written). */
int ebm_rbm_encode(const ebm_rbm *m, const uint8_t *v, const int32_t *y, int64_t n, float *x);
/* Decode rows x[n, D] to pixel values: the expected level sum_k k*x_k scaled to 0..255
 * (works for one-hot samples and for probabilities alike) into out[n, nv]. */
void ebm_rbm_decode(const ebm_rbm *m, const float *x, int64_t n, uint8_t *out);

/* Base-rate biases fitted to data x[n, D]: for each group, smoothed level frequencies
 * f_k = (count_k + alpha) / (n + alpha*levels) and base_k = log(f_k / f_0) for pixel groups
 * (level 0 is the reference) or log f_k for the label group. The maximum-likelihood
 * independent-pixel model with add-alpha smoothing. */
void ebm_rbm_base_rate(const ebm_rbm *m, const float *x, int64_t n, double alpha, float *base);

#endif
