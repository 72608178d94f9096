-- packed_wide.lua - the packed kernel's wide path (binary models with a node of 9..16
-- neighbours, runtime/gibbs_packed_wide.c): bit-identity with the scalar reference on every SIMD
-- path and generator (with and without a per-chain clamp), across thread counts and split
-- calls, after the model or beta changes (the kernel caches its tables by model version), and
-- the empirical distribution of many chains against exact enumeration on small tori whose
-- nodes have 9, 11 and 12 distinct neighbours; refusals past 16 neighbours. A path this CPU
-- lacks is skipped with a TAP skip line.
local t = require "tap"
local ebm = require "ebm"
local core = ebm.core
local equal = require "tensor_eq"
local pk = require "packed_util"
local random_states = pk.random_states
t.seed(20261202)

local rng = ebm.rng(23)

local J12 = { { 0, 1 }, { 1, 0 }, { 4, 1 }, { 1, -4 }, { 10, 9 }, { 9, -10 } }  -- Extropic's long-range torus
local J9 = { { 0, 1 }, { 1, 0 }, { 1, 1 }, { 1, -1 }, { 0, 2 } }
local J11 = { { 0, 1 }, { 1, 0 }, { 1, 1 }, { 1, -1 }, { 0, 2 }, { 1, 2 } }
-- 16x16 torus, 12 distinct neighbours per node
local m12 = ebm.grid{ height = 16, width = 16, levels = 2, stencil = J12, coupling = "ordinal", torus = true }
m12:randomise(0.5, rng)
-- 6x7 grid (no wrap) with the long jumps and a few more: nodes with 2..14 neighbours (both paths' ranges)
local mmix = ebm.grid{ height = 6, width = 7, levels = 2, stencil = { { 0, 1 }, { 1, 0 }, { 1, 1 }, { 1, -1 }, { 0, 2 }, { 2, 0 }, { 2, 1 } },
                       coupling = "spin" }
mmix:randomise(0.7, rng)
t.is(mmix.nedges, 6 * 6 + 5 * 7 + 5 * 6 + 5 * 6 + 6 * 5 + 4 * 7 + 4 * 6, "6x7 grid with 7 jumps: edge count (interior nodes have 14 neighbours)")

-- 1. vector kernels == scalar reference (every path and generator, with a per-chain clamp)
-- 5x5 torus with 8 jumps: 16 distinct neighbours per node (three 7-neighbour chunks)
local m16 = ebm.grid{ height = 5, width = 5, levels = 2, coupling = "spin", torus = true,
                      stencil = { { 0, 1 }, { 1, 0 }, { 1, 1 }, { 1, -1 }, { 0, 2 }, { 2, 0 }, { 1, 2 }, { 2, 1 } } }
m16:randomise(0.3, ebm.rng(29))
t.is(m16.nedges, 200, "5x5 torus with 8 jumps: 200 edges, 16 neighbours per node")
pk.against_reference(t, { { "16x16 torus, 12 neighbours", m12 }, { "6x7 grid, 2..14 neighbours", mmix },
                          { "5x5 torus, 16 neighbours", m16 } }, rng)

-- 2. threads, split calls, steps; the cached tables follow the model and beta
do
  local s = ebm.sampler{ model = m12, seed = 4 }
  local x = random_states(m12.n, 4096, rng)
  local prev = core.threads(1)
  local a = s:pack(x)
  s:sweep_packed(a, { n = 5, step = 0 })
  core.threads(2)
  local b = s:pack(x)
  s:sweep_packed(b, { n = 5, step = 0 })
  local c = s:pack(x)
  s:sweep_packed(c, { n = 2, step = 0 })
  s:sweep_packed(c, { n = 3, step = 2 })
  t.ok(equal(a:unpack(), b:unpack()), "12-neighbour torus: 1 and 2 threads give bit-identical chains")
  t.ok(equal(a:unpack(), c:unpack()), "12-neighbour torus: 5 sweeps == 2 + 3 sweeps with the step carried")
  local d = s:pack(x)
  s:sweep_packed(d, { n = 5, step = 1 })
  t.ok(not equal(a:unpack(), d:unpack()), "12-neighbour torus: another step gives other draws")
  -- new parameters (the model's version changes): the kernel must not reuse the old tables
  local m = ebm.grid{ height = 16, width = 16, levels = 2, stencil = J12, coupling = "ordinal", torus = true }
  m:randomise(0.5, ebm.rng(5))
  local s2 = ebm.sampler{ model = m, seed = 4 }
  local e = s2:pack(x)
  s2:sweep_packed(e, { n = 2, step = 0 })          -- builds and caches the tables of the first parameters
  local y = e:unpack()
  local old = s2:pack(y)
  core.packed_sweep_ref(s2.graph, s2.blocks, old, 2, 1, 4, 2, nil, nil, "ars")
  m:randomise(0.9, ebm.rng(6))
  local new = s2:pack(y)
  core.packed_sweep_ref(s2.graph, s2.blocks, new, 2, 1, 4, 2, nil, nil, "ars")
  t.ok(not equal(old:unpack(), new:unpack()), "new parameters give other chains (the reference, old and new)")
  s2:sweep_packed(e, { n = 2, step = 2 })
  t.ok(equal(e:unpack(), new:unpack()), "after new parameters the kernel matches the reference (no stale tables)")
  local h, k = s2:pack(x), s2:pack(x)
  s2:sweep_packed(h, { n = 2, step = 0, beta = 0.6 })
  core.packed_sweep_ref(s2.graph, s2.blocks, k, 2, 0.6, 4, 0, nil, nil, "ars")
  t.ok(equal(h:unpack(), k:unpack()), "after a new beta the kernel matches the reference")
  core.threads(prev)
end

-- 3. refusals
do
  local mb = ebm.grid{ height = 5, width = 5, levels = 2, coupling = "spin", torus = true,
                       stencil = { { 0, 1 }, { 1, 0 }, { 1, 1 }, { 1, -1 }, { 0, 2 }, { 2, 0 }, { 1, 2 }, { 2, 1 }, { 2, 2 } } }
  local sb = ebm.sampler{ model = mb }
  t.error_like(function() sb:pack(sb:chains(64)) end, "node 1 has 18 neighbours %(the packed path supports at most 16%)",
    "more than 16 neighbours refused, the node named")
  local s = ebm.sampler{ model = m12 }
  local p = s:pack(s:chains(64))
  t.error_like(function() s:sweep_packed(p, { beta = -1 }) end, "beta must be >= 0", "negative beta refused")
end

-- 4. against exact enumeration: independent chains from a uniform start, 40 sweeps each
local function check(name, m, o) return pk.check_exact(t, name, m, o) end
-- The exact-enumeration models draw their parameters from generators of their own. Strongly
-- coupled draws need more than the 40 sweeps of the check to forget the uniform start: the
-- 3x4 9-neighbour torus at randomise(0.6, ebm.rng(5)) gives node marginals 30 standard errors
-- off after 40 sweeps and 1.4 after 400, for the u8 kernel and this one alike (slow mixing,
-- not a wrong sampler or a wrong ebm.exact).
local m9 = ebm.grid{ height = 3, width = 4, levels = 2, stencil = J9, coupling = "spin", torus = true }
m9:randomise(0.6, ebm.rng(101))
t.is(m9.nedges, 54, "3x4 torus with 5 jumps: 54 edges, 9 distinct neighbours per node")
local m11 = ebm.grid{ height = 3, width = 4, levels = 2, stencil = J11, coupling = "potts", torus = true }
m11:randomise(0.5, ebm.rng(102))
t.is(m11.nedges, 66, "3x4 torus with 6 jumps: every pair, 11 neighbours per node")
local m12s = ebm.grid{ height = 3, width = 5, levels = 2, stencil = J11, coupling = "ordinal", torus = true }
m12s:randomise(0.4, ebm.rng(103))
t.is(m12s.nedges, 90, "3x5 torus with 6 jumps: 12 distinct neighbours per node")
check("3x4 torus, 9 neighbours", m9)
check("3x4 torus, 9 neighbours, beta 0.5", m9, { beta = 0.5 })
check("3x4 torus, 11 neighbours, potts", m11)
check("3x5 torus, 12 neighbours", m12s)
pk.check_exact_paths(t, "3x4 torus, 11 neighbours", m11, { seed = 31 })

-- 5. training's negative phase takes the packed kernel for a wide model when the step's node
-- updates are at least twice the threshold-table entries it rebuilds (else the u8 kernel)
do
  t.is(core.packed_table_entries(m12s.graph), 15 * 4096, "table entries of the 3x5 12-neighbour torus: 15 * 2^12")
  t.is(core.packed_table_entries(m9.graph), 12 * 512, "table entries of the 3x4 9-neighbour torus: 12 * 2^9")
  t.is(core.packed_table_entries(ebm.grid{ height = 3, width = 3, levels = 2 }.graph), 0, "no wide path, no tables")
  local function gate(B, cd)
    local cfg = { batch = B, cd_steps = cd, beta = 1, lr = 0.01, optim = "sgd", epochs = 1, seed = 1 }
    local tr = ebm.train.trainer{ model = m12s, train = ebm.zeros({ B, 15 }, "u8"), config = cfg }
    local x = tr.sampler:chains(B)
    local before = x:clone()
    tr:negative_sweeps(x)
    t.ok(not equal(x, before), ("%d chains, %d sweeps: the chains moved"):format(B, cd))
    return tr._packed_ok
  end
  t.ok(gate(1024, 8), "1024 chains x 8 sweeps x 15 nodes >= 2 x 61440 entries: packed kernel")
  t.ok(not gate(64, 2), "64 chains x 2 sweeps: the u8 kernel")
end

t.done_testing()
