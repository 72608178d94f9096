-- ebm.sampling.tempering: replica exchange (parallel tempering) over the label gain of a
-- class-conditional RBM, and the annealing ramp of the inverse temperature. Rbm:sample
-- (ebm.rbm) runs its block Gibbs steps on the replicas this module keeps.
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
return M
