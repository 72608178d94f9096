-- ebm.classifier: the MNIST classifier ebmlua trains itself to judge samples.
-- Softmax regression (sizes {784, 10}) or an MLP with ReLU hidden layers ({784, 256, 10}).
--
--   local net = ebm.classifier.new{sizes = {784, 256, 10}, seed = 1}
--   local X = ebm.classifier.inputs(images, 255)     -- u8 [n,28,28] -> f32 [n,784] in [0,1]
--   net:train_epoch(X, labels, {batch = 100, lr = 1e-3, seed = 1})  -- Adam (ebm.optim)
--   net:accuracy(X, labels), net:predict(X), net:features(X)        -- features: last hidden
--
-- Kernels: runtime/nn.c (GEMM layers, ReLU, softmax cross-entropy).

local core = require "ebm.core"
local optim = require "ebm.training.optim"
local data = require "ebm.io.data"

local M = {}
local Net = {}
Net.__index = Net
M.Net = Net

local function f32(...) return core.tensor_new("f32", ...) end

-- ebm.classifier.new{sizes = {784, 256, 10}, seed = 1} -> network; He-initialised weights.
function M.new(cfg)
  cfg = cfg or {}
  local sizes = cfg.sizes or {784, 256, 10}
  assert(#sizes >= 2, "classifier.new: sizes needs at least input and output sizes")
  local net = setmetatable({sizes = sizes, seed = cfg.seed or 1, layers = {}}, Net)
  local g = core.rng(net.seed)
  for i = 1, #sizes - 1 do
    local W = f32(sizes[i + 1], sizes[i]):normal(g, 0, math.sqrt(2 / sizes[i]))
    net.layers[i] = {W = W, b = f32(sizes[i + 1])}
  end
  return net
end

-- Rebuild from saved tensors: meta = {sizes=}, tensors W1, b1, W2, b2, ...
function M.from(meta, tensors)
  local net = setmetatable({sizes = meta.sizes, seed = meta.seed or 1, layers = {}}, Net)
  for i = 1, #meta.sizes - 1 do
    local W, b = tensors["W" .. i], tensors["b" .. i]
    assert(W and b and W:size(1) == meta.sizes[i + 1] and W:size(2) == meta.sizes[i],
      "classifier.from: layer " .. i .. " tensors missing or of the wrong shape")
    net.layers[i] = {W = W, b = b}
  end
  return net
end

-- Named tensors and metadata, for checkpoints.
function Net:state()
  local t = {}
  for i, l in ipairs(self.layers) do t["W" .. i], t["b" .. i] = l.W, l.b end
  return {kind = "classifier", sizes = self.sizes, seed = self.seed}, t
end

-- Pixels to inputs: u8 [n, ...] -> f32 [n, prod(...)] holding value / maxval (255 for raw
-- bytes, K-1 for images with K levels, 1 for binary).
function M.inputs(images, maxval)
  local n = images:size(1)
  local d = images:numel() // n
  return core.nn_u8_scale(images:contiguous(), 1 / (maxval or 255), f32(n, d))
end

-- Forward pass on X [B, in]; returns logits [B, C] and the list of activations
-- (acts[1] = X, acts[i+1] = output of layer i, ReLU applied to all but the last).
function Net:forward(X)
  local acts = {X}
  local h = X
  for i, l in ipairs(self.layers) do
    local y = core.nn_linear(h, l.W, l.b, f32(h:size(1), l.W:size(1)))
    if i < #self.layers then core.nn_relu(y) end
    acts[i + 1] = y
    h = y
  end
  return h, acts
end

-- Penultimate activations (the input itself for softmax regression) -> f32 [B, d].
function Net:features(X, batch)
  batch = batch or 1000
  local n, L = X:size(1), #self.layers
  local d = self.sizes[L]
  local out = f32(n, d)
  for s = 1, n, batch do
    local b = math.min(batch, n - s + 1)
    local _, acts = self:forward(X:narrow(1, s, b))
    out:narrow(1, s, b):copy(acts[L])
  end
  return out
end

-- Predicted classes (0-based) -> i32 [n].
function Net:predict(X, batch)
  batch = batch or 1000
  local n = X:size(1)
  local pred = core.tensor_new("i32", n)
  for s = 1, n, batch do
    local b = math.min(batch, n - s + 1)
    local logits = self:forward(X:narrow(1, s, b))
    core.nn_softmax_xent(logits, nil, nil, pred:narrow(1, s, b))
  end
  return pred
end

-- Fraction of rows whose predicted class equals labels (u8/i32 [n]).
function Net:accuracy(X, labels)
  local pred, y = self:predict(X), labels:to("i32")
  local ok = 0
  for i = 1, X:size(1) do if pred:get(i) == y:get(i) then ok = ok + 1 end end
  return ok / X:size(1)
end

-- One epoch of Adam on (X, labels) in shuffled batches.
-- opt: batch (100), lr (1e-3), weight_decay (0), seed (1), epoch (1: shuffling stream),
--      transform (function(Xb) -> Xb', e.g. stochastic binarisation), state (Adam state table).
-- Returns mean loss, training accuracy over the epoch.
function Net:train_epoch(X, labels, opt)
  opt = opt or {}
  local batch = opt.batch or 100
  local y = labels:to("i32")
  self.adam_state = opt.state or self.adam_state or {}
  local params, grads = {}, {}
  for i, l in ipairs(self.layers) do
    params[2 * i - 1], params[2 * i] = l.W, l.b
    l.dW, l.db = l.dW or f32(l.W:size(1), l.W:size(2)), l.db or f32(l.b:size(1))
    grads[2 * i - 1], grads[2 * i] = l.dW, l.db
  end
  local g = core.rng(opt.seed or self.seed):split(opt.epoch or 1)
  local tot, correct, n = 0, 0, 0
  for idx in data.batches(X:size(1), batch, g) do
    local Xb, yb = data.take(X, idx), data.take(y, idx)
    if opt.transform then Xb = opt.transform(Xb) end
    local logits, acts = self:forward(Xb)
    local B = Xb:size(1)
    local d = f32(B, logits:size(2))
    local loss, ok = core.nn_softmax_xent(logits, yb, d)
    tot, correct, n = tot + loss * B, correct + ok, n + B
    for i = #self.layers, 1, -1 do
      local l = self.layers[i]
      l.dW:zero(); l.db:zero()
      local dX = i > 1 and f32(B, l.W:size(2)) or nil
      core.nn_linear_backward(acts[i], l.W, d, l.dW, l.db, dX)
      if i > 1 then core.nn_relu_backward(acts[i], dX) end
      d = dX
    end
    optim.adam(params, grads, {lr = opt.lr or 1e-3, weight_decay = opt.weight_decay or 0}, self.adam_state)
  end
  return tot / n, correct / n
end

return M
