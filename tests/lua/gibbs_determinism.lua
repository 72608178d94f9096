-- gibbs_determinism.lua - results do not depend on the thread count or on how a batch is
-- split; clamped nodes never change; chains keep between calls; argument errors.
local t = require "tap"
local ebm = require "ebm"
local core = ebm.core
t.seed(99)

local rng = ebm.rng(1)
local function randomise(m, scale) return m:randomise(scale, rng) end

local equal = require "tensor_eq"

local cases = {
  { "binary 12x12 4-nbr", ebm.grid{ height = 12, width = 12, levels = 2 } },
  { "K=4 12x12 8-nbr", ebm.grid{ height = 12, width = 12, levels = 4, stencil = "8", coupling = "potts" } },
  { "K=16 10x10 ordinal", ebm.grid{ height = 10, width = 10, levels = 16 } },
}
local nthr0 = ebm.threads()
for _, cs in ipairs(cases) do
  local name, m = cs[1], cs[2]
  randomise(m, 1)
  for _, C in ipairs({ 1, 37, 100, 300 }) do
    local runs = {}
    for _, nt in ipairs({ 1, 2, 3 }) do
      ebm.threads(nt)
      local s = ebm.sampler{ model = m, seed = 42 }
      local x = s:chains(C)
      s:sweep(x, { n = 3 })
      s:sweep(x, { n = 2, order = "random", beta = 0.7 })
      s:update(x, 1)
      runs[nt] = x
    end
    t.ok(equal(runs[1], runs[2]) and equal(runs[1], runs[3]), ("%s, %d chains: 1, 2 and 3 threads give identical states"):format(name, C))
  end
  -- batch split with chain offsets: [0, 100) = [0, 37) ++ [37, 100)
  ebm.threads(2)
  local s = ebm.sampler{ model = m, seed = 7 }
  local whole = s:chains(100, "uniform", { step = 1000 })
  local a = s:chains(37, "uniform", { step = 1000 })
  local b = s:chains(63, "uniform", { step = 1000, chain_offset = 37 })
  t.ok(equal(whole:narrow(2, 1, 37), a) and equal(whole:narrow(2, 38, 63), b), name .. ": split initialisation matches")
  s:sweep(whole, { n = 4, step = 5 })
  s:sweep(a, { n = 4, step = 5 })
  s:sweep(b, { n = 4, step = 5, chain_offset = 37 })
  t.ok(equal(whole:narrow(2, 1, 37), a) and equal(whole:narrow(2, 38, 63), b), name .. ": a batch split in two (with chain offset) gives identical chains")
  -- different seeds differ
  local s2 = ebm.sampler{ model = m, seed = 8 }
  local w2 = s2:chains(100, "uniform", { step = 1000 })
  s2:sweep(w2, { n = 4, step = 5 })
  t.ok(not equal(whole, w2), name .. ": another seed gives other chains")
end
ebm.threads(nthr0)

