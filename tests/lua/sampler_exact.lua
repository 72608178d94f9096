-- sampler_exact.lua - block Gibbs and the sequential sampler against exact enumeration on tiny
-- models: total-variation distance of S independent chains below the bound
-- 0.5*sqrt(M/S) + sqrt(log(1/delta)/(2S)) (delta = 1e-6), and every node marginal within
-- 5 standard errors of the exact one.
local t = require "tap"
local ebm = require "ebm"
t.seed(20261129)

local rng = ebm.rng(7)
local function randomise(m, scale) return m:randomise(scale, rng) end

-- set clamped rows of chain states x [n, C] to their values
local function apply_clamp(x, clamp, values)
  for i = 1, x:size(1) do
    if clamp:get(i) ~= 0 then x:narrow(1, i, 1):fill(values:get(i)) end
  end
end

local function marg_check(name, _, ex, x, layout, S)
  t.cmp_ok(ex:marginal_z(x, layout, S), "<", 5, name .. ": node marginals within 5 standard errors (worst z)")
end

local C = 1 << 16     -- independent block-Gibbs chains
local NSEQ = 6000     -- independent sequential chains
local WARM = 40       -- sweeps per chain before its one sample

local function check(name, m, o)
  o = o or {}
  local beta = o.beta or 1
  local ex = ebm.exact(m, { beta = beta, clamp = o.clamp, values = o.values })
  local Mst = ex.nstates
  -- block Gibbs: C chains, one sample each
  local s = ebm.sampler{ model = m, seed = o.seed or 11, blocks = o.blocks }
  local x = s:chains(C)
  if o.clamp then apply_clamp(x, o.clamp, o.values) end
  s:sweep(x, { n = WARM, beta = beta, clamp = o.clamp, order = o.order, simd = o.simd, levels = o.levels, rng = o.rng })
  local tv = ex:tv(x)
  local bound = ebm.exact.tv_bound(Mst, C)
  t.cmp_ok(tv, "<", bound, ("%s: block Gibbs TV %.4f < %.4f (M=%d, S=%d)"):format(name, tv, bound, Mst, C))
  marg_check(name .. " (block)", m, ex, x, "chains", C)
  -- sequential single-site sampler: NSEQ chains
  local X = ebm.zeros({ NSEQ, m.n }, "u8")
  local r = ebm.rng(o.seed or 11)
  for k = 1, NSEQ do
    local v = X:select(1, k)
    if o.clamp then
      for i = 1, m.n do if o.clamp:get(i) ~= 0 then v:set(i, o.values:get(i)) end end
    end
    s:sequential(v, { sweeps = 25, beta = beta, clamp = o.clamp, scan = (k % 2 == 0) and "random" or "raster", rng = r })
  end
  local tv2 = ex:tv(X, "rows")
  local bound2 = ebm.exact.tv_bound(Mst, NSEQ)
  t.cmp_ok(tv2, "<", bound2, ("%s: sequential TV %.4f < %.4f (S=%d)"):format(name, tv2, bound2, NSEQ))
  marg_check(name .. " (sequential)", m, ex, X, "rows", NSEQ)
  return ex, x
end

