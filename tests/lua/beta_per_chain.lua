-- beta_per_chain.lua - per-chain inverse temperature in the block Gibbs kernels
-- (s:sweep(x, {beta = f32 tensor [C]})), the building block of parallel tempering.
--
-- 1. Exactness: C chains whose betas alternate in runs of 4 between two values (so every SIMD
--    vector of 16 chains mixes both) are compared, each half separately, with exact enumeration
--    at its own beta: total variation below ebm.exact.tv_bound (delta = 1e-6; E[TV] <=
--    0.5 sqrt(M/S) plus McDiarmid's deviation) and node marginals within 5 standard errors.
--    Every kernel path is covered: binary <= 4 neighbours (threshold draw), binary with more
--    neighbours (float compare), 3 and 4 levels (inverse CDF), and the single-chain path (C < 16).
-- 2. Equal betas give the same bits as the scalar beta (same formulas, same roundings).
-- 3. A chain's result does not depend on the other chains' betas.
-- 4. Bad per-chain betas are errors.
local t = require "tap"
local ebm = require "ebm"
t.seed(20261202)

local rng = ebm.rng(5)
local equal = require "tensor_eq"
local C = 1 << 15
local WARM = 40
local BETAS = { 0.5, 1.6 }

-- betas alternating in runs of 4 chains: chains 8q+1..8q+4 get BETAS[1], 8q+5..8q+8 BETAS[2]
local function alternating(n)
  local b = ebm.f32(n)
  for c = 1, n do b:set(c, BETAS[((c - 1) // 4) % 2 + 1]) end
  return b
end
-- the chains of x [n, C] with beta BETAS[h] (h = 1, 2), as a contiguous [n, C/2] tensor
local function half(x, h)
  local n = x:size(1)
  return x:view(n, x:size(2) // 8, 2, 4):narrow(3, h, 1):contiguous():view(n, x:size(2) // 2)
end

local function check(name, m)
  local s = ebm.sampler{ model = m, seed = 17 }
  local x = s:chains(C)
  s:sweep(x, { n = WARM, beta = alternating(C) })
  for h = 1, 2 do
    local ex = ebm.exact(m, { beta = BETAS[h] })
    local xh = half(x, h)
    local tv = ex:tv(xh)
    local bound = ebm.exact.tv_bound(ex.nstates, C // 2)
    t.cmp_ok(tv, "<", bound, ("%s, beta %.1f: TV %.4f < %.4f"):format(name, BETAS[h], tv, bound))
    t.cmp_ok(ex:marginal_z(xh, "chains", C // 2), "<", 5,
      ("%s, beta %.1f: node marginals within 5 s.e."):format(name, BETAS[h]))
  end
  -- equal betas: the bits of the scalar beta, for a batch and for the single-chain path
  for _, Cb in ipairs({ 300, 5 }) do
    local s1, s2 = ebm.sampler{ model = m, seed = 3 }, ebm.sampler{ model = m, seed = 3 }
    local x1 = s1:chains(Cb)
    local x2 = x1:clone()
    local bt = ebm.f32(Cb):fill(BETAS[2])
    s1:sweep(x1, { n = 7, beta = BETAS[2], step = 100 })
    s2:sweep(x2, { n = 7, beta = bt, step = 100 })
    t.ok(equal(x1, x2),
      ("%s: per-chain betas all %.1f give the scalar beta's bits (%d chains)"):format(name, BETAS[2], Cb))
  end
  -- chain 1's result does not depend on the other chains' betas
  local s1, s2 = ebm.sampler{ model = m, seed = 9 }, ebm.sampler{ model = m, seed = 9 }
  local x1 = s1:chains(40)
  local x2 = x1:clone()
  local b1, b2 = alternating(40), alternating(40)
  for c = 2, 40 do b2:set(c, 0.1 * c) end
  s1:sweep(x1, { n = 5, beta = b1, step = 100 })
  s2:sweep(x2, { n = 5, beta = b2, step = 100 })
  t.ok(equal(x1:narrow(2, 1, 1), x2:narrow(2, 1, 1)),
    name .. ": chain 1 does not depend on the other chains' betas")
end

local m1 = ebm.grid{ height = 3, width = 3, levels = 2, coupling = "ordinal" }
m1:randomise(0.8, rng)
check("3x3 binary 4-nbr", m1)

local m3 = ebm.grid{ height = 3, width = 3, levels = 2, coupling = "potts",
                     stencil = { { 0, 1 }, { 1, 0 }, { 2, 1 }, { 1, -2 }, { 1, 1 } } }
m3:randomise(0.6, rng)
check("3x3 binary long jumps (> 4 neighbours)", m3)

local m2 = ebm.grid{ height = 2, width = 3, levels = 3, coupling = "full", tie = "edge" }
m2:randomise(0.7, rng)
check("2x3 K=3 full", m2)

local m8 = ebm.grid{ height = 2, width = 2, levels = 4, coupling = "ordinal", values = { -1, -0.3, 0.3, 1 },
                     torus = false }
m8:randomise(0.9, rng)
check("2x2 K=4 ordinal", m8)

-- single-chain path with two different betas: exact at each (C/2 runs of one chain would be
-- slow, so: 2048 calls of 4 chains each, 2 per beta)
do
  local s = ebm.sampler{ model = m8, seed = 23 }
  local S = 2048
  local acc = { ebm.u8(m8.n, 2 * S), ebm.u8(m8.n, 2 * S) }
  local bt = ebm.f32{ BETAS[1], BETAS[2], BETAS[1], BETAS[2] }
  for k = 1, S do
    local x = s:chains(4, "uniform", { chain_offset = 4 * k })
    s:sweep(x, { n = 30, beta = bt, chain_offset = 4 * k })
    for h = 1, 2 do
      acc[h]:narrow(2, 2 * k - 1, 1):copy(x:narrow(2, h, 1))
      acc[h]:narrow(2, 2 * k, 1):copy(x:narrow(2, h + 2, 1))
    end
  end
  for h = 1, 2 do
    local ex = ebm.exact(m8, { beta = BETAS[h] })
    local tv, bound = ex:tv(acc[h]), ebm.exact.tv_bound(ex.nstates, 2 * S)
    t.cmp_ok(tv, "<", bound, ("single-chain path, K=4, beta %.1f: TV %.4f < %.4f"):format(BETAS[h], tv, bound))
  end
end

-- bad input
do
  local s = ebm.sampler{ model = m1, seed = 1 }
  local x = s:chains(8)
  t.error_like(function() s:sweep(x, { beta = ebm.f32(7) }) end, "per%-chain beta must be", "wrong length")
  t.error_like(function() s:sweep(x, { beta = ebm.f64(8) }) end, "per%-chain beta must be", "wrong type")
  local neg = ebm.f32(8):fill(1)
  neg:set(3, -1)
  t.error_like(function() s:sweep(x, { beta = neg }) end, "beta%[3%] must be >= 0", "negative entry")
end

t.done_testing()