-- one chain at a time (the single-chain kernel) equals the same chain inside a batch (the
-- chain-vectorised kernel), for every kernel path: K levels, binary <= 4 and > 4 neighbours,
-- a two-layer model, clamps and a random block order
do
  local two = ebm.model{ layers = { { name = "v", n = 20, levels = 3 }, { name = "h", n = 6, levels = 2 } },
    factors = { { name = "vh", a = "v", b = "h", i = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 20 },
                  j = { 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6 }, coupling = "full" } } }
  local singles = {
    { "K=4 4-nbr", ebm.grid{ height = 9, width = 7, levels = 4 } },
    { "K=16 8-nbr", ebm.grid{ height = 6, width = 6, levels = 16, stencil = "8", coupling = "potts" } },
    { "binary 4-nbr", ebm.grid{ height = 9, width = 9, levels = 2, coupling = "spin" } },
    { "binary 8-nbr", ebm.grid{ height = 9, width = 9, levels = 2, stencil = "8" } },
    { "two layers", two },
  }
  for round = 1, 2 do  -- round 2: new parameters after the single-chain plan was cached
  for _, cs in ipairs(singles) do
    local name, m = cs[1], cs[2]
    randomise(m, round == 1 and 1.5 or 2.5)
    local clamp = ebm.zeros({ m.n }, "u8")
    for i = 1, m.n, 5 do clamp:set(i, 1) end
    local s = ebm.sampler{ model = m, seed = 17 }
    local batch = s:chains(20, "uniform", { step = 77 })  -- >= 8 chains: the chain-vectorised kernel
    local init = batch:clone()
    s:sweep(batch, { n = 3, step = 1, clamp = clamp, order = "random", beta = 0.8 })
    s:update(batch, 1, { step = 9 })
    local same = true
    for _, c in ipairs({ 1, 2, 7, 16, 17, 20 }) do
      local one = init:narrow(2, c, 1):clone()
      s:sweep(one, { n = 3, step = 1, clamp = clamp, order = "random", beta = 0.8, chain_offset = c - 1 })
      s:update(one, 1, { step = 9, chain_offset = c - 1 })
      if not equal(one, batch:narrow(2, c, 1)) then same = false end
    end
    t.ok(same, name .. ": each chain run alone (chain_offset) equals its column of the batch"
      .. (round == 2 and ", after new parameters" or ""))
  end
  end
  -- the node-split threaded path (a large model, a batch smaller than two tiles)
  local big = ebm.grid{ height = 28, width = 28, levels = 4 }
  randomise(big, 1)
  local runs = {}
  for _, nt in ipairs({ 1, 2 }) do
    ebm.threads(nt)
    local s = ebm.sampler{ model = big, seed = 5 }
    local x = s:chains(100)
    s:sweep(x, { n = 3 })
    runs[nt] = x
  end
  t.ok(equal(runs[1], runs[2]), "28x28 K=4, 100 chains (threads split nodes): 1 and 2 threads identical")
  ebm.threads(nthr0)
end

-- clamps: per node and per chain
do
  local m = ebm.grid{ height = 8, width = 8, levels = 4 }
  randomise(m, 2)
  local s = ebm.sampler{ model = m, seed = 3 }
  local x = s:chains(50)
  local before = x:clone()
  local clamp = ebm.zeros({ 64 }, "u8")
  for i = 1, 64, 3 do clamp:set(i, 1) end
  s:sweep(x, { n = 20, clamp = clamp })
  local kept, moved = true, false
  for i = 1, 64 do
    local same = equal(x:narrow(1, i, 1), before:narrow(1, i, 1))
    if clamp:get(i) == 1 and not same then kept = false end
    if clamp:get(i) == 0 and not same then moved = true end
  end
  t.ok(kept, "per-node clamp: clamped nodes never change over 20 sweeps")
  t.ok(moved, "per-node clamp: free nodes do change")
  local pc = ebm.zeros({ 64, 50 }, "u8")
  for i = 1, 64 do for c = 1, 50 do if (i + c) % 2 == 0 then pc:set(i, c, 1) end end end
  local y = x:clone()
  s:sweep(y, { n = 10, clamp = pc })
  local ok = true
  for i = 1, 64 do for c = 1, 50 do
    if pc:get(i, c) == 1 and y:get(i, c) ~= x:get(i, c) then ok = false end
  end end
  t.ok(ok, "per-chain clamp [n, C]: clamped entries never change")
  s:update(y, 2, { clamp = clamp })
  t.ok(true, "update with clamp runs")
end

