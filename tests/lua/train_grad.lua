-- train_grad.lua - the CD gradient mapping (m:param_stats + ebm.train.gradient) equals the
-- gradient of the exact negative log-likelihood, checked by central finite differences on
-- tiny models (exact log Z by enumeration; model expectations exact, so deterministic).
local t = require "tap"
local ebm = require "ebm"
local train = ebm.train

local g = ebm.rng(t.seed(20261129))

-- Random data rows u8 [N, n] with levels < K.
local function random_rows(N, n, K)
  local x = ebm.zeros({ N, n }, "u8")
  for i = 1, N do for j = 1, n do x:set(i, j, g:uniform(K) - 1) end end
  return x
end

local function check(name, m, K, beta)
  local params, order = m:params()
  for _, pn in ipairs(order) do params[pn]:view(params[pn]:numel()):normal(g, 0, 0.5) end
  m:materialise()
  local data = random_rows(7, m.n, K)
  local pos = m:param_stats(data)
  local neg = train.exact_stats(m, beta)
  local grad = train.gradient(pos, neg, beta)
  local eps, worst, count = 1e-2, 0, 0
  for _, pn in ipairs(order) do
    local flat = params[pn]:view(params[pn]:numel())
    local gflat = grad[pn]:contiguous():view(grad[pn]:numel())
    t.is(grad[pn]:numel(), flat:numel(), name .. ": gradient of " .. pn .. " has the parameter's shape")
    for i = 1, flat:numel() do
      local v = flat:get(i)
      flat:set(i, v + eps); m:materialise()
      local lp = train.exact_loglik(m, data, beta)
      flat:set(i, v - eps); m:materialise()
      local lm = train.exact_loglik(m, data, beta)
      flat:set(i, v); m:materialise()
      local fd = -(lp - lm) / (2 * eps)  -- gradient of the negative log-likelihood
      worst = math.max(worst, math.abs(fd - gflat:get(i)))
      count = count + 1
    end
  end
  -- central differences: truncation ~ eps^2 * |d3 logZ| / 6 (up to 2e-4 here), f32 rounding of
  -- the perturbed parameter ~ 1e-7 / eps = 1e-5
  t.cmp_ok(worst, "<", 5e-4, string.format("%s: %d partial derivatives match finite differences (worst %.2g)", name, count, worst))
end

check("potts 2x3 K=3 tied", ebm.grid { height = 2, width = 3, levels = 3, coupling = "potts" }, 3, 1)
check("ordinal 2x3 K=3 tied, beta 0.7", ebm.grid { height = 2, width = 3, levels = 3, coupling = "ordinal",
  values = { 0, 0.5, 1 } }, 3, 0.7)
check("full 2x3 K=2 untied", ebm.grid { height = 2, width = 3, levels = 2, coupling = "full", tie = "edge" }, 2, 1)
check("potts 8-neighbour 2x3 K=2", ebm.grid { height = 2, width = 3, levels = 2, stencil = "8", coupling = "potts" }, 2, 1)
check("spin 3x3 binary", ebm.grid { height = 3, width = 3, levels = 2, coupling = "spin" }, 2, 1)

-- exact stats are a distribution's expectations: each node's level histogram sums to 1
local m = ebm.grid { height = 2, width = 2, levels = 3, coupling = "potts" }
local s = train.exact_stats(m, 1)
t.near(s["bias.x"]:sum(), 4, 1e-5, "exact level histograms sum to one per node")

-- gradient() errors on mismatched statistics
t.error_like(function() train.gradient({ a = ebm.f32(2) }, {}, 1) end, "lack 'a'", "missing negative statistics is an error")
t.done_testing()
