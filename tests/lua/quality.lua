-- quality.lua - the sample-quality measures (ebm.quality, runtime/knn.c) on cases with
-- known answers: k-NN kernels against brute force across tile edges; precision/recall of
-- identical, disjoint and nested sets; memorisation of a copied set against fresh draws;
-- Frechet distance brackets on real images; the Inception Score analogue at its extremes.
local t = require "tap"
local ebm = require "ebm"
local core = ebm.core
local Q = ebm.quality

local g = ebm.rng(t.seed(11))

-- Brute-force squared distances (Lua doubles) for the kernels' reference.
local function d2(a, b)
  local s = 0
  for k = 1, #a do s = s + (a[k] - b[k]) ^ 2 end
  return s
end

-- Sets larger than one tile (256 rows of A, 1024 of B) so tile edges are crossed.
local A = ebm.f32(300, 5):normal(g, 0, 1)
local B = ebm.f32(1100, 5):normal(g, 0, 1)
local At, Bt = A:totable(), B:totable()
local kth = core.knn_kth(A, B, 3):totable()
local idx, nd = core.knn_nearest(A, B)
idx, nd = idx:totable(), nd:totable()
local err_k, err_n, bad_idx = 0, 0, 0
for i = 1, #At do
  local ds = {}
  local best, bj = math.huge, 0
  for j = 1, #Bt do
    ds[j] = d2(At[i], Bt[j])
    if ds[j] < best then best, bj = ds[j], j end
  end
  table.sort(ds)
  err_k = math.max(err_k, math.abs(ds[3] - kth[i]))
  err_n = math.max(err_n, math.abs(best - nd[i]))
  if bj ~= idx[i] then bad_idx = bad_idx + 1 end
end
-- f32 products of 5 values of size ~1: rounding below 1e-4
t.cmp_ok(err_k, "<", 1e-4, "knn_kth: 3rd nearest squared distance equals brute force")
t.cmp_ok(err_n, "<", 1e-4, "knn_nearest: nearest squared distance equals brute force")
t.is(bad_idx, 0, "knn_nearest: the nearest row's index (1-based) equals brute force")
local self2 = core.knn_kth(A, nil, 1):totable()
local worst = 0
for i = 1, #At do
  local best = math.huge
  for j = 1, #At do if j ~= i then best = math.min(best, d2(At[i], At[j])) end end
  worst = math.max(worst, math.abs(best - self2[i]))
end
t.cmp_ok(worst, "<", 1e-4, "knn_kth on one set leaves each row's own pair out")
local small = ebm.f32{{0, 0}, {1, 0}, {0, 2}, {3, 3}}
t.is_deeply(core.knn_covered(ebm.f32{{0.5, 0}, {2, 2}}, small, ebm.f32{0.25, 0, 0, 1}):totable(), {1, 0},
  "knn_covered: inside a ball counts at its edge (<=), outside not")
t.error_like(function() core.knn_kth(A, ebm.f32(4, 6), 1) end, "rows have 6 values", "a dimension mismatch is an error")
t.error_like(function() core.knn_kth(small, nil, 4) end, "fewer candidate rows than k", "k beyond the set is an error")
t.error_like(function() core.knn_covered(small, small, ebm.f32(3)) end, "one squared radius per row",
  "radii of the wrong length are an error")

-- Precision / recall with k-NN manifolds.
local R = ebm.f32(400, 8):normal(g, 0, 1)
local p, r = Q.precision_recall(R, R:clone())
t.is(p, 1, "identical sets: precision 1")
t.is(r, 1, "identical sets: recall 1")
local far = ebm.f32(400, 8):normal(g, 0, 1):add(100)
p, r = Q.precision_recall(R, far)
t.is(p, 0, "disjoint sets: precision 0")
t.is(r, 0, "disjoint sets: recall 0")
-- samples = the first half of the reference: every sample is a reference point (precision
-- 1); the reference points outside the half are covered only by the half's k-NN balls, and
-- the points of the half are (at least 50%), so recall lies in [0.5, 1).
local half = R:narrow(1, 1, 200):clone()
p, r = Q.precision_recall(R, half)
t.is(p, 1, "a subset of the reference: precision 1")
t.ok(r >= 0.5 and r < 1, "a subset of the reference: recall between its share and 1 (" .. r .. ")")
-- a model that covers only a small corner (the 100 points nearest one reference point)
-- keeps a high precision but a low recall
local near = core.knn_nearest(R, R:narrow(1, 1, 1))
local _, nd1 = core.knn_nearest(R, R:narrow(1, 1, 1))
local order = {}
for i = 1, 400 do order[i] = i end
local dd = nd1:totable()
table.sort(order, function(a, b) return dd[a] < dd[b] end)
local corner = ebm.data.take(R, ebm.i32 { table.unpack(order, 1, 100) })
p, r = Q.precision_recall(R, corner)
t.ok(p == 1 and r < 0.5, string.format("mode collapse: precision %.2f stays, recall %.2f drops", p, r))
assert(near)

