-- bench_packed.lua - the bit-packed binary Gibbs kernel (s:sweep_packed) against the u8 kernel
-- (s:sweep) on the same binary grid, in the same run.
--
-- Model: 28x28 (--size) binary grid, 4-neighbour (--stencil 4, 8, or 12: Extropic's long-range
-- torus with jumps (0,1), (4,1), (10,9) and their rotations), ordinal couplings tied by
-- direction (weights 0.5..0.7, biases in -0.5..0.5, as in bench_sampling.lua). For each batch
-- and thread count, one row per kernel: the packed kernel with each generator of --rngs (ARS,
-- Philox) on the --simd path (default: the fastest this CPU runs), and the u8 kernel. Figures:
-- flips (node updates) per nanosecond of wall clock for calls of --sweeps sweeps, median of
-- --reps calls (conversion excluded); per ns of process CPU time (cpu column: per core used,
-- less disturbed by other processes); microseconds per sweep of one chain; 50-sweep samples
-- per second. Conversion u8 -> packed and back is timed separately (median ms per batch).
-- Every row goes to --json. The load average is printed. With --stencil 12 the packed kernel
-- runs its wide path (runtime/gibbs_packed_wide.c; the first call of a model builds its tables,
-- the warm-up call here).
--
--   ebmlua scripts/bench_packed.lua                      # 256..65536 chains, 1 and 2 threads
--   ebmlua scripts/bench_packed.lua --quick --json out/bench_packed.json
--   ebmlua scripts/bench_packed.lua --size 70 --stencil 12 --batches 4096   # the 70x70 torus
--   ebmlua scripts/bench_packed.lua --size 28 --stencil 12 --sweeps 10 --refresh   # training-like calls
local cjson = require "cjson"
local ebm = require "ebm"
local cli = ebm.cli

local p = cli.parser("bench_packed.lua", "Benchmark the bit-packed binary Gibbs kernel against the u8 kernel.")
p:flag("--quick", "Fewer batches and repetitions (about ten seconds).")
p:option("--json", "Write the results as JSON to this path."):convert(cli.outfile)
p:option("--reps", "Timed calls per configuration (the median is reported; default 5, quick 3)."):convert(cli.int(1, 1000))
p:option("--sweeps", "Sweeps per call.", "50"):convert(cli.int(1, 100000))
p:option("--threads", "Comma-separated thread counts.", "1,2"):convert(cli.list(cli.int(1, 256)))
p:option("--batches", "Comma-separated batch sizes (default 256,1024,4096,16384,65536)."):convert(cli.list(cli.int(1, 1 << 22)))
p:option("--size", "Grid height and width.", "28"):convert(cli.int(2, 4096))
p:option("--stencil", "4, 8 or 12 (the long-range torus).", "4"):choices { "4", "8", "12" }
p:option("--rngs", "Comma-separated generators of the packed kernel (ars, philox).", "ars,philox")
  :convert(cli.list(function(v)
    if v == "ars" or v == "philox" then return v end
    return nil, "must be ars or philox"
  end))
p:option("--simd", "SIMD path of both kernels (default: the fastest here)."):choices { "avx512", "avx2", "scalar" }
p:flag("--no-u8", "Skip the u8 kernel.")
p:flag("--refresh", "Refresh the model's parameters before every timed call (the training pattern: "
  .. "a wide model's packed call then rebuilds its tables, inside the timing).")
local a = cli.parse(p)
local reps = a.reps or (a.quick and 3 or 5)
local sweeps, size, stencil, threads = a.sweeps, a.size, a.stencil, a.threads
local batches = a.batches or (a.quick and { 256, 4096, 65536 } or { 256, 1024, 4096, 16384, 65536 })
-- the largest buffers: u8 chains of the largest batch
local maxb = 0
for _, b in ipairs(batches) do maxb = math.max(maxb, b) end
cli.main(cli.fits, 2 * size * size * maxb, "--batches " .. maxb .. " --size " .. size)

