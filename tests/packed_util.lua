-- packed_util.lua - checks shared by the packed-kernel tests (tests/lua/packed.lua for the
-- bit-plane path, tests/lua/packed_wide.lua for the wide path).
local ebm = require "ebm"
local core = ebm.core
local equal = require "tensor_eq"

local M = {}

M.SIMD, M.RNGS = { "avx512", "avx2", "scalar" }, { "ars", "philox" }

-- whether this CPU runs the SIMD path with the generator
function M.runs(simd, gen) return select(3, core.simd_path(simd, gen)) end

-- random u8 0/1 states [n, C]
function M.random_states(n, C, r)
  local x = ebm.zeros({ n, C }, "u8")
  local v = x:view(n * C)
  for k = 1, n * C do v:set(k, r:u32() & 1) end
  return x
end

-- For every SIMD path and generator, each model of cases ({name, model} pairs): 3 sweeps of
-- 700 random chains, then 2 more with a random per-chain clamp, bit-identical to the scalar
-- reference kernel (two TAP tests per case; a path this CPU lacks is skipped).
function M.against_reference(t, cases, r)
  for _, gen in ipairs(M.RNGS) do
    for _, simd in ipairs(M.SIMD) do
      if not M.runs(simd, gen) then
        t.skip(("this CPU cannot run the %s path with %s (cpu flags)"):format(simd, gen), 2 * #cases)
      else
        for _, c in ipairs(cases) do
          local name, m = ("%s [%s, %s]"):format(c[1], simd, gen), c[2]
          local s = ebm.sampler{ model = m, seed = 9 }
          local x = M.random_states(m.n, 700, r)
          local pc = M.random_states(m.n, 700, r)
          local a, b = s:pack(x), s:pack(x)
          core.packed_sweep(s.graph, s.blocks, a, 3, 0.7, 9, 5, nil, simd, gen)
          core.packed_sweep_ref(s.graph, s.blocks, b, 3, 0.7, 9, 5, nil, nil, gen)
          t.ok(equal(a:unpack(), b:unpack()), name .. ": packed kernel bit-identical to the scalar reference")
          core.packed_sweep(s.graph, s.blocks, a, 2, 1.0, 9, 8, pc, simd, gen)
          core.packed_sweep_ref(s.graph, s.blocks, b, 2, 1.0, 9, 8, pc, nil, gen)
          t.ok(equal(a:unpack(), b:unpack()), name .. ": same with a per-chain clamp")
        end
      end
    end
  end
end

-- 2^16 independent chains of model m, WARM = 40 packed sweeps from uniform states (o.clamp /
-- o.values: clamped nodes start at their values), against exact enumeration: TV below the
-- bound of tests/lua/sampler_exact.lua and every node marginal within 5 standard errors. o:
-- beta, clamp, values, seed, rng, simd. Returns the final and the initial u8 states.
function M.check_exact(t, name, m, o)
  o = o or {}
  local C, WARM = 1 << 16, 40
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
  s:sweep_packed(p, { n = WARM, beta = beta, clamp = o.clamp, rng = o.rng, simd = o.simd })
  local y = p:unpack()
  local tv, bound = ex:tv(y), ebm.exact.tv_bound(ex.nstates, C)
  name = ("%s [%s]"):format(name, table.concat({ core.simd_path(o.simd, o.rng) }, ", ", 1, 2))
  t.cmp_ok(tv, "<", bound, ("%s: packed TV %.4f < %.4f (M=%d, S=%d)"):format(name, tv, bound, ex.nstates, C))
  t.cmp_ok(ex:marginal_z(y, "chains", C), "<", 5, name .. ": node marginals within 5 standard errors (worst z)")
  return y, x
end

-- check_exact on every path and generator (a path this CPU lacks is skipped).
function M.check_exact_paths(t, name, m, o)
  for _, gen in ipairs(M.RNGS) do
    for _, simd in ipairs(M.SIMD) do
      if M.runs(simd, gen) then
        local oo = { rng = gen, simd = simd }
        for k, v in pairs(o or {}) do oo[k] = v end
        M.check_exact(t, name, m, oo)
      else
        t.skip(("this CPU cannot run the %s path with %s"):format(simd, gen), 2)
      end
    end
  end
end

return M
