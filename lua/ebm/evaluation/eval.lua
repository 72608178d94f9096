-- ebm.eval: judging samples with the project's own MNIST classifier.
--
--   local st = ebm.eval.stats(net, X)          -- {mu = f64 [d], cov = f64 [d,d], n = n}
--   ebm.eval.frechet(st1, st2)                 -- Frechet distance between two feature sets
--   ebm.eval.class_accuracy(net, X, asked)     -- fraction classified as the asked digit,
--                                              -- and per-digit fractions
--   ebm.eval.coverage(net, X)                  -- per-class fractions of predicted labels
--   ebm.eval.load_classifier(path) / save_classifier(net, path)
--
-- Features are the classifier's penultimate activations (net:features); inputs are f32 rows
-- in [0, 1] (ebm.classifier.inputs). Kernels: runtime/nn.c.

local core = require "ebm.core"
local tensor_io = require "ebm.io.io"
local classifier = require "ebm.evaluation.classifier"

local M = {}

-- Mean and covariance of the features of X.
function M.stats(net, X)
  local F = net:features(X)
  local d = F:size(2)
  local mu, cov = core.tensor_new("f64", d), core.tensor_new("f64", d, d)
  core.nn_moments(F, mu, cov)
  return {mu = mu, cov = cov, n = X:size(1)}
end

-- Frechet distance between two stats tables (or feature Gaussians).
function M.frechet(a, b)
  return core.nn_frechet(a.mu, a.cov, b.mu, b.cov)
end

-- Fraction of rows of X classified as asked[i] (a Lua table of digits or one digit).
-- Returns overall fraction, a table digit -> fraction, and the predictions (i32 [n], 0-based).
function M.class_accuracy(net, X, asked)
  local pred = net:predict(X)
  local ok, per, cnt = 0, {}, {}
  for i = 1, X:size(1) do
    local d = type(asked) == "table" and asked[i] or asked
    cnt[d] = (cnt[d] or 0) + 1
    if pred:get(i) == d then ok = ok + 1; per[d] = (per[d] or 0) + 1 end
  end
  for d, c in pairs(cnt) do per[d] = (per[d] or 0) / c end
  return ok / X:size(1), per, pred
end

-- Per-class fractions (index digit+1) of the predicted labels of X.
function M.coverage(net, X, nclass)
  nclass = nclass or 10
  local pred = net:predict(X)
  local c = {}
  for k = 1, nclass do c[k] = 0 end
  for i = 1, X:size(1) do local p = pred:get(i) + 1; c[p] = c[p] + 1 / X:size(1) end
  return c
end

function M.save_classifier(net, path, extra)
  local meta, tensors = net:state()
  meta.extra = extra
  tensor_io.save_checkpoint(path, {meta = meta, tensors = tensors})
end

function M.load_classifier(path)
  local ck = tensor_io.load_checkpoint(path)
  if ck.meta.kind ~= "classifier" then error("load_classifier: " .. path .. " is not a classifier checkpoint", 2) end
  return classifier.from(ck.meta, ck.tensors), ck.meta
end

return M