-- initialisation from biases follows softmax(bias)
do
  local m = ebm.grid{ height = 1, width = 2, levels = 3 }
  m:set("bias.x", { { 0, math.log(2), math.log(5) }, { 2, 0, 0 } })
  local s = ebm.sampler{ model = m, seed = 1 }
  local S = 40000
  local x = s:chains(S, "bias")
  local h = m:stats(x).hist.x
  local p1 = 5 / 8
  t.cmp_ok(math.abs(h:get(1, 3) - p1), "<", 5 * math.sqrt(p1 * (1 - p1) / S), "chains from biases: level frequencies follow softmax(bias)")
  local d = ebm.zeros({ 5, 1, 2 }, "u8"):fill(2)
  local xd = s:chains(d)
  t.is_deeply(xd:size(), { 2, 5 }, "chains from data [N, h, w] are [n, N]")
  t.is(xd:get(2, 5), 2, "chains from data copy the values")
end

-- every SIMD path gives the same bits: the AVX-512 kernels (skipped where the CPU lacks
-- AVX-512 F/BW/VL/DQ) against the portable loops ("avx2" and "scalar" both name those; the
-- compiler vectorises them for the build's flags), for every kernel path: binary <= 4 and > 4
-- neighbours, K = 3, 4, 16 (in-register lookups), K = 20 (generic), clamps, per-chain beta,
-- random block order, and one chain (the node-vectorised single-chain kernel); for both
-- generators (ARS, Philox), and for the level draws: "table" (VBMI byte lookups where the CPU
-- has them) and "gather" give the same bits on every path, "float" the same bits on every path
-- (and the K > 2 models see both: 150 chains x 7 sweeps fill the threshold tables)
do
  local jumps = { { 0, 1 }, { 1, 0 }, { 2, 1 }, { 1, -2 }, { 1, 1 } }
  local models = {
    { "binary 4-nbr", ebm.grid{ height = 7, width = 9, levels = 2 } },
    { "binary long jumps", ebm.grid{ height = 7, width = 9, levels = 2, stencil = jumps, coupling = "spin" } },
    { "K=3 full", ebm.grid{ height = 6, width = 5, levels = 3, coupling = "full", tie = "edge" } },
    { "K=4 8-nbr potts", ebm.grid{ height = 6, width = 6, levels = 4, stencil = "8", coupling = "potts" } },
    { "K=16 ordinal", ebm.grid{ height = 5, width = 5, levels = 16 } },
    { "K=20 ordinal", ebm.grid{ height = 4, width = 4, levels = 20 } },
  }
  local v512 = select(3, core.simd_path("avx512", "philox"))
  for _, mc in ipairs(models) do
    local name, m = mc[1], mc[2]
    randomise(m, 1)
    if not v512 then
      t.skip("this CPU lacks AVX-512 F/BW/VL/DQ: only the portable path runs", 9)
    else
      for _, C in ipairs({ 1, 5, 150 }) do
        local out = {}
        local clamp = ebm.zeros({ m.n, C }, "u8")
        for k = 1, m.n * C, 7 do clamp:view(m.n * C):set(k, 1) end
        local bt = ebm.f32(C)
        for c = 1, C do bt:set(c, 0.3 + 0.01 * c) end
        for _, gen in ipairs({ "ars", "philox" }) do
          local paths = {}  -- those this CPU runs with this generator (scalar always)
          for _, path in ipairs({ "avx512", "avx2", "scalar" }) do
            if select(3, core.simd_path(path, gen)) then paths[#paths + 1] = path end
          end
          for _, lv in ipairs({ "table", "gather", "float" }) do
            for _, path in ipairs(paths) do
              local s = ebm.sampler{ model = m, seed = 5 }
              local x = s:chains(C)
              local o = { simd = path, levels = lv, rng = gen }
              s:sweep(x, { n = 7, simd = path, levels = lv, rng = gen })
              s:sweep(x, { n = 2, simd = path, levels = lv, rng = gen, clamp = clamp, beta = 0.8 })
              s:sweep(x, { n = 2, simd = path, levels = lv, rng = gen, beta = bt, order = "random" })
              s:update(x, 2, o)
              out[gen .. lv .. path] = x
            end
          end
          local same = true
          for _, path in ipairs(paths) do
            same = same and equal(out[gen .. "table" .. path], out[gen .. "tablescalar"])
              and equal(out[gen .. "gather" .. path], out[gen .. "tablescalar"])
              and equal(out[gen .. "float" .. path], out[gen .. "floatscalar"])
          end
          t.ok(same, ("%s, %d chains, %s words: %s paths give identical states (each level draw)")
            :format(name, C, gen, table.concat(paths, ", ")))
        end
        t.ok(not equal(out.arstablescalar, out.philoxtablescalar), ("%s, %d chains: ARS and Philox words give other chains"):format(name, C))
      end
    end
  end
  -- the environment selects the u8 kernel's default generator and level draw (a child process)
  local code = "local m = ebm.grid{ height = 6, width = 6, levels = 4 }; m:randomise(1, ebm.rng(4)); "
    .. "local s = ebm.sampler{ model = m, seed = 3 }; local x = s:chains(40); s:sweep(x, { n = 30 }); "
    .. "io.write(table.concat(x:view(36 * 40):totable(), ''))"
  local function child(env)
    local f = io.popen(env .. " ./ebmlua -e \"" .. code .. "\"")
    local out = f:read("a")
    f:close()
    return out
  end
  local function here(o)
    local m = ebm.grid{ height = 6, width = 6, levels = 4 }
    m:randomise(1, ebm.rng(4))
    local s = ebm.sampler{ model = m, seed = 3 }
    local x = s:chains(40)
    s:sweep(x, { n = 30, rng = o.rng, levels = o.levels })
    return table.concat(x:view(36 * 40):totable(), "")
  end
  local ars, philox = here{ rng = "ars" }, here{ rng = "philox" }
  t.ok(ars ~= philox and child("EBM_RNG=philox") == philox and child("EBM_RNG=ars") == ars and child("") == ars,
    "EBM_RNG selects the u8 kernel's generator (ARS by default)")
  t.ok(child("EBM_LEVELS=float EBM_RNG=philox") == here{ rng = "philox", levels = "float" }
    and child("EBM_LEVELS=gather") == ars, "EBM_LEVELS selects the level draw")
  local s = ebm.sampler{ model = models[1][2] }
  t.error_like(function() s:sweep(s:chains(4), { simd = "neon" }) end, "unknown SIMD path", "unknown SIMD path refused")
  t.error_like(function() s:sweep(s:chains(4), { levels = "cubic" }) end, "unknown level draw", "unknown level draw refused")
  t.error_like(function() s:sweep(s:chains(4), { rng = "mt" }) end, "unknown generator", "unknown generator refused")
  t.error_like(function() s:update(s:chains(4), 1, { rng = 3 }) end, "unknown generator", "a generator that is not a name refused")
end

-- argument errors
do
  local m = ebm.grid{ height = 3, width = 3 }
  local s = ebm.sampler{ model = m }
  local x = s:chains(4)
  t.error_like(function() s:sweep(x, { beta = -1 }) end, "beta", "negative beta refused")
  t.error_like(function() s:sweep(ebm.zeros({ 8, 4 }, "u8")) end, "states", "wrong state shape refused")
  t.error_like(function() s:sweep(x, { order = { 3 } }) end, "block id 3 out of range", "bad block order refused")
  t.error_like(function() s:sweep(x, { clamp = ebm.zeros({ 5 }, "u8") }) end, "clamp", "bad clamp mask refused")
  t.error_like(function() s:update(x, 5) end, "block index", "bad block index refused")
  t.error_like(function() ebm.threads(-1) end, "thread", "negative thread count refused")
  t.error_like(function() ebm.threads(1025) end, "thread", "thread count over 1024 refused")
  local prev = ebm.threads(0)
  t.ok(ebm.core.threads_auto(), "ebm.threads(0): automatic thread count")
  ebm.threads(prev)
  t.ok(not ebm.core.threads_auto(), "ebm.threads(n): fixed again")
end

t.done_testing()
