-- ebm.quality: sample-quality numbers that tell digit models apart, all in the feature
-- space of the project's classifier (ebm.classifier) and in the model's own data
-- representation (the same levels and binarisation it was trained on).
--
--   local ref = ebm.quality.reference{net = net, train = u8 [N,28,28], test = u8 [T,28,28],
--                                     levels = K, n = 1000, seed = 1}
--   local q = ebm.quality.measure(ref, samples_u8)      -- samples: u8 [n,28,28], levels 0..K-1
--   q.fd, q.fd_floor, q.fd_ceiling, q.fd_position       -- Frechet distance and its brackets
--   q.precision, q.recall                               -- k-NN manifolds (k = 3)
--   q.mem_ratio, q.mem_copies                           -- memorisation check
--   ebm.quality.inception(net, X)                       -- exp E[KL(p(y|x) || p(y))]
--
-- Frechet distance (FD): between the classifier features of the samples and of the
-- reference images (the test images of the digit). Brackets from the same code and the same
-- number n of rows: the floor is n training images against the same reference (what real
-- images score), the ceiling n samples of the independent-pixel model fitted to the training
-- images. fd_position = (fd - floor) / (ceiling - floor): 0 as good as real images, 1 as bad
-- as independent pixels (it can leave [0, 1]).
-- Precision and recall (Kynkaanniemi et al. 2019): each set's manifold is the union of balls
-- around its feature vectors with radius the distance to the k-th nearest other member;
-- precision = fraction of samples inside the reference manifold, recall = fraction of
-- reference images inside the samples' manifold.
-- Memorisation: in pixel space (values / (K-1)), each sample's distance to its nearest
-- training image against the same for the reference (test) images. mem_ratio = median over
-- samples / median over test images (about 1 for fresh draws of the data distribution, 0
-- for copies of training images); mem_copies = fraction of samples nearer to the training
-- set than the 1st percentile of the test images' distances (about 0.01 for fresh draws, 1
-- for copies). Distance loops: runtime/knn.c.
local core = require "ebm.core"
local classifier = require "ebm.evaluation.classifier"
local eval = require "ebm.evaluation.eval"
local data = require "ebm.io.data"
local grid = require "ebm.models.grid"
local sampler = require "ebm.sampling.sampler"
local train = require "ebm.training.train"
local lfs = require "lfs"

local M = {}

