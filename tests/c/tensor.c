/* tensor.c - C API of the tensor runtime: views, copies, reshape, elementwise ops,
 * reductions, GEMM against a naive loop, fills' determinism. */
#include <string.h>

#include "tap.h"
#include "tensor.h"
#include "tensor_math.h"

static void init2(ebm_tensor *t, ebm_dtype dt, int64_t r, int64_t c) {
    int64_t s[2] = {r, c};
    ebm_tensor_init(t, dt, 2, s);
}

/* max |x - y| over two tensors of equal numel (row-major order). */
static double maxdiff(const ebm_tensor *x, const ebm_tensor *y) {
    double m = 0;
    for (int64_t i = 0; i < ebm_tensor_numel(x); i++) {
        double d = fabs(ebm_tensor_get_linear(x, i) - ebm_tensor_get_linear(y, i));
        if (d > m || d != d) m = d != d ? INFINITY : d;
    }
    return m;
}

static void test_views(void) {
    ebm_tensor a, v;
    init2(&a, EBM_F32, 3, 4);
    ebm_tensor_arange(&a, 0, 1);
    ebm_tensor_view_of(&v, &a);
    is_int(a.storage->refcount, 2, "a view holds the storage");
    ebm_tensor_narrow(&v, 1, 1, 2);
    ebm_tensor_fill(&v, -1);
    is_dbl(ebm_tensor_get_linear(&a, 1), -1, 0, "narrowed view writes through to the base");
    is_dbl(ebm_tensor_get_linear(&a, 3), 3, 0, "outside the narrowed range unchanged");
    ebm_tensor_release(&v);
    ebm_tensor_view_of(&v, &a);
    ebm_tensor_select(&v, 0, 2);
    is_int(v.ndim, 1, "select drops a dim");
    is_dbl(ebm_tensor_get_linear(&v, 3), 11, 0, "select(0, 2) row values");
    ebm_tensor_release(&v);
    ebm_tensor_view_of(&v, &a);
    ebm_tensor_transpose(&v, 0, 1);
    ok(!ebm_tensor_is_contiguous(&v), "transpose is not contiguous");
    int64_t bad[2] = {2, 6};
    is_int(ebm_tensor_reshape(&v, 2, bad), EBM_ESHAPE, "reshape of a non-contiguous view fails");
    int64_t wrong[2] = {5, 2};
    ebm_tensor w;
    ebm_tensor_view_of(&w, &a);
    is_int(ebm_tensor_reshape(&w, 2, wrong), EBM_ESHAPE, "reshape to a different numel fails");
    int64_t inf[2] = {-1, 6};
    is_int(ebm_tensor_reshape(&w, 2, inf), EBM_OK, "reshape with an inferred size");
    is_int(w.size[0], 2, "inferred size is 2");
    int64_t two[2] = {-1, -1};
    is_int(ebm_tensor_reshape(&w, 2, two), EBM_ESHAPE, "two inferred sizes fail");
    int64_t wrap[2] = {((int64_t)1 << 62) + 3, 4}; /* product 2^64 + 12: wraps to 12 in 64 bits */
    is_int(ebm_tensor_reshape(&w, 2, wrap), EBM_ESHAPE, "a shape whose product overflows is refused (it wrapped to numel)");
    is_int(w.size[0], 2, "and the tensor is unchanged");
    /* copy across dtypes and strides: transposed f32 -> contiguous f64 */
    ebm_tensor c;
    init2(&c, EBM_F64, 4, 3);
    is_int(ebm_tensor_copy(&c, &v), EBM_OK, "copy from a transposed view");
    int ok_all = 1;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            int64_t ic[2] = {i, j}, ia[2] = {j, i};
            if (ebm_tensor_get(&c, ic) != ebm_tensor_get(&a, ia)) ok_all = 0;
        }
    ok(ok_all, "copied values follow the transpose");
    /* u8 conversion saturates */
    ebm_tensor u;
    int64_t n3 = 3;
    ebm_tensor_init(&u, EBM_U8, 1, &n3);
    ebm_tensor f;
    ebm_tensor_init(&f, EBM_F32, 1, &n3);
    ebm_tensor_set_linear(&f, 0, 300);
    ebm_tensor_set_linear(&f, 1, -5);
    ebm_tensor_set_linear(&f, 2, 7.9);
    ebm_tensor_copy(&u, &f);
    ok(ebm_tensor_get_linear(&u, 0) == 255 && ebm_tensor_get_linear(&u, 1) == 0 && ebm_tensor_get_linear(&u, 2) == 7,
       "f32 -> u8 saturates and truncates");
    /* copy between overlapping views of one storage */
    ebm_tensor s1, s2;
    ebm_tensor_view_of(&s1, &a);
    ebm_tensor_view_of(&s2, &a);
    ebm_tensor_arange(&a, 0, 1);
    ebm_tensor_transpose(&s2, 0, 1);
    ebm_tensor_narrow(&s1, 0, 0, 3);
    ebm_tensor sq1, sq2;
    ebm_tensor_view_of(&sq1, &a), ebm_tensor_view_of(&sq2, &a);
    ebm_tensor_narrow(&sq1, 1, 0, 3), ebm_tensor_narrow(&sq2, 1, 0, 3);
    ebm_tensor_transpose(&sq2, 0, 1);
    ebm_tensor_copy(&sq1, &sq2); /* in-place transpose of the 3x3 block */
    is_dbl(ebm_tensor_get_linear(&a, 1), 4, 0, "overlapping copy reads the old values (a[0][1] = old a[1][0])");
    is_dbl(ebm_tensor_get_linear(&a, 4), 1, 0, "overlapping copy (a[1][0] = old a[0][1])");
    ebm_tensor *all[] = {&a, &v, &w, &c, &u, &f, &s1, &s2, &sq1, &sq2};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) ebm_tensor_release(all[i]);
}

