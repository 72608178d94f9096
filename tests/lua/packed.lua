-- packed.lua - the bit-packed binary block-Gibbs path (ebm.sampler :pack / :sweep_packed):
-- pack/unpack round trip, bit-identity with the scalar reference kernel and across thread
-- counts, clamp masks, refusals, and the empirical distribution of many independent chains
-- against exact enumeration (TV below the bound of tests/lua/sampler_exact.lua, every node
-- marginal within 5 standard errors). Every SIMD path (avx512, avx2, scalar) and both
-- generators (ARS, Philox) are run; a path this CPU lacks is skipped with a TAP skip line.
local t = require "tap"
local ebm = require "ebm"
local core = ebm.core
t.seed(20261129)

local rng = ebm.rng(17)

local equal = require "tensor_eq"
local pk = require "packed_util"
local random_states = pk.random_states

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
local RNGS = pk.RNGS
pk.against_reference(t, { { "3x3 4-nbr", m1 }, { "3x3 8-nbr", m8 }, { "3x4 long jumps", mj } }, rng)
-- the generators differ; the environment selects the defaults
do
  local s = ebm.sampler{ model = m1, seed = 9 }
  local x = random_states(9, 512, rng)
  local a, b = s:pack(x), s:pack(x)
  s:sweep_packed(a, { n = 2, step = 0, rng = "ars" })
  s:sweep_packed(b, { n = 2, step = 0, rng = "philox" })
  t.ok(not equal(a:unpack(), b:unpack()), "ARS and Philox give different streams")
  local function env_path(env)
    local f = io.popen(env .. " ./ebmlua -e 'print(ebm.core.simd_path())'")
    local out = f:read("a")
    f:close()
    return out
  end
  t.ok(env_path("EBM_SIMD=scalar EBM_RNG=philox"):match("^scalar\tphilox\ttrue"),
    "EBM_SIMD / EBM_RNG select the defaults")
  t.ok(env_path("EBM_SIMD=bogus EBM_RNG=ars"):match("\tars\t"), "an unknown EBM_SIMD value counts as unset")
  t.error_like(function() s:sweep_packed(a, { simd = "sse9" }) end, "unknown SIMD path", "unknown path name refused")
  t.error_like(function() s:sweep_packed(a, { rng = "mt" }) end, "unknown generator", "unknown generator name refused")
end

-- 3. threads, split calls, steps (both generators)
for _, gen in ipairs(RNGS) do
  local s = ebm.sampler{ model = m1, seed = 4 }
  local x = random_states(9, 4096, rng)
  local prev = core.threads(1)
  local a = s:pack(x)
  s:sweep_packed(a, { n = 5, step = 0, rng = gen })
  core.threads(2)
  local b = s:pack(x)
  s:sweep_packed(b, { n = 5, step = 0, rng = gen })
  local c = s:pack(x)
  s:sweep_packed(c, { n = 2, step = 0, rng = gen })
  s:sweep_packed(c, { n = 3, step = 2, rng = gen })
  core.threads(prev)
  t.ok(equal(a:unpack(), b:unpack()), gen .. ": 1 and 2 threads give bit-identical chains")
  t.ok(equal(a:unpack(), c:unpack()), gen .. ": 5 sweeps == 2 + 3 sweeps with the step carried")
  local d = s:pack(x)
  s:sweep_packed(d, { n = 5, step = 1, rng = gen })
  t.ok(not equal(a:unpack(), d:unpack()), gen .. ": another step gives other draws")
  local e = s:pack(x)
  s:sweep_packed(e, { n = 5, step = (1 << 32) + 0, rng = gen })
  t.ok(not equal(a:unpack(), e:unpack()), gen .. ": steps differing only above bit 32 give other draws")
  t.is(s.step, 0, "opts.step leaves s.step alone")
  s:sweep_packed(d, { n = 4, rng = gen })
  t.is(s.step, 4, "sweep_packed advances s.step by n")
end

-- 4. refusals
do
  local m3 = ebm.grid{ height = 2, width = 2, levels = 3, coupling = "potts" }
  local s = ebm.sampler{ model = m3 }
  t.error_like(function() s:pack(s:chains(64)) end, "node 1 has 3 levels", "K = 3 refused with the node named")
  -- (more than 16 neighbours: tests/lua/packed_wide.lua, which covers 9..16)
  local s1 = ebm.sampler{ model = m1 }
  local p = s1:pack(s1:chains(64))
  t.error_like(function() s:sweep_packed(p) end, "number of nodes", "packed chains of another model refused")
  t.error_like(function() s1:sweep_packed(p, { clamp = ebm.u8{ 1, 0 } }) end, "clamp mask must be", "bad clamp refused")
  t.error_like(function() s1:sweep_packed(p, { beta = -1 }) end, "beta must be >= 0", "negative beta refused")
  p:free()
  t.error_like(function() p:unpack() end, "freed", "freed packed chains refused")
end

-- 5. against exact enumeration (2^16 chains, tests/packed_util.lua)
local C = 1 << 16
local function check(name, m, o) return pk.check_exact(t, name, m, o) end

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
-- every path and generator against exact enumeration (bit-identity with the reference above
-- already implies it; this checks the generators' randomness where it is used)
pk.check_exact_paths(t, "3x3 8-nbr spin", m8, { seed = 31 })

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
