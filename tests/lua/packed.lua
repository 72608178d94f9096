-- packed.lua - the bit-packed binary block-Gibbs path (ebm.sampler :pack / :sweep_packed):
-- pack/unpack round trip, bit-identity with the scalar reference kernel and across thread
-- counts, clamp masks, refusals, and the empirical distribution of many independent chains
-- against exact enumeration (TV below the bound of tests/lua/sampler_exact.lua, every node
-- marginal within 5 standard errors).
local t = require "tap"
local ebm = require "ebm"
local core = ebm.core
t.seed(20261129)

local rng = ebm.rng(17)

local function equal(a, b)
  if a:numel() ~= b:numel() then return false end
  local x, y = a:contiguous():view(a:numel()), b:contiguous():view(b:numel())
  for k = 1, x:numel() do if x:get(k) ~= y:get(k) then return false end end
  return true
end

-- random u8 0/1 states [n, C]
local function random_states(n, C, r)
  local x = ebm.zeros({ n, C }, "u8")
  local v = x:view(n * C)
  for k = 1, n * C do v:set(k, r:u32() & 1) end
  return x
end

local m1 = ebm.grid{ height = 3, width = 3, levels = 2, coupling = "ordinal" }
m1:randomise(0.8, rng)

-- 1. round trip (C not a multiple of 64), repack
do
  local s = ebm.sampler{ model = m1, seed = 3 }
  local x = random_states(9, 1000, rng)
  local p = s:pack(x)
  t.is(p:nchains(), 1000, "packed: nchains")
  t.is(p:words(), 16, "packed: 1000 chains -> 16 words per node (padded to groups of 8)")
  t.ok(equal(p:unpack(), x), "pack/unpack round trip")
  local y = random_states(9, 1000, rng)
  p:repack(y)
  local z = ebm.zeros({ 9, 1000 }, "u8")
  p:unpack(z)
  t.ok(equal(z, y), "repack then unpack into a given tensor")
end

-- 2. vector kernel == scalar reference, for several models and a per-chain clamp
local m8 = ebm.grid{ height = 3, width = 3, levels = 2, stencil = "8", coupling = "spin" }
m8:randomise(0.5, rng)
local mj = ebm.grid{ height = 3, width = 4, levels = 2, stencil = { { 0, 1 }, { 1, 0 }, { 2, 1 }, { 1, -2 } }, coupling = "potts" }
mj:randomise(0.6, rng)
for _, c in ipairs{ { "3x3 4-nbr", m1 }, { "3x3 8-nbr", m8 }, { "3x4 long jumps", mj } } do
  local name, m = c[1], c[2]
  local s = ebm.sampler{ model = m, seed = 9 }
  local x = random_states(m.n, 700, rng)
  local pc = random_states(m.n, 700, rng)
  local a, b = s:pack(x), s:pack(x)
  core.packed_sweep(s.graph, s.blocks, a, 3, 0.7, 9, 5)
  core.packed_sweep_ref(s.graph, s.blocks, b, 3, 0.7, 9, 5)
  t.ok(equal(a:unpack(), b:unpack()), name .. ": packed kernel bit-identical to the scalar reference")
  core.packed_sweep(s.graph, s.blocks, a, 2, 1.0, 9, 8, pc)
  core.packed_sweep_ref(s.graph, s.blocks, b, 2, 1.0, 9, 8, pc)
  t.ok(equal(a:unpack(), b:unpack()), name .. ": same with a per-chain clamp")
end

-- 3. threads, split calls, steps
do
  local s = ebm.sampler{ model = m1, seed = 4 }
  local x = random_states(9, 4096, rng)
  local prev = core.threads(1)
  local a = s:pack(x)
  s:sweep_packed(a, { n = 5, step = 0 })
  core.threads(2)
  local b = s:pack(x)
  s:sweep_packed(b, { n = 5, step = 0 })
  local c = s:pack(x)
  s:sweep_packed(c, { n = 2, step = 0 })
  s:sweep_packed(c, { n = 3, step = 2 })
  core.threads(prev)
  t.ok(equal(a:unpack(), b:unpack()), "1 and 2 threads give bit-identical chains")
  t.ok(equal(a:unpack(), c:unpack()), "5 sweeps == 2 + 3 sweeps with the step carried")
  local d = s:pack(x)
  s:sweep_packed(d, { n = 5, step = 1 })
  t.ok(not equal(a:unpack(), d:unpack()), "another step gives other draws")
  t.is(s.step, 0, "opts.step leaves s.step alone")
  s:sweep_packed(d, { n = 4 })
  t.is(s.step, 4, "sweep_packed advances s.step by n")
end

