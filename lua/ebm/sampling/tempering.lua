-- ebm.sampling.tempering (ebm.tempering): replica exchange (parallel tempering).
-- Two parts: (1) replica exchange over a ladder of inverse temperatures for any block Gibbs
-- sampler (ebm.tempering{...}, below); (2) replica exchange over the label gain of a
-- class-conditional RBM and the annealing ramp, which Rbm:sample (ebm.rbm) uses.
--
--   local pt = ebm.tempering{sampler = s, betas = {1, 0.8, 0.6, 0.45}, seed = 1}
--   local pt = ebm.tempering{sampler = s, replicas = 8, beta_min = 0.3}   -- geometric ladder
--   (swap_every = k: a swap round after every k-th sweep only, when energies are costly)
--   local xs = pt:chains(64, "uniform")       -- one state u8 [n, 64] per temperature
--   pt:run(xs, {sweeps = 1000, adapt = 200, target = 0.3, observe = function(pt, xs, sweep) end})
--   pt:sweep(xs)                              -- one sweep of every replica, then one swap round
--   pt.betas, pt:rates()                      -- the ladder; swap acceptance per adjacent pair
--
-- Replica k holds its own chains x_k (one state tensor per temperature) and is swept at
-- beta_k by the model's block Gibbs kernel. After every sweep (or every swap_every-th),
-- adjacent pairs (k, k+1) -- odd and even pairs in alternate rounds -- propose to exchange chain c's
-- states, accepted with probability min(1, exp((beta_k - beta_k+1) (E(x_k) - E(x_k+1)))).
-- Each move leaves the product of exp(-beta_k E) invariant, so replica 1 (beta_1, the target,
-- usually 1) is an exact MCMC chain for the model; the hotter replicas cross barriers.
--
-- Ladder adaptation (opts.adapt sweeps at the start of run, before anything is observed): the
-- ladder keeps betas[1] fixed and moves the log-gaps g_k = log beta_k - log beta_k+1 every
-- `adapt_every` sweeps by g_k <- g_k * exp(kappa (A_k - target)) (A_k the pair's acceptance
-- over the window; a pair that swaps too often gets a wider gap), kappa = 1/(1 + w/10) after w
-- windows, so the steps shrink and the ladder settles; betas stay within [beta_floor, beta_1].
-- Sampling after adaptation uses the fixed final ladder, so it is an exact MCMC scheme.
--
-- Other systems (an RBM, say) plug in through opts.system = {sweep = function(state, beta, k),
-- energy = function(state) -> f64 [C], swap = function(a, b, mask u8 [C]), chains =
-- function(C, init, k) -> state}; by default these come from opts.sampler (an ebm.sampler).
--
-- Part 2 (RBM label gain):
--
--   local rep = tempering.replicas(m, x, labels, {ladder = {1, 1.5, 2}} or {label_gain = g})
--     rep.R replicas; replica k samples p_g(x, h | y) ~ exp(-E(x, h) + (g_k - 1) h.W_y) with
--     model table rep.models[k] and buffers rep.xs[k], rep.hs[k], rep.ps[k] (rep.xs[1] is x)
--   rep:exchange(seed, t)    after step t: adjacent replicas (alternating pairs) swap states
--                            with probability min(1, exp((g_k - g_k+1)(l_k+1 - l_k))),
--                            l = h.W_y; the uniforms are stream `seed`, split t
--   rep:swap_rates()         {rate between replicas 1-2, 2-3, ...} (nil with one replica)
--   beta = tempering.anneal_beta(t, anneal)   -- t/anneal for t <= anneal, then 1
--
-- The first replica (gain 1) is exact MCMC for the model's own p(x | y); the others feed it
-- label-consistent states.
local core = require "ebm.core"

local M = {}

local function f32(...) return core.tensor_new("f32", ...) end

-- Inverse temperature at step t of a linear ramp over the first `anneal` steps (from ~0, the
-- base-rate model, to 1, the model along the AIS path), then 1.
function M.anneal_beta(t, anneal)
  return t <= anneal and t / anneal or 1.0
end

-- A model table sharing b, c with m whose label-hidden weights are multiplied by `gain`.
function M.label_scaled(m, gain)
  local W = m.W:clone()
  W:narrow(2, m.nv * (m.K - 1) + 1, m.nl):mul(gain)
  return {W = W, b = m.b, c = m.c, nv = m.nv, K = m.K, nl = m.nl}
end

-- Check opt.ladder / opt.label_gain and return the list of gains ({label_gain or 1} without
-- a ladder). clamp: whether the labels are clamped.
function M.gains(opt, clamp)
  local ladder = opt.ladder or {opt.label_gain or 1}
  if opt.ladder then
    assert(clamp, "rbm:sample: a ladder needs clamped labels")
    assert(opt.label_gain == nil or opt.label_gain == 1, "rbm:sample: give a ladder or a label_gain, not both")
    assert(type(ladder) == "table" and ladder[1] == 1, "rbm:sample: the ladder must start at gain 1")
    for k = 2, #ladder do
      assert(type(ladder[k]) == "number" and ladder[k] > ladder[k - 1], "rbm:sample: ladder gains must increase")
    end
  end
  return ladder