cli.main(function()
  local clock, cputime = ebm.sys.clock, ebm.sys.cputime
  local function median(t)
    table.sort(t)
    local n = #t
    return n % 2 == 1 and t[(n + 1) // 2] or 0.5 * (t[n // 2] + t[n // 2 + 1])
  end

  local rng = ebm.rng(1)
  local jumps = stencil == "12" and { { 0, 1 }, { 1, 0 }, { 4, 1 }, { 1, -4 }, { 10, 9 }, { 9, -10 } } or stencil
  local m = ebm.grid{ height = size, width = size, levels = 2, stencil = jumps, coupling = "ordinal", values = { 0, 1 },
                      torus = stencil == "12" or nil }
  local packable = true
  local gens = a.rngs
  local w = m:params()["weight.pair"]
  for k = 1, w:numel() do w:set(k, 0.5 + 0.2 * rng:uniform()) end
  local b = m:params()["bias.x"]:view(m.n * 2)
  for k = 1, b:numel() do b:set(k, rng:uniform(-0.5, 0.5)) end
  m:materialise()

  -- median wall and CPU seconds of fn() over reps calls (after one warm-up call)
  local function timed(fn)
    fn()
    local ts, cs = {}, {}
    for r = 1, reps do
      if a.refresh then m:materialise() end
      local c0, t0 = cputime(), clock()
      fn()
      ts[r], cs[r] = clock() - t0, cputime() - c0
    end
    return median(ts), median(cs)
  end

  local uptime = io.popen("uptime"):read("l") or ""
  print(("# %s, %dx%d binary %s-neighbour grid, %d sweeps per call, median of %d calls"):format(
    os.date("!%Y-%m-%dT%H:%M:%SZ"), size, size, stencil, sweeps, reps))
  print("# uptime: " .. uptime)
  print(("%-6s %-6s %-6s %3s %3s %4s %7s %3s %9s %9s %12s %12s %8s %8s"):format("kernel", "rng", "simd", "lev", "stn",
    "size", "chains", "thr", "flips/ns", "(cpu)", "us/swp/chain", "smp50/s", "pack_ms", "unpk_ms"))
  local results = {}
  local function row(kernel, gen, simd, C, nt, t, c, extra)
    local flips = m.n * C * sweeps
    local r = { kernel = kernel, generator = gen, simd = simd, levels = 2, stencil = stencil, size = size, chains = C,
                threads = nt, sweeps = sweeps, flips_per_ns = flips / t * 1e-9, flips_per_cpu_ns = flips / c * 1e-9,
                us_per_sweep_chain = t / sweeps / C * 1e6, samples50_per_s = C / (t / sweeps * 50) }
    for k, v in pairs(extra or {}) do r[k] = v end
    results[#results + 1] = r
    print(("%-6s %-6s %-6s %3d %3s %4d %7d %3d %9.2f %9.2f %12.4f %12.0f %8s %8s"):format(kernel, gen, simd, 2, stencil,
      size, C, nt, r.flips_per_ns,
      r.flips_per_cpu_ns, r.us_per_sweep_chain, r.samples50_per_s, r.pack_ms and ("%.3f"):format(r.pack_ms) or "-",
      r.unpack_ms and ("%.3f"):format(r.unpack_ms) or "-"))
    io.stdout:flush()
  end
  for _, C in ipairs(batches) do
    for _, nt in ipairs(threads) do
      ebm.threads(nt)
      local s = ebm.sampler{ model = m, seed = 7 }
      local x = s:chains(C)
      if packable then
        local pk = s:pack(x)
        local tpack = timed(function() pk:repack(x) end)
        local tunpack = timed(function() pk:unpack(x) end)
        for _, g in ipairs(gens) do
          local simd = ebm.core.simd_path(a.simd, g)
          local tp, cp = timed(function() s:sweep_packed(pk, { n = sweeps, rng = g, simd = a.simd }) end)
          row("packed", g, simd, C, nt, tp, cp, { pack_ms = tpack * 1e3, unpack_ms = tunpack * 1e3 })
        end
        pk:free()
      end
      if not a.no_u8 then
        local tu, cu = timed(function() s:sweep(x, { n = sweeps, simd = a.simd }) end)
        local usimd, urng = ebm.core.simd_path(a.simd)  -- the u8 kernel's default generator
        row("u8", urng, usimd, C, nt, tu, cu)
      end
    end
  end
  print("# uptime: " .. (io.popen("uptime"):read("l") or ""))
  if a.json then
    local out = { uptime = uptime, results = results, reps = reps }
    ebm.run.write_file(a.json, cjson.encode(out) .. "\n")
    print("# wrote " .. a.json)
  end
end)
