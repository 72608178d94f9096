-- ebm.landscape (ebm/evaluation/landscape.lua): tools for looking at an energy landscape (scripts/landscape.lua).
--
--   x, sweeps, changes = ebm.landscape.quench(m, x, {max_sweeps=1000, clamp=mask, blocks=})
--       zero-temperature block updates (iterated conditional modes, runtime/icm.c) of the
--       chains x u8 [n, C] in place until no node changes (changes == 0: every chain is a
--       local minimum under single-node changes) or max_sweeps
--   p = ebm.landscape.pca(X, k)   X f32/f64 [N, d] -> {components = f64 [k, d], mean = f64 [d],
--       var = f64 [k], total = total variance} (LAPACK dsyevr on the covariance)
--   a = ebm.landscape.auc(lo, hi) probability that an energy of `lo` (lists or 1-d tensors) is
--       below one of `hi`, ties counting 1/2 (the ROC AUC of "energy < threshold" separating
--       lo from hi; 1 = perfect, 0.5 = no separation)
--   y = ebm.landscape.corrupt(x, rate, levels, rng)  copy of u8 images with each pixel replaced,
--       with probability rate, by a different level drawn uniformly (binary: flipped)
--   list = ebm.landscape.minima(m, x)  distinct states among the chains x u8 [n, C]:
--       {{state = u8 [n], count =, energy =, first = chain}, ...}, most common first
--   path = ebm.landscape.hamming_path(a, b, steps, rng)  u8 [n, steps+1] states from a to b:
--       the pixels where they differ switch to b's value in one random order, about D/steps
--       of them per step (the straight line between two images in Hamming space)
local core = require "ebm.core"

local M = {}

function M.quench(m, x, opts)
  opts = opts or {}
  local blocks = opts.blocks or m:blocks()
  local sweeps, changes = core.icm(m.graph, blocks, x, opts.max_sweeps or 1000, opts.clamp)
  return x, sweeps, changes
end

function M.pca(X, k)
  local comp, mean, var, total = core.pca(X, k or 2)
  return { components = comp, mean = mean, var = var, total = total }
end

local function list(v) return type(v) == "table" and v or v:totable() end

function M.auc(lo, hi)
  lo, hi = list(lo), list(hi)
  if #lo == 0 or #hi == 0 then error("auc: both sets must be non-empty", 2) end
  -- rank statistic over the pooled, sorted values (ties share their average rank)
  local all = {}
  for _, v in ipairs(lo) do all[#all + 1] = { v, 1 } end
  for _, v in ipairs(hi) do all[#all + 1] = { v, 2 } end
  table.sort(all, function(a, b) return a[1] < b[1] end)
  local rank_hi, i = 0, 1
  while i <= #all do
    local j = i
    while j < #all and all[j + 1][1] == all[i][1] do j = j + 1 end
    local r = (i + j) / 2
    for q = i, j do if all[q][2] == 2 then rank_hi = rank_hi + r end end
    i = j + 1
  end
  local nh, nl = #hi, #lo
  return (rank_hi - nh * (nh + 1) / 2) / (nh * nl)
end

function M.corrupt(x, rate, levels, rng)
  if not (rate >= 0 and rate <= 1) then error("corrupt: rate must be in [0, 1]", 2) end
  local y = x:contiguous():clone()
  local flat = y:view(y:numel())
  local u = core.tensor_new("f64", y:numel()):uniform(rng)
  local v = core.tensor_new("f64", y:numel()):uniform(rng)
  local ut, vt = u:totable(), v:totable()
  for k = 1, #ut do
    if ut[k] < rate then
      local old = flat:get(k)
      local new = math.floor(vt[k] * (levels - 1)) -- one of the other levels-1 levels
      if new >= old then new = new + 1 end
      flat:set(k, new)
    end
  end
  return y
end

function M.minima(m, x)
  local n, C = x:size(1), x:size(2)
  local rows = x:t():contiguous()
  local e = m:energy(x):totable()
  local seen, out = {}, {}
  for c = 1, C do
    local key = table.concat(rows:select(1, c):totable())
    local s = seen[key]
    if s then s.count = s.count + 1
    else
      s = { state = rows:select(1, c):clone(), count = 1, energy = e[c], first = c }
      seen[key], out[#out + 1] = s, s
    end
  end
  table.sort(out, function(a, b) return a.count > b.count or (a.count == b.count and a.energy < b.energy) end)
  assert(n == out[1].state:numel())
  return out
end

function M.hamming_path(a, b, steps, rng)
  a, b = a:contiguous():view(a:numel()), b:contiguous():view(b:numel())
  local n = a:numel()
  local diff = {}
  for i = 1, n do if a:get(i) ~= b:get(i) then diff[#diff + 1] = i end end
  for i = #diff, 2, -1 do -- Fisher-Yates with the given generator
    local j = math.floor(rng:uniform() * i) + 1
    diff[i], diff[j] = diff[j], diff[i]
  end
  local path = core.tensor_new("u8", n, steps + 1)
  local cur = a:clone()
  path:select(2, 1):copy(cur)
  local done = 0
  for s = 1, steps do
    local upto = math.floor(#diff * s / steps + 0.5)
    for q = done + 1, upto do cur:set(diff[q], b:get(diff[q])) end
    done = upto
    path:select(2, s + 1):copy(cur)
  end
  return path, #diff
end

return M
