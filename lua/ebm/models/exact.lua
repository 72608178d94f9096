-- ebm.exact: exact enumeration of tiny models (for tests and for checking samplers).
--
--   r = ebm.exact(m, {beta=1, clamp=mask u8 [n], values=u8 [n]})
--   r.logz, r.logp (f64 [M], log-probabilities of the free states), r.marginals
--   ({layer -> f64 [n, K]}), r.nstates
--   r:counts(states[, layout]) -> f64 [M] histogram of a batch over the same state index
--   r:tv(states[, layout]) -> total-variation distance between the batch and the exact law
--   r:marginal_z(states[, layout[, S]]) -> the largest |empirical - exact| node-level marginal,
--     in standard errors of S independent samples (levels with p = 0 or 1 are skipped)
--   ebm.exact.tv_bound(M, S, delta) -> 0.5*sqrt(M/S) + sqrt(log(1/delta)/(2S)): with S
--     independent samples TV exceeds it with probability < delta (E[TV] <= 0.5 sqrt(M/S),
--     plus McDiarmid's deviation for a statistic with differences 1/S).
-- Free states are indexed in mixed radix, the lowest free node the least significant digit.
local core = require "ebm.core"
local base = require "ebm.base"

local Exact = {}
Exact.__index = Exact

local M = {}

function M.new(m, opts)
  opts = opts or {}
  local logz, logp, marg = core.exact(m.graph, opts.beta or 1, opts.clamp, opts.values, opts.maxstates)
  local r = setmetatable({ model = m, logz = logz, logp = logp, nstates = logp:numel(), clamp = opts.clamp,
                           marginals = {}, _flat_marg = marg }, Exact)
  for _, l in ipairs(m.layers) do
    r.marginals[l.name] = marg:narrow(1, m._boff:get(l.offset + 1) + 1, l.n * l.levels):view(l.n, l.levels)
  end
  return r
end

function Exact:counts(states, layout, into)
  local c = into or base.f64(self.nstates)
  core.exact_count(self.model.graph, states:contiguous(), layout or "chains", self.clamp, c)
  return c
end

function Exact:tv(states, layout)
  local c = self:counts(states, layout)
  local S, tv = 0, 0
  local ct, lp = c:totable(), self.logp:totable()
  for q = 1, #ct do S = S + ct[q] end
  for q = 1, #ct do tv = tv + math.abs(ct[q] / S - math.exp(lp[q])) end
  return 0.5 * tv, S
end

function Exact:marginal_z(states, layout, S)
  local m = self.model
  local st = m:stats(states, { layout = layout or "chains" })
  S = S or (layout == "rows" and states:size(1) or states:size(states:dim()))
  local worst = 0
  for _, l in ipairs(m.layers) do
    local h, e = st.hist[l.name]:totable(), self.marginals[l.name]:totable()
    for i = 1, #h do
      for k = 1, #h[i] do
        local p = e[i][k]
        if p > 0 and p < 1 then
          local z = math.abs(h[i][k] - p) / math.sqrt(p * (1 - p) / S)
          if z > worst then worst = z end
        end
      end
    end
  end
  return worst
end

function M.tv_bound(Mstates, S, delta)
  return 0.5 * math.sqrt(Mstates / S) + math.sqrt(math.log(1 / (delta or 1e-6)) / (2 * S))
end

M.Exact = Exact
return setmetatable(M, { __call = function(_, m, opts) return M.new(m, opts) end })