-- 4. refusals
do
  local m3 = ebm.grid{ height = 2, width = 2, levels = 3, coupling = "potts" }
  local s = ebm.sampler{ model = m3 }
  t.error_like(function() s:pack(s:chains(64)) end, "node 1 has 3 levels", "K = 3 refused with the node named")
  local mb = ebm.grid{ height = 5, width = 5, levels = 2, stencil = { { 0, 1 }, { 1, 0 }, { 1, 1 }, { 1, -1 }, { 0, 2 } }, coupling = "spin" }
  local sb = ebm.sampler{ model = mb }
  t.error_like(function() sb:pack(sb:chains(64)) end, "neighbours %(the packed path supports at most 8%)",
    "more than 8 neighbours refused")
  local s1 = ebm.sampler{ model = m1 }
  local p = s1:pack(s1:chains(64))
  t.error_like(function() s:sweep_packed(p) end, "number of nodes", "packed chains of another model refused")
  t.error_like(function() s1:sweep_packed(p, { clamp = ebm.u8{ 1, 0 } }) end, "clamp mask must be", "bad clamp refused")
  t.error_like(function() s1:sweep_packed(p, { beta = -1 }) end, "beta must be >= 0", "negative beta refused")
  p:free()
  t.error_like(function() p:unpack() end, "freed", "freed packed chains refused")
end

-- 5. against exact enumeration
local C = 1 << 16
local WARM = 40


local function check(name, m, o)
  o = o or {}
  local beta = o.beta or 1
  local ex = ebm.exact(m, { beta = beta, clamp = o.clamp, values = o.values })
  local s = ebm.sampler{ model = m, seed = o.seed or 21 }
  local x = s:chains(C)
  if o.clamp then
    for i = 1, m.n do
      if o.clamp:get(i) ~= 0 then x:narrow(1, i, 1):fill(o.values:get(i)) end
    end
  end
  local p = s:pack(x)
  s:sweep_packed(p, { n = WARM, beta = beta, clamp = o.clamp })
  local y = p:unpack()
  local tv, bound = ex:tv(y), ebm.exact.tv_bound(ex.nstates, C)
  t.cmp_ok(tv, "<", bound, ("%s: packed TV %.4f < %.4f (M=%d, S=%d)"):format(name, tv, bound, ex.nstates, C))
  t.cmp_ok(ex:marginal_z(y, "chains", C), "<", 5, name .. ": node marginals within 5 standard errors (worst z)")
  return y, x
end

check("3x3 binary 4-nbr", m1)
check("3x3 binary 4-nbr, beta 0.5", m1, { beta = 0.5 })
do
  local clamp = ebm.u8{ 1, 0, 0, 0, 1, 0, 0, 0, 0 }
  local values = ebm.u8{ 1, 0, 0, 0, 0, 0, 0, 0, 0 }
  local y = check("3x3 binary 4-nbr with clamp", m1, { clamp = clamp, values = values })
  local r1, r5 = y:select(1, 1), y:select(1, 5)
  local ok = true
  for c = 1, C do if r1:get(c) ~= 1 or r5:get(c) ~= 0 then ok = false break end end
  t.ok(ok, "clamped nodes kept their values in every chain")
end
check("3x3 8-nbr spin (up to 8 neighbours)", m8)
check("3x4 long jumps potts", mj)

-- 6. same law as the u8 kernel on a larger model: from the same initial chains, k sweeps of either
-- kernel (same transition probabilities, other random streams) give the same distribution, mixed
-- or not; compare every node's mean over S chains (worst |z| of the difference < 5)
do
  local m = ebm.grid{ height = 6, width = 6, levels = 2, coupling = "ordinal" }
  m:randomise(1.0, rng)
  local S = 1 << 14
  local s = ebm.sampler{ model = m, seed = 12 }
  local x = s:chains(S)
  local p = s:pack(x)
  s:sweep_packed(p, { n = 7, beta = 0.9 })
  local y = p:unpack()
  s:sweep(x, { n = 7, beta = 0.9 })
  local a, b = x:to("f64"), y:to("f64")
  local worst = 0
  for i = 1, m.n do
    local ma = a:select(1, i):sum() / S
    local mb = b:select(1, i):sum() / S
    local pm = 0.5 * (ma + mb)
    local se = math.sqrt(math.max(pm * (1 - pm), 1e-12) * 2 / S)
    worst = math.max(worst, math.abs(ma - mb) / se)
  end
  t.cmp_ok(worst, "<", 5, "6x6 grid: packed and u8 kernels agree in law after 7 sweeps (worst z of node means)")
  t.ok(not equal(x, y), "6x6 grid: the two kernels use different random streams")
end

-- 7. per-chain clamp: clamped bits never change, the others do
do
  local s = ebm.sampler{ model = m1, seed = 8 }
  local x = random_states(9, 2048, rng)
  local pc = random_states(9, 2048, rng)
  local p = s:pack(x)
  s:sweep_packed(p, { n = 10, clamp = pc })
  local y = p:unpack()
  local kept, changed = true, 0
  for i = 1, 9 do
    for c = 1, 2048 do
      if pc:get(i, c) ~= 0 then
        if y:get(i, c) ~= x:get(i, c) then kept = false end
      elseif y:get(i, c) ~= x:get(i, c) then
        changed = changed + 1
      end
    end
  end
  t.ok(kept, "per-chain clamp: clamped bits never change")
  t.cmp_ok(changed, ">", 1000, "per-chain clamp: free bits do change")
end

t.done_testing()