M.K = 3 -- neighbours of the k-NN manifolds (the paper's choice)

-- Rows of u8 images [n, ...] with levels 0..levels-1 as classifier inputs f32 [n, d] in [0, 1].
function M.inputs(images, levels)
  return classifier.inputs(images, levels - 1)
end

-- n rows of `images` drawn without replacement by `rng` (all of them, shuffled, if n >= N).
function M.subset(images, n, rng)
  local N = images:size(1)
  local first = data.batches(N, math.min(n, N), rng) -- the first shuffled batch
  return data.take(images, first())
end

-- n independent-pixel samples u8 [n, h, w]: each pixel drawn from its level histogram in
-- `images` (add-one smoothed, train.marginal_biases), by the grid sampler's "bias" start.
function M.independent(images, levels, n, seed)
  local h, w = images:size(2), images:size(3)
  local m = grid { height = h, width = w, levels = levels, stencil = "4", coupling = "potts", tie = "direction" }
  train.marginal_biases(m, images)
  local s = sampler { model = m, seed = seed or 1 }
  return s:chains(n, "bias"):t():contiguous():view(n, h, w)
end

-- Precision and recall of sample features S against reference features R (f32 [n, d]).
-- (Sets of k rows or fewer use k = rows - 1; a set of one row gives NaN.)
function M.precision_recall(R, S, k)
  k = k or M.K
  local kr, ks = math.min(k, R:size(1) - 1), math.min(k, S:size(1) - 1)
  if kr < 1 or ks < 1 then return 0 / 0, 0 / 0 end
  local rr = core.knn_kth(R, nil, kr)          -- squared radii of the reference balls
  local rs = core.knn_kth(S, nil, ks)          -- and of the sample balls
  local p = core.knn_covered(S, R, rr):to("f32"):mean()
  local r = core.knn_covered(R, S, rs):to("f32"):mean()
  return p, r
end

local function sorted(t)
  local c = {}
  for i, v in ipairs(t) do c[i] = v end
  table.sort(c)
  return c
end

local function quantile(s, q) -- s sorted ascending
  local i = math.max(1, math.min(#s, math.floor(q * (#s - 1) + 0.5) + 1))
  return s[i]
end

-- Nearest-training distances (Euclidean, pixel space) of rows X f32 [n, D] -> Lua table.
function M.nearest_distances(X, train_rows)
  local _, d2 = core.knn_nearest(X, train_rows)
  local t = d2:totable()
  for i, v in ipairs(t) do t[i] = math.sqrt(v) end
  return t
end

-- Memorisation numbers of sample rows S against training rows T, with the test rows'
-- nearest-training distances (sorted Lua table) as the yardstick.
function M.memorisation(S, T, test_sorted)
  local ds = sorted(M.nearest_distances(S, T))
  local cut = quantile(test_sorted, 0.01)
  local below = 0
  for _, v in ipairs(ds) do if v < cut then below = below + 1 end end
  local mt = quantile(test_sorted, 0.5)
  return { mem_ratio = mt > 0 and quantile(ds, 0.5) / mt or 0 / 0, mem_copies = below / #ds,
    mem_median = quantile(ds, 0.5), mem_test_median = mt }
end

-- Reference for one digit (or any image set): o.net (classifier), o.train and o.test (u8
-- [N, h, w] in the model's representation), o.levels, o.n (rows per compared set, 1000),
-- o.seed, o.memorise (train rows searched by the memorisation check, default all).
function M.reference(o)
  local net, K, n = o.net, o.levels, o.n or 1000
  assert(net and o.train and o.test and K, "quality.reference: needs net, train, test and levels")
  local g = core.rng(o.seed or 1)
  local ref = { net = net, levels = K, n = n, seed = o.seed or 1 }
  local test = M.subset(o.test, math.max(n, math.min(o.test:size(1), 5000)), g:split(1))
  ref.test_features = net:features(M.inputs(test, K))
  ref.test_stats = eval.stats(net, M.inputs(test, K))
  ref.n_test = test:size(1)
  -- memorisation yardstick: test images' nearest training images
  local pool = o.train
  if o.memorise and o.memorise < pool:size(1) then pool = M.subset(pool, o.memorise, g:split(2)) end
  ref.train_rows = M.inputs(pool, K)
  ref.test_nn = sorted(M.nearest_distances(M.inputs(M.subset(test, n, g:split(3)), K), ref.train_rows))
  -- brackets: n training images (floor) and n independent-pixel samples (ceiling)
  local floor = M.measure(ref, M.subset(o.train, n, g:split(4)), { memorise = false })
  local ceil = M.measure(ref, M.independent(o.train, K, n, ref.seed + 17), { memorise = false })
  ref.fd_floor, ref.fd_ceiling = floor.fd, ceil.fd
  ref.precision_floor, ref.recall_floor = floor.precision, floor.recall
  ref.precision_ceiling, ref.recall_ceiling = ceil.precision, ceil.recall
  return ref
end

-- Quality numbers of samples u8 [n, h, w] (levels 0..K-1) against a reference.
-- opts.memorise = false skips the memorisation check.
function M.measure(ref, samples, opts)
  opts = opts or {}
  local X = M.inputs(samples, ref.levels)
  local F = ref.net:features(X)
  local st = eval.stats(ref.net, X)
  local q = { n = samples:size(1), n_reference = ref.n_test }
  q.fd = eval.frechet(st, ref.test_stats)
  q.precision, q.recall = M.precision_recall(ref.test_features, F)
  if ref.fd_floor then
    q.fd_floor, q.fd_ceiling = ref.fd_floor, ref.fd_ceiling
    q.fd_position = (q.fd - ref.fd_floor) / (ref.fd_ceiling - ref.fd_floor)
    q.precision_floor, q.recall_floor = ref.precision_floor, ref.recall_floor
    q.precision_ceiling, q.recall_ceiling = ref.precision_ceiling, ref.recall_ceiling
  end
  if opts.memorise ~= false then
    for k, v in pairs(M.memorisation(X, ref.train_rows, ref.test_nn)) do q[k] = v end
  end
  return q
end

-- Class probabilities p(y | x) of inputs X (softmax of the logits) -> Lua table of rows.
function M.probs(net, X)
  local rows = net:forward(X):totable()
  for _, r in ipairs(rows) do
    local mx = -math.huge
    for _, v in ipairs(r) do mx = math.max(mx, v) end
    local s = 0
    for c, v in ipairs(r) do r[c] = math.exp(v - mx); s = s + r[c] end
    for c = 1, #r do r[c] = r[c] / s end
  end
  return rows
end

-- The classifier Inception Score analogue exp E_x[KL(p(y|x) || p(y))], p(y) the mean of
-- p(y|x) over the rows of X (f32 inputs). 1 for one class everywhere, C for confident
-- predictions spread evenly over C classes.
function M.inception(net, X)
  local rows = M.probs(net, X)
  local n, C = #rows, #rows[1]
  local py = {}
  for c = 1, C do
    local s = 0
    for i = 1, n do s = s + rows[i][c] end
    py[c] = s / n
  end
  local kl = 0
  for i = 1, n do
    for c = 1, C do
      local p = rows[i][c]
      if p > 0 then kl = kl + p * (math.log(p) - math.log(py[c])) end
    end
  end
  return math.exp(kl / n)
end

-- RBM sample rows f32 [n, D] (ebm.rbm's encoding) -> u8 levels [n, side, side].
function M.rbm_levels(m, x)
  return data.discretize(m:images(x), { levels = m.K })
end

-- Per-class quality (mode collapse of class-conditional models): for each class c in
-- `classes` (0-based digits), the numbers of samples_by_class[c] (u8 [n_c, h, w]) against a
-- reference of that class's images. o: net, levels, train, train_labels, test, test_labels,
-- seed. Returns a list {class=, <measure()'s fields>} in the order of `classes`.
function M.per_class(o, classes, samples_by_class)
  local out = {}
  local function of(images, labels, c)
    local ids = {}
    for i = 1, labels:numel() do if labels:get(i) == c then ids[#ids + 1] = i end end
    return data.take(images, core.tensor_from("i32", ids))
  end
  for k, c in ipairs(classes) do
    local s = samples_by_class[c]
    local ref = M.reference { net = o.net, levels = o.levels, n = s:size(1), seed = o.seed,
      train = of(o.train, o.train_labels, c), test = of(o.test, o.test_labels, c) }
    local q = M.measure(ref, s)
    q.class = c
    out[k] = q
  end
  return out
end

-- The quality columns of metrics.csv / summary.json, in order.
M.FIELDS = { "fd", "fd_floor", "fd_ceiling", "fd_position", "precision", "recall", "mem_ratio", "mem_copies" }

-- One line for terminals.
function M.format(q)
  return string.format("FD %.2f (floor %.2f, ceiling %.2f) -> position %.3f; precision %.3f, recall %.3f; " ..
    "memorisation: median nearest-training distance %.2f x the test images', %.1f%% near-copies",
    q.fd, q.fd_floor or 0 / 0, q.fd_ceiling or 0 / 0, q.fd_position or 0 / 0, q.precision, q.recall,
    q.mem_ratio or 0 / 0, 100 * (q.mem_copies or 0 / 0))
end

-- Load a classifier checkpoint; nil and a message when it is missing or unreadable.
function M.load_classifier(path)
  if lfs.attributes(path, "mode") ~= "file" then
    return nil, "no classifier at " .. path .. " (train one: ebmlua scripts/train_classifier.lua)"
  end
  local ok, net = pcall(eval.load_classifier, path)
  if not ok then return nil, tostring(net) end
  return net
end

return M