static void test_elementwise(void) {
    ebm_tensor a, b, o;
    init2(&a, EBM_F32, 2, 3);
    int64_t n3 = 3;
    ebm_tensor_init(&b, EBM_F32, 1, &n3);
    init2(&o, EBM_F32, 2, 3);
    ebm_tensor_arange(&a, 1, 1);   /* 1..6 */
    ebm_tensor_arange(&b, 10, 10); /* 10 20 30 */
    is_int(ebm_tensor_binary(&o, &a, &b, EBM_OP_ADD, 1), EBM_OK, "broadcast add");
    is_dbl(ebm_tensor_get_linear(&o, 5), 36, 0, "row-broadcast value");
    ebm_tensor_binary(&o, &a, &b, EBM_OP_SUB, 2);
    is_dbl(ebm_tensor_get_linear(&o, 4), 5 - 40, 0, "sub with alpha");
    ebm_tensor_binary_scalar(&o, &a, 12, EBM_OP_RDIV);
    is_dbl(ebm_tensor_get_linear(&o, 3), 3, 1e-6, "scalar / tensor");
    ebm_tensor_unary(&o, &a, EBM_UN_SIGMOID, 0, 0);
    is_dbl(ebm_tensor_get_linear(&o, 0), 1 / (1 + exp(-1.0)), 1e-6, "sigmoid");
    ebm_tensor_unary(&o, &a, EBM_UN_CLAMP, 2, 4);
    ok(ebm_tensor_get_linear(&o, 0) == 2 && ebm_tensor_get_linear(&o, 5) == 4, "clamp");
    int64_t n4 = 4;
    ebm_tensor bad;
    ebm_tensor_init(&bad, EBM_F32, 1, &n4);
    is_int(ebm_tensor_binary(&o, &a, &bad, EBM_OP_ADD, 1), EBM_ESHAPE, "non-broadcastable shapes are refused");
    /* an empty tensor with huge other dimensions: its strides would overflow (found by
     * make fuzz through a checkpoint naming such a shape) */
    int64_t empty_huge[3] = {0, (int64_t)1 << 40, (int64_t)1 << 40};
    ebm_tensor eh;
    is_int(ebm_tensor_init(&eh, EBM_F32, 3, empty_huge), EBM_ESHAPE, "zero size before sizes whose strides overflow is refused");
    int64_t empty_ok[3] = {0, 1000, 1000};
    is_int(ebm_tensor_init(&eh, EBM_F32, 3, empty_ok), EBM_OK, "an empty tensor with moderate sizes is fine");
    ebm_tensor_release(&eh);
    /* in place with an overlapping transposed operand: a (2x3) += transposed copy path */
    ebm_tensor sq, sqt;
    init2(&sq, EBM_F64, 3, 3);
    ebm_tensor_arange(&sq, 0, 1);
    ebm_tensor_view_of(&sqt, &sq);
    ebm_tensor_transpose(&sqt, 0, 1);
    ebm_tensor_binary(&sq, &sq, &sqt, EBM_OP_ADD, 1);
    ok(ebm_tensor_get_linear(&sq, 1) == 4 && ebm_tensor_get_linear(&sq, 3) == 4 && ebm_tensor_get_linear(&sq, 8) == 16,
       "x += x^T is symmetric (aliasing handled)");
    /* strided big op equals the contiguous result */
    ebm_tensor big, bigt, r1, r2;
    init2(&big, EBM_F32, 700, 500);
    ebm_rng g;
    ebm_rng_init(&g, 5);
    ebm_tensor_normal(&big, &g, 0, 1);
    ebm_tensor_view_of(&bigt, &big);
    ebm_tensor_transpose(&bigt, 0, 1);
    init2(&r1, EBM_F32, 500, 700);
    init2(&r2, EBM_F32, 500, 700);
    ebm_tensor_unary(&r1, &bigt, EBM_UN_EXP, 0, 0);
    ebm_tensor_copy(&r2, &bigt);
    ebm_tensor_unary(&r2, &r2, EBM_UN_EXP, 0, 0);
    is_dbl(maxdiff(&r1, &r2), 0, 0, "strided exp equals contiguous exp");
    ebm_tensor *all[] = {&a, &b, &o, &bad, &sq, &sqt, &big, &bigt, &r1, &r2};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) ebm_tensor_release(all[i]);
}