-- Memorisation: copies of training rows against fresh draws of the same distribution.
local Tr = ebm.f32(2000, 20):normal(g, 0, 1)
local Te = ebm.f32(500, 20):normal(g, 0, 1)
local test_nn = Q.nearest_distances(Te, Tr)
table.sort(test_nn)
local copies = Q.memorisation(Tr:narrow(1, 1, 300):clone(), Tr, test_nn)
t.cmp_ok(copies.mem_ratio, "<", 0.01, "copied set: nearest-training distance ratio about 0")
t.is(copies.mem_copies, 1, "copied set: every sample is a near-copy")
local fresh = Q.memorisation(ebm.f32(300, 20):normal(g, 0, 1), Tr, test_nn)
-- medians of 300 and 500 draws of the same distance distribution: within ~10% (its spread
-- over 20 dimensions is about 10% of the median; the median's error ~ 1.25 sd / sqrt(n))
t.ok(fresh.mem_ratio > 0.9 and fresh.mem_ratio < 1.1, "fresh draws: ratio about 1 (" .. fresh.mem_ratio .. ")")
-- 1% expected below the test images' 1% quantile; 300 draws: 3 +- 1.7, allow up to 4%
t.cmp_ok(fresh.mem_copies, "<=", 0.04, "fresh draws: about 1% near-copies")

-- Inception Score analogue: a softmax layer with weights 50 I reads one-hot rows confidently.
local C = 4
local net = ebm.classifier.new { sizes = { C, C }, seed = 1 }
net.layers[1].W:zero()
for c = 1, C do net.layers[1].W:set(c, c, 50) end
local X = ebm.f32(400, C)
for i = 1, 400 do X:set(i, (i - 1) % C + 1, 1) end
t.near(Q.inception(net, X), C, 1e-3, "confident predictions spread over C classes: score C")
local X1 = ebm.f32(400, C)
for i = 1, 400 do X1:set(i, 2, 1) end
t.near(Q.inception(net, X1), 1, 1e-6, "every row read as one class: score 1")

-- Frechet distance brackets on real images of the digit 3 (binary, thresholded) with a
-- small MLP trained here for a few epochs as the feature map: the floor and ceiling come
-- from the same code as the measured numbers.
local net2 = ebm.classifier.new { sizes = { 784, 32, 10 }, seed = 3 }
do
  local ci, cl = ebm.data.mnist { split = "train", levels = 2, limit = 4000 }
  local cx = ebm.classifier.inputs(ci, 1)
  for e = 1, 4 do net2:train_epoch(cx, cl, { epoch = e, lr = 3e-3 }) end
end
local tr = ebm.data.mnist { split = "train", digits = { 3 }, levels = 2, limit = 1200 }
local te = ebm.data.mnist { split = "test", digits = { 3 }, levels = 2, limit = 400 }
local ref = Q.reference { net = net2, train = tr, test = te, levels = 2, n = 300, seed = 1 }
t.ok(ref.fd_floor < ref.fd_ceiling, string.format("floor %.3f below ceiling %.3f", ref.fd_floor, ref.fd_ceiling))
local same = Q.measure(ref, ebm.data.take(te, ebm.arange(1, 301)))
-- 300 of the 400 reference images themselves: FD near 0, precision 1 (each is a reference point)
t.cmp_ok(same.fd, "<", ref.fd_floor, "test images against themselves: FD below the floor (" .. same.fd_position .. ")")
t.is(same.precision, 1, "reference images are inside the reference manifold")
local indep = Q.measure(ref, Q.independent(tr, 2, 300, 99))
-- another draw of the ceiling's own model: position 1 up to the FD's sampling noise
t.ok(indep.fd_position > 0.7 and indep.fd_position < 1.3,
  "independent-pixel samples (another seed): position about 1 (" .. indep.fd_position .. ")")
local copy = Q.measure(ref, ebm.data.take(tr, ebm.arange(1, 301)))
t.cmp_ok(copy.mem_copies, ">", 0.95, "training images as samples: the memorisation check flags them")
t.cmp_ok(copy.mem_ratio, "<", 0.05, "training images as samples: nearest-training distance ratio 0")
t.cmp_ok(same.mem_ratio, ">", 0.5, "test images as samples: not flagged as copies")
t.error_like(function() Q.reference { net = net2, train = tr } end, "needs net, train, test and levels",
  "a reference without test images is an error")
t.done_testing()
