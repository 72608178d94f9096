-- bench_packed.lua - the bit-packed binary Gibbs kernel (s:sweep_packed) against the u8 kernel
-- (s:sweep) on the same binary grid, in the same run.
--
-- Model: 28x28 (--size) binary grid, 4-neighbour (--stencil), ordinal couplings tied by
-- direction (weights 0.5..0.7, biases in -0.5..0.5, as in bench_sampling.lua). For each batch
-- and thread count: flips (node updates) per nanosecond of wall clock for calls of --sweeps
-- sweeps, median of --reps calls, for the packed kernel (conversion excluded) and for the u8
-- kernel; the cpu columns divide by process CPU time instead (per core used; less disturbed by
-- other processes). Conversion u8 -> packed (pack) and back (unpack) is timed separately
-- (median milliseconds per conversion of the whole batch). The load average is printed.
--
--   ebmlua scripts/bench_packed.lua                      # 256..65536 chains, 1 and 2 threads
--   ebmlua scripts/bench_packed.lua --quick --json out/bench_packed.json
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
p:option("--stencil", "4 or 8.", "4"):choices { "4", "8" }
p:flag("--no-u8", "Skip the u8 kernel.")
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
  local m = ebm.grid{ height = size, width = size, levels = 2, stencil = stencil, coupling = "ordinal", values = { 0, 1 } }
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
  print(("%7s %3s %12s %12s %10s %10s %9s %9s %8s"):format("chains", "thr", "packed/ns", "packed/cpu", "u8/ns", "u8/cpu",
    "speedup", "pack_ms", "unpk_ms"))
  local results = {}
  for _, C in ipairs(batches) do
    for _, nt in ipairs(threads) do
      ebm.threads(nt)
      local s = ebm.sampler{ model = m, seed = 7 }
      local x = s:chains(C)
      local flips = m.n * C * sweeps
      local pk = s:pack(x)
      local tp, cp = timed(function() s:sweep_packed(pk, { n = sweeps }) end)
      local tpack = timed(function() pk:repack(x) end)
      local tunpack = timed(function() pk:unpack(x) end)
      local tu, cu = 0 / 0, 0 / 0
      if not a.no_u8 then tu, cu = timed(function() s:sweep(x, { n = sweeps }) end) end
      local r = { chains = C, threads = nt, sweeps = sweeps, size = size, stencil = stencil,
                  packed_flips_per_ns = flips / tp * 1e-9, packed_flips_per_cpu_ns = flips / cp * 1e-9,
                  u8_flips_per_ns = flips / tu * 1e-9, u8_flips_per_cpu_ns = flips / cu * 1e-9,
                  pack_ms = tpack * 1e3, unpack_ms = tunpack * 1e3 }
      results[#results + 1] = r
      local function f(v, fmt) return v == v and fmt:format(v) or "-" end  -- "-" for NaN (--no-u8)
      print(("%7d %3d %12.2f %12.2f %10s %10s %9s %9.3f %9.3f"):format(C, nt, r.packed_flips_per_ns,
        r.packed_flips_per_cpu_ns, f(r.u8_flips_per_ns, "%.2f"), f(r.u8_flips_per_cpu_ns, "%.2f"),
        f(r.packed_flips_per_ns / r.u8_flips_per_ns, "%.1fx"), r.pack_ms, r.unpack_ms))
      pk:free()
    end
  end
  print("# uptime: " .. (io.popen("uptime"):read("l") or ""))
  if a.json then
    for _, r in ipairs(results) do  -- JSON has no NaN
      if r.u8_flips_per_ns ~= r.u8_flips_per_ns then r.u8_flips_per_ns, r.u8_flips_per_cpu_ns = nil, nil end
    end
    local out = { uptime = uptime, results = results, reps = reps }
    ebm.run.write_file(a.json, cjson.encode(out) .. "\n")
    print("# wrote " .. a.json)
  end
end)
