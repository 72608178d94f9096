-- bench_sampling.lua - speed of the block Gibbs kernels and of the sequential reference sampler.
--
-- Grid models (ordinal couplings, tied by direction, small random weights) at K = 2, 4, 16
-- levels, 4- and 8-neighbour stencils, batches of 1 .. 4096 chains, 1 and 2 threads, 28x28
-- plus 14x14 and 56x56. For each: microseconds per sweep of one chain, pixel updates (flips)
-- per nanosecond, 50-sweep samples per second, and the sequential single-site sampler on the
-- same model. Every figure is the median of --reps timed runs (wall clock); the cpu column
-- gives updates per nanosecond of process CPU time (per core used), which is less disturbed
-- when other processes share the machine. The load average is printed and stored. Each row
-- names the kernel (u8), the generator of its random words (ars | philox), the SIMD path and
-- the level draw of K > 2 nodes (table | float; see runtime/gibbs.h); --rng and --draw list
-- several to measure them back to back in one run.
--
--   ebmlua scripts/bench_sampling.lua --quick            # under a minute
--   ebmlua scripts/bench_sampling.lua --quick --levels 4 --no-sizes --rng philox,ars --draw float,table
--   ebmlua scripts/bench_sampling.lua --json out/bench_sampling.json --plot out/bench_sampling.png
local cjson = require "cjson"
local ebm = require "ebm"
local cli = ebm.cli

local p = cli.parser("bench_sampling.lua", "Benchmark the block Gibbs kernels and the sequential sampler.")
p:flag("--quick", "A reduced grid of configurations (under a minute).")
p:option("--json", "Write the results as JSON to this path."):convert(cli.outfile)
p:option("--plot", "PNG plot of updates/ns against batch size.", "out/bench_sampling.png"):convert(cli.outfile)
p:option("--reps", "Timed repetitions per configuration (the median is reported)."):convert(cli.int(1, 1000))
p:option("--target", "Seconds per timed repetition."):convert(cli.number { above = 0, max = 3600 })
p:option("--threads", "Comma-separated thread counts.", "1,2"):convert(cli.list(cli.int(1, 256)))
p:option("--levels", "Comma-separated level counts (default 2,4,16)."):convert(cli.list(cli.int(2, 256)))
p:option("--stencils", "Comma-separated stencils, 4 and/or 8 (default 4,8)."):convert(cli.list(cli.int(4, 8)))
p:option("--batches", "Comma-separated batch sizes (default 1,4,...,4096; quick: 1,16,256,4096)."):convert(cli.list(cli.int(1, 1 << 20)))
p:flag("--no-sizes", "Skip the 14x14 and 56x56 grids.")
p:option("--rng", "Comma-separated generators of the u8 kernel: ars, philox (default: EBM_RNG, else ars).")
p:option("--draw", "Comma-separated level draws: table, float (default: EBM_LEVELS, else table).")
p:option("--per-version", "New model parameters (materialise) every N sweeps, as in training, where the "
  .. "threshold tables are refilled every step (default: never)."):convert(cli.int(1, 1 << 20))