static void test_reduce(void) {
    ebm_tensor a, s, idx;
    int64_t sz[3] = {2, 3, 4};
    ebm_tensor_init(&a, EBM_F64, 3, sz);
    ebm_tensor_arange(&a, 0, 1);
    is_dbl(ebm_tensor_sumall(&a), 276, 0, "sum of 0..23");
    int64_t s2[2] = {2, 4};
    ebm_tensor_init(&s, EBM_F64, 2, s2);
    ebm_tensor_init(&idx, EBM_I32, 2, s2);
    is_int(ebm_tensor_reduce(&s, NULL, &a, 1, EBM_RED_SUM), EBM_OK, "sum over the middle dim");
    is_dbl(ebm_tensor_get_linear(&s, 5), 13 + 17 + 21, 0, "sum value [1][1]");
    ebm_tensor_reduce(&s, &idx, &a, 1, EBM_RED_MAX);
    ok(ebm_tensor_get_linear(&s, 0) == 8 && ebm_tensor_get_linear(&idx, 0) == 2, "max and argmax over dim");
    is_int(ebm_tensor_reduce(&s, NULL, &a, 3, EBM_RED_SUM), EBM_ERANGE, "dim out of range");
    is_int(ebm_tensor_reduce(&s, NULL, &a, 0, EBM_RED_SUM), EBM_ESHAPE, "out with the wrong numel");
    int64_t i;
    ebm_tensor_set_linear(&a, 17, -5);
    is_dbl(ebm_tensor_minall(&a, &i), -5, 0, "min over all");
    is_int(i, 17, "argmin over all");
    ebm_tensor_release(&a), ebm_tensor_release(&s), ebm_tensor_release(&idx);
}