-- 1. 3x3 binary, 4-neighbour, ordinal tied by direction
local m1 = ebm.grid{ height = 3, width = 3, levels = 2, coupling = "ordinal" }
randomise(m1, 0.8)
t.is(#m1:colouring(), 2, "3x3 4-neighbour grid: checkerboard, 2 colours")
check("3x3 binary 4-nbr", m1)

-- 2. 2x3 with 3 levels and full couplings (untied)
local m2 = ebm.grid{ height = 2, width = 3, levels = 3, coupling = "full", tie = "edge" }
randomise(m2, 0.7)
check("2x3 K=3 full", m2)

-- 3. long jumps (DSATUR colouring)
local m3 = ebm.grid{ height = 3, width = 3, levels = 2, stencil = { { 0, 1 }, { 1, 0 }, { 2, 1 }, { 1, -2 }, { 1, 1 } }, coupling = "potts" }
randomise(m3, 0.6)
t.cmp_ok(#m3:colouring(), ">=", 3, "long-jump graph needs >= 3 colours (DSATUR)")
check("3x3 long jumps potts", m3)

-- 4. clamp mask
local clamp = ebm.u8{ 1, 0, 0, 0, 1, 0, 0, 0, 0 }
local values = ebm.u8{ 1, 0, 0, 0, 0, 0, 0, 0, 0 }
local _, x4 = check("3x3 binary with clamp", m1, { clamp = clamp, values = values })
t.is(x4:select(1, 1):clone():view(C):totable()[1], 1, "clamped node 1 kept its value")

-- 5. beta = 0.5
check("2x3 K=3 full at beta 0.5", m2, { beta = 0.5 })

-- 6. 8-neighbour with 4 colours, spin coupling, random block order
local m6 = ebm.grid{ height = 3, width = 3, levels = 2, stencil = "8", coupling = "spin" }
randomise(m6, 0.5)
t.is(#m6:colouring(), 4, "3x3 8-neighbour grid: 4 colours")
check("3x3 8-nbr spin, random order", m6, { order = "random" })

-- 7. two layers (bipartite, RBM-like), visible K=3, hidden K=2, full couplings
local edges = {}
for i = 1, 4 do for j = 1, 3 do edges[#edges + 1] = { i, j, (i - 1) * 3 + j } end end
local m7 = ebm.model{ layers = { { name = "v", n = 4, levels = 3 }, { name = "h", n = 3, levels = 2 } },
                      factors = { { name = "vh", a = "v", b = "h", edges = edges, coupling = "full" } } }
randomise(m7, 0.8)
t.is(#m7:colouring(), 2, "bipartite two-layer model: 2 colours")
check("two layers v(K=3) x h(K=2)", m7)

-- 8. 4 levels ordinal with level values, given blocks (one node per block)
local m8 = ebm.grid{ height = 2, width = 2, levels = 4, coupling = "ordinal", values = { -1, -0.3, 0.3, 1 }, torus = false }
randomise(m8, 0.9)
check("2x2 K=4 ordinal, singleton blocks in reverse order", m8,
  { blocks = { { 1 }, { 2 }, { 3 }, { 4 } }, order = { 4, 3, 2, 1 } })

-- 9. the portable loops explicitly (the default path is AVX-512 where the CPU has it;
-- tests/lua/gibbs_determinism.lua shows every path gives the same bits)
check("3x3 binary 4-nbr, portable path", m1, { simd = "scalar", seed = 12 })
check("2x3 K=3 full, portable path", m2, { simd = "scalar", seed = 13 })

-- 10. the level draws and generators of the u8 kernel (gibbs.h): the default is threshold
-- tables with ARS words; the float inverse CDF, the gather lookups and Philox words are
-- selectable. A star: a centre node with 4 neighbours of 4 levels (256 configurations: the
-- byte-lookup path), full untied couplings; K = 3 on a 3x3 grid takes the general index (81).
local m10 = ebm.model{ layers = { { name = "c", n = 1, levels = 4 }, { name = "a", n = 4, levels = 4 } },
  factors = { { name = "ca", a = "c", b = "a", edges = { { 1, 1, 1 }, { 1, 2, 2 }, { 1, 3, 3 }, { 1, 4, 4 } }, coupling = "full" } } }
randomise(m10, 0.9)
check("star K=4, threshold tables (default)", m10, { seed = 21 })
check("star K=4, float level draw, Philox words", m10, { seed = 22, levels = "float", rng = "philox" })
check("star K=4, gather lookups, Philox words", m10, { seed = 23, levels = "gather", rng = "philox" })
check("star K=4, portable path, ARS words", m10, { seed = 24, simd = "scalar", rng = "ars" })
local m11 = ebm.grid{ height = 3, width = 3, levels = 3, coupling = "full", torus = false }
randomise(m11, 0.7)
check("3x3 K=3 full, threshold tables", m11, { seed = 25 })
check("2x2 K=4 ordinal, float level draw", m8, { seed = 26, levels = "float", blocks = { { 1 }, { 2 }, { 3 }, { 4 } } })

t.done_testing()