end

local Replicas = {}
Replicas.__index = Replicas

-- Replicas of RBM m for the n chains x (f32 [n, D], the first replica's state); labels: Lua
-- table of the clamped 0-based labels per chain, or nil (not clamped: gains are then unused).
function M.replicas(m, x, labels, opt)
  local clamp = labels ~= nil
  local ladder = M.gains(opt, clamp)
  local n, D, nh = x:size(1), m.D, m.nh
  local R = #ladder
  local self = setmetatable({R = R, n = n, ladder = ladder, labels = labels, models = {},
                             xs = {x}, ps = {f32(n, D)}, hs = {f32(n, nh)}}, Replicas)
  for k = 1, R do
    self.models[k] = (clamp and ladder[k] ~= 1) and M.label_scaled(m, ladder[k]) or m
    if k > 1 then self.xs[k], self.ps[k], self.hs[k] = x:clone(), f32(n, D), f32(n, nh) end
  end
  if R > 1 then
    local off = m.nv * (m.K - 1)
    self.Wl = m.W:narrow(2, off + 1, m.nl):contiguous()
    self.u = f32(n, R)
    self.L = {} -- per replica [n, nl]: h . W_y for every y
    for k = 1, R do self.L[k] = f32(n, m.nl) end
    self.swaps, self.tries = {}, {}
    for k = 1, R - 1 do self.swaps[k], self.tries[k] = 0, 0 end
  end
  return self
end

local function swap_rows(a, b, r)
  local ra, rb = a:select(1, r), b:select(1, r)
  local tmp = ra:clone()
  ra:copy(rb)
  rb:copy(tmp)
end

-- The exchange move after step t (nothing with one replica).
function Replicas:exchange(seed, t)
  local R = self.R
  if R < 2 then return end
  local L, hs, xs, ps, ladder, labs = self.L, self.hs, self.xs, self.ps, self.ladder, self.labels
  for k = 1, R do core.matmul(hs[k], self.Wl, L[k]) end
  self.u:uniform(core.rng(seed):split(t))
  for k = 1 + (t % 2), R - 1, 2 do
    local dg = ladder[k] - ladder[k + 1]
    for r = 1, self.n do
      local y = labs[r] + 1
      local la = dg * (L[k + 1]:get(r, y) - L[k]:get(r, y))
      self.tries[k] = self.tries[k] + 1
      if la >= 0 or math.log(self.u:get(r, k)) < la then
        self.swaps[k] = self.swaps[k] + 1
        swap_rows(xs[k], xs[k + 1], r); swap_rows(hs[k], hs[k + 1], r); swap_rows(ps[k], ps[k + 1], r)
      end
    end
  end
end

function Replicas:swap_rates()
  if self.R < 2 then return nil end
  local rates = {}
  for k = 1, self.R - 1 do rates[k] = self.tries[k] > 0 and self.swaps[k] / self.tries[k] or 0 end
  return rates
end

M.Replicas = Replicas

-- Part 1: replica exchange over inverse temperatures ------------------------------------

local Tempering = {}
Tempering.__index = Tempering


local function sampler_system(s)
  return {
    sweep = function(x, beta) s:sweep(x, { beta = beta }) end,
    energy = function(x) return s.model:energy(x) end,
    swap = function(a, b, mask) core.diag_swap_chains(a, b, mask) end,
    chains = function(C, init) return s:chains(C, init) end,
  }
end

function M.new(o)
  if type(o) ~= "table" then error("ebm.tempering: expected {sampler=, betas= | replicas=, beta_min=}", 2) end
  local sys = o.system
  if sys == nil then
    if type(o.sampler) ~= "table" or not o.sampler.sweep then error("ebm.tempering: need sampler= (an ebm.sampler) or system=", 2) end
    sys = sampler_system(o.sampler)
  end
  for _, f in ipairs { "sweep", "energy", "swap", "chains" } do
    if type(sys[f]) ~= "function" then error("ebm.tempering: system." .. f .. " must be a function", 2) end
  end
  local betas = o.betas
  if betas == nil then
    local R, bmin = o.replicas or 8, o.beta_min or 0.3
    if math.type(R) ~= "integer" or R < 1 then error("ebm.tempering: replicas must be an integer >= 1", 2) end
    if not (type(bmin) == "number" and bmin > 0 and bmin <= 1) then error("ebm.tempering: beta_min must be in (0, 1]", 2) end
    local top = o.beta_max or 1
    betas = {}
    for k = 1, R do betas[k] = R == 1 and top or top * (bmin / top) ^ ((k - 1) / (R - 1)) end
  end
  if type(betas) ~= "table" or #betas < 1 then error("ebm.tempering: betas must be a non-empty list", 2) end
  for k = 1, #betas do
    if type(betas[k]) ~= "number" or betas[k] < 0 or (k > 1 and betas[k] > betas[k - 1]) then
      error("ebm.tempering: betas must be >= 0 and decreasing (equal neighbours allowed)", 2)
    end
  end
  local seed = o.seed or 0
  if math.type(seed) ~= "integer" then error("ebm.tempering: seed must be an integer", 2) end
  local every = o.swap_every or 1
  if math.type(every) ~= "integer" or every < 1 then error("ebm.tempering: swap_every must be an integer >= 1", 2) end
  local pt = setmetatable({ system = sys, betas = { table.unpack(betas) }, R = #betas, rng = core.rng(seed),
                            sweeps = 0, rounds = 0, swap_every = every, beta_floor = o.beta_floor or 1e-3 }, Tempering)
  pt:reset_rates()
  return pt
end

function Tempering:reset_rates()
  self.accepts, self.tries = {}, {}
  for k = 1, self.R - 1 do self.accepts[k], self.tries[k] = 0, 0 end
end

-- Swap acceptance per adjacent pair since the last reset: {A_12, A_23, ...}.
function Tempering:rates()
  local r = {}
  for k = 1, self.R - 1 do r[k] = self.tries[k] > 0 and self.accepts[k] / self.tries[k] or 0 end
  return r
end

-- pt:chains(C, init) -> list of R states (init as ebm.sampler:chains: "uniform", "bias", data).
function Tempering:chains(C, init)
  local xs = {}
  for k = 1, self.R do xs[k] = self.system.chains(C, init, k) end
  return xs
end

-- One round of swap proposals between the pairs of one parity (alternating between rounds).
function Tempering:swap_round(xs)
  local sys, R = self.system, self.R
  if R < 2 then return end
  self.rounds = self.rounds + 1
  for k = 1 + (self.rounds % 2), R - 1, 2 do -- the pairs of this round share no replica
    local ea, eb = sys.energy(xs[k]):totable(), sys.energy(xs[k + 1]):totable()
    local C = #ea
    if not self._u or self._u:numel() ~= C then
      self._u, self._mask = core.tensor_new("f64", C), core.tensor_new("u8", C)
    end
    local u, mask = self._u, self._mask
    u:uniform(self.rng)
    local uu, db = u:totable(), self.betas[k] - self.betas[k + 1]
    local acc = 0
    for c = 1, C do
      local la = db * (ea[c] - eb[c])
      local s = (la >= 0 or math.log(uu[c]) < la) and 1 or 0
      mask:set(c, s)
      acc = acc + s
    end
    self.accepts[k], self.tries[k] = self.accepts[k] + acc, self.tries[k] + C
    if acc > 0 then sys.swap(xs[k], xs[k + 1], mask) end
  end
end

-- One sweep of every replica at its beta, then one swap round.
function Tempering:sweep(xs)
  if type(xs) ~= "table" or #xs ~= self.R then error(("tempering:sweep: expected a list of %d states"):format(self.R), 2) end
  for k = 1, self.R do self.system.sweep(xs[k], self.betas[k], k) end
  self.sweeps = self.sweeps + 1
  if self.sweeps % self.swap_every == 0 then self:swap_round(xs) end
  return xs
end

-- Move the log-gaps towards the target swap rate from the acceptance of the last window.
function Tempering:adapt_step(target, window_index)
  local r = self:rates()
  local kappa = 1 / (1 + window_index / 10)
  local b = self.betas
  local gaps = {}
  for k = 1, self.R - 1 do
    gaps[k] = (math.log(b[k]) - math.log(math.max(b[k + 1], self.beta_floor))) * math.exp(kappa * (r[k] - target))
  end
  for k = 2, self.R do b[k] = math.max(b[k - 1] * math.exp(-gaps[k - 1]), self.beta_floor) end
  self:reset_rates()
end

-- pt:run(xs, {sweeps=, adapt=0, adapt_every=10, target=0.3, observe=function(pt, xs, sweep)})
-- Adapts the ladder for `adapt` sweeps (not observed), then runs `sweeps` sweeps with the
-- ladder fixed, calling observe after each. Returns {betas=, rates= (sampling phase only),
-- adapt_rates= (the last adaptation window)}.
function Tempering:run(xs, o)
  o = o or {}
  local target, every = o.target or 0.3, o.adapt_every or 10
  local adapt = o.adapt or 0
  self:reset_rates()
  local w, last = 0, nil
  for t = 1, adapt do
    self:sweep(xs)
    if t % every == 0 and self.R > 1 then
      last = self:rates()
      self:adapt_step(target, w)
      w = w + 1
    end
  end
  self:reset_rates()
  for t = 1, o.sweeps or 0 do
    self:sweep(xs)
    if o.observe then o.observe(self, xs, t) end
  end
  return { betas = { table.unpack(self.betas) }, rates = self:rates(), adapt_rates = last }
end

M.Tempering = Tempering
return setmetatable(M, { __call = function(_, o) return M.new(o) end })