/* naive C = op(A) op(B) in double */
static void naive(ebm_tensor *c, const ebm_tensor *a, const ebm_tensor *b, int ta, int tb) {
    int64_t m = c->size[0], n = c->size[1], k = ta ? a->size[0] : a->size[1];
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t l = 0; l < k; l++) {
                int64_t ia[2] = {ta ? l : i, ta ? i : l}, ib[2] = {tb ? j : l, tb ? l : j};
                s += ebm_tensor_get(a, ia) * ebm_tensor_get(b, ib);
            }
            int64_t ic[2] = {i, j};
            ebm_tensor_set(c, ic, s);
        }
}

static void test_gemm(void) {
    int shapes[][3] = {{1, 1, 1}, {3, 4, 5}, {17, 9, 33}, {64, 1, 7}, {2, 70, 3}};
    ebm_rng g;
    ebm_rng_init(&g, 11);
    for (int dt = 0; dt < 2; dt++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (int tr = 0; tr < 4; tr++) {
                int ta = tr & 1, tb = tr >> 1;
                int64_t m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
                ebm_tensor a, b, c, ref;
                init2(&a, dt ? EBM_F64 : EBM_F32, ta ? k : m, ta ? m : k);
                init2(&b, dt ? EBM_F64 : EBM_F32, tb ? n : k, tb ? k : n);
                init2(&c, dt ? EBM_F64 : EBM_F32, m, n);
                init2(&ref, EBM_F64, m, n);
                ebm_tensor_uniform(&a, &g, -1, 1);
                ebm_tensor_uniform(&b, &g, -1, 1);
                naive(&ref, &a, &b, ta, tb);
                int rc = ebm_tensor_gemm(&c, &a, &b, ta, tb, 1, 0);
                double d = maxdiff(&c, &ref);
                ok(rc == 0 && d < (dt ? 1e-12 : 1e-5) * (double)k, "gemm %s %lldx%lldx%lld ta=%d tb=%d (err %.2g)",
                   dt ? "f64" : "f32", (long long)m, (long long)k, (long long)n, ta, tb, d);
                ebm_tensor_release(&a), ebm_tensor_release(&b), ebm_tensor_release(&c), ebm_tensor_release(&ref);
            }
    /* views: A given as a transposed view, C as a transposed view, alpha/beta */
    ebm_tensor a, at, b, c, ct, ref;
    init2(&a, EBM_F64, 6, 4); /* A^T storage: A is 4x6 */
    init2(&b, EBM_F64, 6, 5);
    init2(&c, EBM_F64, 5, 4); /* C^T storage: C is 4x5 */
    init2(&ref, EBM_F64, 4, 5);
    ebm_tensor_normal(&a, &g, 0, 1);
    ebm_tensor_normal(&b, &g, 0, 1);
    ebm_tensor_fill(&c, 1);
    ebm_tensor_view_of(&at, &a);
    ebm_tensor_transpose(&at, 0, 1);
    ebm_tensor_view_of(&ct, &c);
    ebm_tensor_transpose(&ct, 0, 1);
    naive(&ref, &at, &b, 0, 0);
    ebm_tensor_unary(&ref, &ref, EBM_UN_SCALE, 2, 3); /* 2*AB + 3*1 */
    is_int(ebm_tensor_gemm(&ct, &at, &b, 0, 0, 2, 3), EBM_OK, "gemm into a transposed view");
    is_dbl(maxdiff(&ct, &ref), 0, 1e-12, "transposed views, alpha and beta");
    /* a narrowed column block (stride 2 in the inner dim) is copied */
    ebm_tensor wide, strided, out2, ref2;
    init2(&wide, EBM_F64, 4, 12);
    ebm_tensor_normal(&wide, &g, 0, 1);
    ebm_tensor_view_of(&strided, &wide);
    strided.size[1] = 6, strided.stride[1] = 2; /* every other column */
    init2(&out2, EBM_F64, 4, 5);
    init2(&ref2, EBM_F64, 4, 5);
    naive(&ref2, &strided, &b, 0, 0);
    ebm_tensor_gemm(&out2, &strided, &b, 0, 0, 1, 0);
    is_dbl(maxdiff(&out2, &ref2), 0, 1e-12, "gemm with a non-unit inner stride");
    ebm_tensor bad;
    init2(&bad, EBM_F64, 3, 3);
    is_int(ebm_tensor_gemm(&bad, &at, &b, 0, 0, 1, 0), EBM_ESHAPE, "wrong output shape");
    ebm_tensor u;
    init2(&u, EBM_U8, 4, 6);
    is_int(ebm_tensor_gemm(&ref, &u, &b, 0, 0, 1, 0), EBM_ETYPE, "u8 gemm refused");
    ebm_tensor *all[] = {&a, &at, &b, &c, &ct, &ref, &wide, &strided, &out2, &ref2, &bad, &u};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) ebm_tensor_release(all[i]);
}