local a = cli.parse(p)
local reps = a.reps or (a.quick and 3 or 5)
local target = a.target or (a.quick and 0.03 or 0.08)
local threads = a.threads
local Ks = a.levels or { 2, 4, 16 }
local stencils = {}
for _, v in ipairs(a.stencils or { 4, 8 }) do
  if v ~= 4 and v ~= 8 then cli.main(cli.usage, "--stencils must list 4 and/or 8, got '%d'", v) end
  stencils[#stencils + 1] = tostring(v)
end
local batches = a.batches or (a.quick and { 1, 16, 256, 4096 } or { 1, 4, 16, 64, 256, 1024, 4096 })
local function names(v, ok, what)
  if not v then return { false } end  -- false: the default
  local out = {}
  for w in v:gmatch("[^,]+") do
    if not ok[w] then cli.main(cli.usage, "--%s: unknown %s '%s'", what, what == "rng" and "generator" or "level draw", w) end
    out[#out + 1] = w
  end
  return out
end
local rngs = names(a.rng, { ars = true, philox = true }, "rng")
local draws = names(a.draw, { table = true, float = true }, "draw")

cli.main(function()
  local clock = ebm.sys.clock
  local function median(t)
    table.sort(t)
    local n = #t
    return n % 2 == 1 and t[(n + 1) // 2] or 0.5 * (t[n // 2] + t[n // 2 + 1])
  end
  local function load() return (ebm.sys.loadavg()) end

  local rng = ebm.rng(1)
  local models = {}
  local function model(size, K, stencil)
    local key = size .. "/" .. K .. "/" .. stencil
    if models[key] then return models[key] end
    local m = ebm.grid{ height = size, width = size, levels = K, stencil = stencil, coupling = "ordinal",
                        values = (function() local v = {}; for k = 1, K do v[k] = (k - 1) / (K - 1) end; return v end)() }
    local w = m:params()["weight.pair"]
    for k = 1, w:numel() do w:set(k, 0.5 + 0.2 * rng:uniform()) end
    local b = m:params()["bias.x"]:view(m.n * K)
    for k = 1, b:numel() do b:set(k, rng:uniform(-0.5, 0.5)) end
    m:materialise()
    models[key] = m
    return m
  end

  -- median wall and CPU seconds per sweep of `fn(n)` running n sweeps, n chosen to last about
  -- `target` s
  local function time_sweeps(fn)
    -- calibration: double n until one call lasts target/8 (a single short call can be
    -- dominated by a thread wake-up when the machine is busy)
    local n, t1 = 1
    while true do
      local t0 = clock(); fn(n); t1 = clock() - t0
      if t1 >= target / 8 or n >= 1 << 24 then break end
      n = n * 2
    end
    n = math.max(1, math.floor(n * target / math.max(t1, 1e-9)))
    local ts, cs = {}, {}
    for r = 1, reps do
      local c0 = ebm.sys.cputime()
      local t0 = clock()
      fn(n)
      ts[r] = (clock() - t0) / n
      cs[r] = (ebm.sys.cputime() - c0) / n
    end
    return median(ts), median(cs)
  end

  local results = {}
  local env_draw = os.getenv("EBM_LEVELS")
  local function bench_block(size, K, stencil, C, nt, gen, draw)
    local m = model(size, K, stencil)
    ebm.threads(nt)
    local s = ebm.sampler{ model = m, seed = 7 }
    local x = s:chains(C)
    local o = { rng = gen or nil, levels = draw or nil }
    s:sweep(x, { n = 5, rng = o.rng, levels = o.levels })
    local pv = a.per_version
    local per, cpu = time_sweeps(function(n)
      if not pv then return s:sweep(x, { n = n, rng = o.rng, levels = o.levels }) end
      for k0 = 0, n - 1, pv do
        m:materialise()  -- a new model version: cached tables are stale
        s:sweep(x, { n = math.min(pv, n - k0), rng = o.rng, levels = o.levels })
      end
    end)
    local simd, ran = ebm.core.simd_path(nil, o.rng)  -- the path and generator this sweep ran
    local r = { kind = "block", kernel = "u8", generator = ran, simd = simd,
                draw = K == 2 and "binary" or (draw or (env_draw == "float" and "float" or "table")),
                chains = C, size = size, levels = K, stencil = stencil, batch = C, threads = nt, per_version = pv,
                us_per_sweep_chain = per / C * 1e6, updates_per_ns = m.n * C / per * 1e-9,
                updates_per_cpu_ns = m.n * C / cpu * 1e-9,
                samples50_per_s = C / (50 * per), colours = #m:colouring() }
    r.flips_per_ns = r.updates_per_ns
    results[#results + 1] = r
    return r
  end

  local function bench_seq(size, K, stencil)
    local m = model(size, K, stencil)
    local s = ebm.sampler{ model = m, seed = 7 }
    local x = ebm.zeros({ m.n }, "u8")
    local g = ebm.rng(3)
    s:sequential(x, { sweeps = 3, rng = g })
    local per, cpu = time_sweeps(function(n) s:sequential(x, { sweeps = n, rng = g }) end)
    local r = { kind = "sequential", kernel = "sequential", generator = "philox", simd = "scalar", draw = "float", chains = 1,
                size = size, levels = K, stencil = stencil, batch = 1, threads = 1,
                us_per_sweep_chain = per * 1e6, updates_per_ns = m.n / per * 1e-9, samples50_per_s = 1 / (50 * per),
                updates_per_cpu_ns = m.n / cpu * 1e-9 }
    r.flips_per_ns = r.updates_per_ns
    results[#results + 1] = r
    return r
  end

  local load0 = load()
  local t_start = clock()
  print(("# bench_sampling: %s, reps=%d, ~%.2f s per rep, load average %.2f at start, %d cpus, ebmlua %s")
    :format(a.quick and "quick" or "full", reps, target, load0, ebm.sys.ncpus(), ebm.version))
  if a.per_version then print(("# new model parameters every %d sweeps (materialise; the figures include it)"):format(a.per_version)) end
  local hdr = ("%-10s %-6s %-6s %-6s %5s %3s %4s %5s %3s %14s %11s %9s %14s"):format("kind", "rng", "simd", "draw",
    "size", "K", "nbr", "batch", "thr", "us/sweep/chain", "updates/ns", "(cpu)", "50-sweep smp/s")
  print(hdr)
  if load0 > ebm.sys.ncpus() and not os.getenv("OMP_WAIT_POLICY") then
    print("# note: the machine is busy; OpenMP threads spin while waiting and then slow each other")
    print("#       down (rerun with OMP_WAIT_POLICY=passive for fairer multi-thread figures)")
  end
  local function show(r)
    print(("%-10s %-6s %-6s %-6s %5s %3d %4s %5d %3d %14.3f %11.3f %9.3f %14.1f"):format(r.kind, r.generator, r.simd,
      r.draw, r.size .. "^2", r.levels, r.stencil, r.batch, r.threads, r.us_per_sweep_chain, r.updates_per_ns,
      r.updates_per_cpu_ns, r.samples50_per_s))
    io.stdout:flush()
  end
  for _, K in ipairs(Ks) do
    for _, st in ipairs(stencils) do
      show(bench_seq(28, K, st))
      for _, C in ipairs(batches) do
        for _, nt in ipairs(threads) do
          for _, gen in ipairs(rngs) do
            for _, draw in ipairs(K == 2 and { false } or draws) do show(bench_block(28, K, st, C, nt, gen, draw)) end
          end
        end
      end
    end
  end
  for _, size in ipairs(a.no_sizes and {} or { 14, 56 }) do
    for _, K in ipairs(a.quick and { 4 } or { 2, 4 }) do
      show(bench_seq(size, K, "4"))
      for _, C in ipairs(a.quick and { 1, 256 } or { 1, 64, 1024 }) do
        for _, nt in ipairs(threads) do
          for _, gen in ipairs(rngs) do
            for _, draw in ipairs(K == 2 and { false } or draws) do show(bench_block(size, K, "4", C, nt, gen, draw)) end
          end
        end
      end
    end
  end
  -- per-call overhead: one sweep of a 2x2 binary model with one chain
  do
    local m = ebm.grid{ height = 2, width = 2, levels = 2 }
    local s = ebm.sampler{ model = m, seed = 1 }
    local x = s:chains(1)
    ebm.threads(1)
    local per = time_sweeps(function(n) for _ = 1, n do s:sweep(x) end end)  -- wall
    print(("# per-call overhead: s:sweep on a 2x2 binary model, 1 chain: %.2f us per call"):format(per * 1e6))
    results[#results + 1] = { kind = "overhead", us_per_call = per * 1e6 }
  end
  ebm.threads(threads[#threads])

  -- targets from the issue (measured, never asserted)
  local function find(kind, size, K, st, C, nt, gen, draw)
    for _, r in ipairs(results) do
      if r.kind == kind and r.size == size and r.levels == K and r.stencil == st and r.batch == C and r.threads == nt
        and (not gen or r.generator == gen) and (not draw or r.draw == draw) then return r end
    end
  end
  local function best(K, minC, nt, gen, draw)
    local b
    for _, r in ipairs(results) do
      if r.kind == "block" and r.size == 28 and r.levels == K and r.stencil == "4" and r.batch >= minC and r.threads == nt
        and r.generator == gen and (K == 2 or r.draw == draw) then
        if not b or r.updates_per_ns > b.updates_per_ns then b = r end
      end
    end
    return b
  end
  local tnt = threads[#threads]
  local seq4 = find("sequential", 28, 4, "4", 1, 1)
  print("# targets (28x28, 4-neighbour):")
  if seq4 then
    print(("#   sequential baseline, 4 levels: %.2f us per sweep (%.3f updates/ns)"):format(seq4.us_per_sweep_chain, seq4.updates_per_ns))
  end
  local combos = {}
  for _, r in ipairs(results) do
    if r.kind == "block" then
      local key = r.generator .. "/" .. r.draw
      if not combos[key] then combos[key] = true; combos[#combos + 1] = { r.generator, r.draw } end
    end
  end
  for _, gd in ipairs(combos) do
    local gen, draw = gd[1], gd[2]
    local tag = draw == "binary" and gen or (gen .. ", " .. draw)
    if draw == "binary" then
      local b2 = best(2, 256, tnt, gen, draw)
      if b2 then
        print(("#   binary (%s), batch >= 256, %d threads: %.2f flips/ns (target >= 20) at batch %d; %.2f per cpu-ns")
          :format(tag, tnt, b2.updates_per_ns, b2.batch, b2.updates_per_cpu_ns))
      end
    else
      local b4, one = best(4, 256, tnt, gen, draw), find("block", 28, 4, "4", 1, 1, gen, draw)
      if b4 then
        print(("#   4 levels (%s), batch >= 256, %d threads: %.2f updates/ns (target >= 2) at batch %d, %.0f 50-sweep samples/s (target >= 50,000); %.2f per cpu-ns")
          :format(tag, tnt, b4.updates_per_ns, b4.batch, b4.samples50_per_s, b4.updates_per_cpu_ns))
        if seq4 then print(("#     %.0fx the sequential sampler's updates/ns"):format(b4.updates_per_ns / seq4.updates_per_ns)) end
      end
      if one then print(("#   one chain, 4 levels (%s): %.2f us per sweep (target <= 3)"):format(tag, one.us_per_sweep_chain)) end
    end
  end
  local load1 = load()
  print(("# load average %.2f at start, %.2f at end; %.1f s"):format(load0, load1, clock() - t_start))

  if a.json then
    local doc = { host = { cpus = ebm.sys.ncpus(), load_start = load0, load_end = load1,
                           omp_wait_policy = os.getenv("OMP_WAIT_POLICY") }, quick = a.quick or false,
                  reps = reps, target_s = target, results = results }
    ebm.run.write_file(a.json, cjson.encode(doc) .. "\n")
    print("# wrote " .. a.json)
  end
  if a.plot and ebm.plot.available() then
    local dir = a.plot:match("^(.*)/[^/]*$")
    if dir then ebm.run.mkdirs(dir) end
    local series = {}
    for _, K in ipairs(Ks) do
      for _, st in ipairs(stencils) do
        for _, nt in ipairs(threads) do
          local xs, ys = {}, {}
          for _, C in ipairs(batches) do
            local r = find("block", 28, K, st, C, nt)  -- the first generator and draw listed
            if r then xs[#xs + 1], ys[#ys + 1] = C, r.updates_per_ns end
          end
          series[#series + 1] = { name = ("K=%d %s-nbr %d thr"):format(K, st, nt), x = xs, y = ys, style = "linespoints" }
        end
      end
    end
    ebm.plot.lines{ path = a.plot, title = "block Gibbs, 28x28 grids", xlabel = "chains (batch)",
                    ylabel = "pixel updates per ns", logx = true, logy = true, series = series, key = "bottom right" }
    print("# wrote " .. a.plot)
  end
end)
