-- bench_diag.lua - time the autocovariance of many traces by direct sums and by FFT (FFTW),
-- to set the EBM_ACF_AUTO rule in runtime/diag.c. Prints a table; not a test.
local ebm = require "ebm"
local cli = ebm.cli
local p = cli.parser("bench_diag.lua", "Time ebm.diag autocovariances: direct sums against FFTW.")
p:option("--chains", "Traces at once.", "16"):convert(cli.int(1, 10000))
p:option("--reps", "Repetitions (median is printed).", "5"):convert(cli.int(1, 1000))
p:flag("--quick", "Fewer sizes.")
local a = cli.parse(p)
local core, clock = ebm.core, ebm.sys.clock
local function median(t) table.sort(t); return t[(#t + 1) // 2] end
local function time(f)
  local ts = {}
  for r = 1, a.reps do local t0 = clock(); f(); ts[r] = clock() - t0 end
  return median(ts)
end
local ns = a.quick and { 1000, 10000 } or { 1000, 10000, 100000 }
local lags = a.quick and { 16, 64 } or { 8, 16, 32, 48, 64, 128, 512 }
print(("%8s %6s %12s %12s %8s"):format("draws", "maxlag", "direct ms", "fft ms", "faster"))
for _, n in ipairs(ns) do
  local x = ebm.f64(n, a.chains):normal(ebm.rng(1), 0, 1)
  for _, L in ipairs(lags) do
    if L < n then
      local td = time(function() core.diag_autocov(x, L, "direct") end)
      local tf = time(function() core.diag_autocov(x, L, "fft") end)
      print(("%8d %6d %12.3f %12.3f %8s"):format(n, L, td * 1e3, tf * 1e3, td < tf and "direct" or "fft"))
    end
  end
end
print(("# chains %d, threads as set by OMP_NUM_THREADS; load %s"):format(a.chains, io.open("/proc/loadavg"):read("l")))