static void test_fills(void) {
    ebm_rng g1, g2;
    ebm_rng_init(&g1, 99);
    ebm_rng_init(&g2, 99);
    int64_t n = 300001; /* above the parallel threshold */
    ebm_tensor a, b, sv, st;
    ebm_tensor_init(&a, EBM_F32, 1, &n);
    ebm_tensor_init(&b, EBM_F32, 1, &n);
    ebm_tensor_uniform(&a, &g1, 0, 1);
    ebm_tensor_uniform(&b, &g2, 0, 1);
    is_dbl(maxdiff(&a, &b), 0, 0, "same seed, same uniform fill");
    ok(g1.pos == (uint64_t)((n + 3) / 4), "uniform f32 consumes n/4 blocks");
    ebm_tensor_normal(&a, &g1, 0, 1);
    ebm_tensor_normal(&b, &g2, 0, 1);
    is_dbl(maxdiff(&a, &b), 0, 0, "same seed, same normal fill");
    double mean = ebm_tensor_sumall(&a) / (double)n, var = ebm_tensor_sumsq(&a) / (double)n - mean * mean;
    is_dbl(mean, 0, 5 / sqrt((double)n), "normal mean within 5 standard errors");
    is_dbl(var, 1, 5 * sqrt(2.0 / (double)n), "normal variance within 5 standard errors");
    /* a strided fill gives the values a contiguous fill would, in row-major order */
    int64_t s2[2] = {30, 40};
    ebm_tensor_init(&sv, EBM_F64, 2, s2);
    ebm_tensor_init(&st, EBM_F64, 2, s2);
    ebm_rng_init(&g1, 3);
    ebm_rng_init(&g2, 3);
    ebm_tensor_bernoulli(&sv, &g1, 0.3);
    ebm_tensor t;
    int64_t s3[2] = {40, 30};
    ebm_tensor_init(&t, EBM_F64, 2, s3);
    ebm_tensor tt;
    ebm_tensor_view_of(&tt, &t);
    ebm_tensor_transpose(&tt, 0, 1); /* 30x40 strided view */
    ebm_tensor_bernoulli(&tt, &g2, 0.3);
    is_dbl(maxdiff(&sv, &tt), 0, 0, "bernoulli into a strided view matches the contiguous fill");
    double frac = ebm_tensor_sumall(&sv) / 1200.0;
    is_dbl(frac, 0.3, 5 * sqrt(0.3 * 0.7 / 1200), "bernoulli rate within 5 standard errors");
    ebm_tensor *all[] = {&a, &b, &sv, &st, &t, &tt};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) ebm_tensor_release(all[i]);
}

int main(void) {
    test_views();
    test_elementwise();
    test_reduce();
    test_gemm();
    test_fills();
    return done_testing();
}
