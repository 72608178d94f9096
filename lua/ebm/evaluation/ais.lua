-- ebm.ais: annealed importance sampling for the log partition function of an RBM
-- (Salakhutdinov & Murray 2008), with the estimate's +-3 sigma interval.
--
--   local r = ebm.ais.logz(model, {base = base, betas = 14500, runs = 100, seed = 1})
--   r.logz, r.lo, r.hi        -- log Z and log(mean w -+ 3 standard errors) + log Z_0
--   r.logz0, r.logw           -- the base model's log Z (exact) and each run's log weight
--   local q = ebm.ais.reverse_logz(model, {base = base, x = xtest, betas = 14500, runs = 100, seed = 1})
--   q.logz, q.lo, q.hi        -- reverse AIS (Burda, Grosse & Salakhutdinov 2015): chains start at
--                                rows of x (f32 [n, D], cycled to `runs` rows) and anneal down to
--                                the base rate; a stochastic UPPER bound on log Z when the start
--                                states are model samples (with data: a conservative heuristic)
--   ebm.ais.schedule(n)       -- f64 [n] betas from 0 to 1 (S&M spacing)
--   ebm.ais.loglik(model, x, logz) -> mean log p(x) in nats, per-row f64 log p
--
-- The base-rate model is exp(base . x) with base from model:base_rate(train_rows): the
-- smoothed independent-pixel fit to the training data. Chains run in C (runtime/rbm.c).

local core = require "ebm.core"

local M = {}

-- n inverse temperatures from 0 to 1 inclusive, spaced like Salakhutdinov & Murray's 14,500:
-- 500/14500 of them uniform on [0, 0.5], 4000/14500 on [0.5, 0.9], 10000/14500 on [0.9, 1].
function M.schedule(n)
  assert(math.type(n) == "integer" and n >= 3, "ais.schedule: need an integer n >= 3")
  local t = core.tensor_new("f64", n)
  local n1 = math.max(1, math.floor((n - 1) * 500 / 14500 + 0.5))
  local n2 = math.max(1, math.floor((n - 1) * 4000 / 14500 + 0.5))
  local n3 = (n - 1) - n1 - n2
  if n3 < 1 then n1, n2, n3 = 1, 1, n - 3 end
  local i = 1
  t:set(1, 0)
  for k = 1, n1 do i = i + 1; t:set(i, 0.5 * k / n1) end
  for k = 1, n2 do i = i + 1; t:set(i, 0.5 + 0.4 * k / n2) end
  for k = 1, n3 do i = i + 1; t:set(i, 0.9 + 0.1 * k / n3) end
  t:set(n, 1)
  return t
end

-- log mean exp of the values in an f64 tensor, with the log of mean -+ k standard errors.
function M.log_mean_exp(logw, k)
  k = k or 3
  local n, mx = logw:numel(), -math.huge
  for i = 1, n do mx = math.max(mx, logw:get(i)) end
  local s, s2 = 0, 0
  for i = 1, n do
    local w = math.exp(logw:get(i) - mx)
    s, s2 = s + w, s2 + w * w
  end
  local mean = s / n
  local var = n > 1 and math.max(0, (s2 - n * mean * mean) / (n - 1)) or 0
  local se = math.sqrt(var / n)
  local lo = mean - k * se > 0 and mx + math.log(mean - k * se) or -math.huge
  return mx + math.log(mean), lo, mx + math.log(mean + k * se), se / mean
end

-- AIS estimate of log Z. opt: base (f32 [D], required: base-rate biases), betas (an integer
-- count for M.schedule, or an f64 tensor; default 14500), runs (100), seed (1).
function M.logz(model, opt)
  opt = opt or {}
  assert(opt.base, "ais.logz: opt.base (base-rate biases, model:base_rate(x)) is required")
  local betas = opt.betas or 14500
  if type(betas) == "number" then betas = M.schedule(math.tointeger(betas)) end
  local runs = opt.runs or 100
  local logw = core.tensor_new("f64", runs)
  local logz0 = core.rbm_ais(model, opt.base, betas, opt.seed or 1, logw)
  local lme, lo, hi, rel = M.log_mean_exp(logw, 3)
  return {logz = logz0 + lme, lo = logz0 + lo, hi = logz0 + hi, logz0 = logz0, logw = logw,
          rel_se = rel, runs = runs, nbetas = betas:numel()}
end

-- Reverse AIS estimate of log Z from start states x (f32 [n, D] encoded rows; runs of them
-- taken in order, cycled if n < runs). opt: base (required), x (required), betas, runs (100),
-- seed (1). log Z = log Z_0 - log mean exp(logw); lo/hi from the 3-sigma interval of the mean.
function M.reverse_logz(model, opt)
  opt = opt or {}
  assert(opt.base, "ais.reverse_logz: opt.base (base-rate biases, model:base_rate(x)) is required")
  assert(opt.x, "ais.reverse_logz: opt.x (start states f32 [n, D], e.g. test rows) is required")
  local betas = opt.betas or 14500
  if type(betas) == "number" then betas = M.schedule(math.tointeger(betas)) end
  local runs = opt.runs or 100
  local x = opt.x
  local n = x:size(1)
  assert(n >= 1, "ais.reverse_logz: opt.x has no rows")
  local x0 = core.tensor_new("f32", runs, x:size(2))
  for r = 1, runs do x0:select(1, r):copy(x:select(1, (r - 1) % n + 1)) end
  local logw = core.tensor_new("f64", runs)
  local logz0 = core.rbm_ais_reverse(model, opt.base, betas, opt.seed or 1, x0, logw)
  local lme, lo, hi, rel = M.log_mean_exp(logw, 3)
  return {logz = logz0 - lme, lo = logz0 - hi, hi = logz0 - lo, logz0 = logz0, logw = logw,
          rel_se = rel, runs = runs, nbetas = betas:numel()}
end

-- Mean log-likelihood of rows x (f32 [n, D]) given log Z. For a model with labels the label
-- is summed out: log p(v) = log sum_y exp(-F(v, y)) - log Z (x's label columns ignored).
-- Returns the mean and an f64 [n] tensor of per-row values.
function M.loglik(model, x, logz, batch)
  batch = batch or 1000
  local n = x:size(1)
  local out = core.tensor_new("f64", n)
  local off = model.nv * (model.K - 1)
  for s = 1, n, batch do
    local b = math.min(batch, n - s + 1)
    local xb = x:narrow(1, s, b):clone()
    if model.nl == 0 then
      local F = model:free_energy(xb)
      for r = 1, b do out:set(s + r - 1, -F:get(r) - logz) end
    else
      local lab = xb:narrow(2, off + 1, model.nl)
      local acc = {}
      for y = 1, model.nl do
        lab:zero()
        lab:select(2, y):fill(1)
        local F = model:free_energy(xb)
        for r = 1, b do
          local v = -F:get(r)
          local a = acc[r]
          if not a then acc[r] = v
          else local m = math.max(a, v); acc[r] = m + math.log(math.exp(a - m) + math.exp(v - m)) end
        end
      end
      for r = 1, b do out:set(s + r - 1, acc[r] - logz) end
    end
  end
  local tot = 0
  for i = 1, n do tot = tot + out:get(i) end
  return tot / n, out
end

return M
