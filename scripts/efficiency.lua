-- efficiency.lua - what one Gibbs update and one finished sample cost on this machine (time,
-- CPU time, energy, instructions, bytes moved), set beside published GPU, FPGA and projected
-- probabilistic-chip figures (sources below), and the Landauer floor.
--
--   ebmlua scripts/efficiency.lua --quick            # about a minute on 2 busy cores
--   ebmlua scripts/efficiency.lua --json out/eff.json
--
-- Measured, one thread, 28x28 grids with 4 neighbours (the models of bench_packed.lua and
-- bench_sampling.lua: random ordinal/potts couplings), median of --reps calls:
--   binary   bit-packed kernel (s:sweep_packed), 4096 chains      (the best binary kernel)
--   binary   u8 kernel, 4096 chains and 1 chain                   (the packed kernel needs
--            512 lanes, so one chain runs on the u8 kernel)
--   4 levels u8 kernel (the only one), 4096 chains and 1 chain
-- Per update: wall and CPU nanoseconds. Per finished sample: one chain after --sample-sweeps
-- sweeps (default 200, sample.lua's warm-up) = 784 * sweeps updates.
-- Energy: RAPL package counters (/sys/class/powercap/intel-rapl*) when readable; otherwise
-- CPU time times a per-core power range (--watts LO,HI; the default is the TDP per core at the
-- two ends of AMD's 5th-generation EPYC line as given by a pre-launch leak, not a datasheet: see
-- RESULTS.md), printed as a range, never one figure.
-- Instructions: `perf stat -e instructions` when the counters work, else valgrind's callgrind
-- on build/v3/ebmlua (`make ebmlua-v3`: the same code built for AVX2, since valgrind cannot
-- decode AVX-512), as the difference of two runs that differ only in the number of sweeps.
-- Bytes: from the kernels' data layouts (runtime/gibbs.h, runtime/gibbs_packed.h).
local cjson = require "cjson"
local ebm = require "ebm"
local cli = ebm.cli

local p = cli.parser("efficiency.lua",
  "Energy, time and instructions per Gibbs update and per sample, beside published GPU/FPGA/chip figures.")
p:flag("--quick", "Fewer repetitions and a shorter instruction count (about a minute).")
p:option("--reps", "Timed calls per configuration (median reported; default 5, quick 3)."):convert(cli.int(1, 1000))
p:option("--sample-sweeps", "Sweeps that make one finished sample.", "200"):convert(cli.int(1, 10000000))
p:option("--watts", "Per-core power range LO,HI in watts for the estimate when RAPL is absent.", "3.1,19.4")
  :convert(cli.converter(function(s)
    local lo, hi = tostring(s):match("^%s*([%d.]+)%s*,%s*([%d.]+)%s*$")
    lo, hi = tonumber(lo), tonumber(hi)
    if not lo or not hi or lo <= 0 or hi < lo then return nil, "must be LO,HI with 0 < LO <= HI, got '" .. s .. "'" end
    return { lo, hi }
  end))
p:flag("--no-count", "Skip the instruction count.")
p:option("--json", "Write every figure as JSON to this path."):convert(cli.outfile)
p:option("--run-only", "Internal: run configuration NAME for --sweeps sweeps and exit (for callgrind).")
p:option("--sweeps", "Internal: sweeps for --run-only.", "1"):convert(cli.int(0, 1000000))
local a = cli.parse(p)
local reps = a.reps or (a.quick and 3 or 5)
local sample_sweeps = a.sample_sweeps
local wlo, whi = a.watts[1], a.watts[2]

cli.main(function()
  local SIDE, N = 28, 28 * 28

  -- The two models (as in bench_packed.lua / bench_sampling.lua): random couplings, fixed seed.
  local function model(levels)
    local rng = ebm.rng(1)
    local m
    if levels == 2 then
      m = ebm.grid { height = SIDE, width = SIDE, levels = 2, stencil = "4", coupling = "ordinal", values = { 0, 1 } }
    else
      m = ebm.grid { height = SIDE, width = SIDE, levels = levels, stencil = "4", coupling = "potts" }
    end
    local pr = m:params()
    for name, t in pairs(pr) do
      local v = t:view(t:numel())
      for k = 1, v:numel() do
        v:set(k, name:match("^bias") and rng:uniform(-0.5, 0.5) or 0.5 + 0.2 * rng:uniform())
      end
    end
    m:materialise()
    return m
  end

  -- Configurations: name, levels, kernel, chains, sweeps per timed call (about 10-50 ms each).
  local CONFIGS = {
    { name = "bin-packed-4096", levels = 2, kernel = "packed", chains = 4096, sweeps = 20 },
    { name = "bin-u8-4096", levels = 2, kernel = "u8", chains = 4096, sweeps = 5 },
    { name = "bin-u8-1", levels = 2, kernel = "u8", chains = 1, sweeps = 2000 },
    { name = "k4-u8-4096", levels = 4, kernel = "u8", chains = 4096, sweeps = 2 },
    { name = "k4-u8-1", levels = 4, kernel = "u8", chains = 1, sweeps = 1000 },
  }
  local BYNAME = {}
  for _, c in ipairs(CONFIGS) do BYNAME[c.name] = c end

  -- A runner for configuration c: returns a function doing `sweeps` sweeps of all chains.
  local function runner(c)
    local m = model(c.levels)
    local s = ebm.sampler { model = m, seed = 7 }
    local x = s:chains(c.chains, "uniform")
    if c.kernel == "packed" then
      local pk = s:pack(x)
      return function(n) s:sweep_packed(pk, { n = n }) end
    end
    return function(n) s:sweep(x, { n = n }) end
  end

  ebm.threads(1)

  if a.run_only then
    local c = BYNAME[a.run_only]
    if not c then cli.usage("--run-only: unknown configuration '%s'", a.run_only) end
    local run, ns = runner(c), a.sweeps
    local c0 = ebm.sys.cputime()
    run(ns)
    print(("cpu_s=%.9f"):format(ebm.sys.cputime() - c0)) -- the sweeps' own CPU time
    os.exit(0)
  end

  local function median(t)
    table.sort(t)
    local n = #t
    return n % 2 == 1 and t[(n + 1) // 2] or 0.5 * (t[n // 2] + t[n // 2 + 1])
  end
  local readfile = ebm.run.read_file -- nil when the file cannot be read
  local function loadavg() return ("%.2f %.2f %.2f"):format(ebm.sys.loadavg()) end

  -- The machine: CPU model, family/model numbers, cores, hypervisor.
  local cpuinfo = readfile("/proc/cpuinfo") or ""
  local cpu = {
    model_name = cpuinfo:match("model name%s*:%s*([^\n]+)") or "?",
    family = tonumber(cpuinfo:match("cpu family%s*:%s*(%d+)")),
    model = tonumber(cpuinfo:match("\nmodel%s*:%s*(%d+)")),
    vendor = cpuinfo:match("vendor_id%s*:%s*(%S+)") or "?",
    cores = ebm.sys.ncpus(),
    hypervisor = cpuinfo:match("flags%s*:[^\n]* hypervisor") ~= nil,
  }

  -- RAPL: the package energy counters, if this machine exposes them and they are readable.
  local rapl = {}
  do
    local pp = io.popen("ls -d /sys/class/powercap/intel-rapl:* 2>/dev/null")
    for d in pp:lines() do
      local e = tonumber(readfile(d .. "/energy_uj") or "")
      local name = (readfile(d .. "/name") or ""):gsub("%s+$", "")
      if e and name:match("^package") then rapl[#rapl + 1] = d .. "/energy_uj" end
    end
    pp:close()
  end
  local function rapl_uj()
    local s = 0
    for _, f in ipairs(rapl) do s = s + (tonumber(readfile(f) or "") or 0) end
    return s
  end

  print(("# efficiency.lua: %s (%s family %s model %s), %d cores%s; load average %s"):format(cpu.model_name,
    cpu.vendor, tostring(cpu.family), tostring(cpu.model), cpu.cores, cpu.hypervisor and ", virtual machine" or "",
    loadavg()))
  if #rapl > 0 then
    print("# energy: RAPL package counters " .. table.concat(rapl, " ") .. " (whole package, other processes included)")
  else
    print(("# energy: no RAPL counters (/sys/class/powercap/intel-rapl* absent or unreadable); estimate = CPU time x %.1f-%.1f W per core"):format(wlo, whi))
  end

  -- Bytes moved per update, from the layouts: the u8 kernel reads deg neighbour bytes and writes
  -- one byte per chain (state u8 [n, C]); the packed kernel reads deg bits and writes one bit per
  -- chain (64 chains per word). Tables (bias rows, 16-entry threshold tables or KxK couplings) are
  -- per node, shared by all chains: bytes per node update / chains. State size decides whether a
  -- sweep streams from L2/L3 or DRAM.
  local function bytes(c)
    local deg = 4
    local per_chain = c.kernel == "packed" and (deg + 1) / 8 or (deg + 1)
    local table_bytes = c.levels == 2 and (16 * 4) or (c.levels * 4 + deg * c.levels * c.levels * 4)
    local words = ((c.chains + 63) // 64 + 7) // 8 * 8 -- ebm_packed_words: a multiple of 8 words
    local state = c.kernel == "packed" and N * 8 * words or N * c.chains
    return per_chain + table_bytes / c.chains, state
  end

  -- Timing.
  local rows = {}
  for _, c in ipairs(CONFIGS) do
    local run = runner(c)
    run(c.sweeps) -- warm-up
    local ts, cs, es = {}, {}, {}
    for r = 1, reps do
      local e0, c0, t0 = rapl_uj(), ebm.sys.cputime(), ebm.sys.clock()
      run(c.sweeps)
      ts[r], cs[r], es[r] = ebm.sys.clock() - t0, ebm.sys.cputime() - c0, (rapl_uj() - e0) * 1e-6
    end
    local updates = N * c.chains * c.sweeps
    local b, state = bytes(c)
    local row = {
      name = c.name, levels = c.levels, kernel = c.kernel, chains = c.chains, sweeps_per_call = c.sweeps,
      wall_ns = median(ts) / updates * 1e9, cpu_ns = median(cs) / updates * 1e9,
      bytes_per_update = b, state_bytes = state,
    }
    if #rapl > 0 then row.rapl_j = median(es) / updates end
    row.j_lo, row.j_hi = row.cpu_ns * 1e-9 * wlo, row.cpu_ns * 1e-9 * whi
    rows[#rows + 1] = row
  end

  -- Instruction counts per update.
  local count_note
  local function perf_works()
    local out = ebm.sys.capture("perf stat -x, -e instructions true 2>&1")
    return out:match("^%d+,,instructions") ~= nil or out:match("\n%d+,,instructions") ~= nil
  end
  local exe = ebm.sys.exe()
  local script = arg[0]
  local function instructions(c, sweeps, tool)
    local cmd
    if tool == "perf" then
      cmd = ("perf stat -x, -e instructions '%s' '%s' --run-only %s --sweeps %d 2>&1 >/dev/null"):format(exe, script, c.name, sweeps)
      local out = ebm.sys.capture(cmd)
      return tonumber(out:match("(%d+),,instructions"))
    end
    cmd = ("OPENBLAS_CORETYPE=Haswell OMP_WAIT_POLICY=passive EBMLUA_PATH='./lua/?.lua;./lua/?/init.lua' "
      .. "valgrind --tool=callgrind --callgrind-out-file=/dev/null build/v3/ebmlua '%s' --run-only %s --sweeps %d 2>&1"):format(
      script, c.name, sweeps)
    local out = ebm.sys.capture(cmd)
    local ir = out:match("Collected%s*:%s*(%d+)")
    return tonumber(ir)
  end
  if not a.no_count then
    local tool
    if perf_works() then
      tool = "perf"
      count_note = "perf stat -e instructions on ./ebmlua (this build)"
    elseif os.execute("valgrind --version >/dev/null 2>&1") and io.open("build/v3/ebmlua", "r") then
      tool = "callgrind"
      count_note = "perf counters not supported here; valgrind callgrind on build/v3/ebmlua (AVX2 build of the same code)"
    else
      count_note = "no instruction count: perf counters unsupported and valgrind or build/v3/ebmlua (make ebmlua-v3) missing"
    end
    if tool then
      io.write("# counting instructions (" .. tool .. ") ")
      for i, c in ipairs(CONFIGS) do
        -- two runs differing only in the number of sweeps; the difference is the sweeps' own cost
        local s1, s2 = 1, c.chains > 1 and (a.quick and 2 or 4) or (a.quick and 100 or 400)
        local i1, i2 = instructions(c, s1, tool), instructions(c, s2, tool)
        if i1 and i2 then rows[i].instr = (i2 - i1) / ((s2 - s1) * N * c.chains) end
        if tool == "callgrind" then -- CPU time of the counted (AVX2) build itself, outside valgrind
          local o = ebm.sys.capture(("OPENBLAS_CORETYPE=Haswell OMP_WAIT_POLICY=passive EBMLUA_PATH='./lua/?.lua;./lua/?/init.lua' "
            .. "build/v3/ebmlua '%s' --run-only %s --sweeps %d"):format(script, c.name, s2))
          local cs = tonumber(o:match("cpu_s=([%d.e+-]+)"))
          if cs then rows[i].v3_cpu_ns = cs / (s2 * N * c.chains) * 1e9 end
        end
        io.write(".")
        io.flush()
      end
      io.write("\n")
    end
  end
  print("# " .. (count_note or "instruction count skipped (--no-count)"))

  -- Published and projected figures (the "Energy efficiency" section of RESULTS.md gives each one's
  -- origin). "primary": read in the origin itself; "secondary": read only as quoted by a third party.
  local SRC = {
    thrml_flips_per_ns_8gpu = 186,   -- primary: THRML examples/02_spin_models.ipynb (commit 407691ec), plot "Performance on 8xB200" (fps.png), plateau read off the plot
    b200_w_lo = 1000,                -- secondary: B200 maximum board power (HGX B200) as quoted by glennklockwood.com/garden/processors/B200
    b200_w_hi = 14300 / 8,           -- primary: DGX B200 system power 14.3 kW max for 8 GPUs (docs.nvidia.com DGX B200 user guide)
    fpga_flips_per_ns = 60,          -- secondary: "~60 flips/ns", THRML 02_spin_models.ipynb citing arXiv:2303.10728 (not read)
    dtca_cell_j = 2e-15,             -- secondary: E_cell ~ 2 fJ per cell update, arXiv:2510.23972v2 pp. 5-6 as quoted (projection)
    dtca_kmix = 250,                 -- secondary: K_mix, Gibbs sweeps per denoising step, same place
    dtca_side = 70,                  -- secondary: L, the DTM grids are L x L, same place
    dtca_step_j = 1.6e-9,            -- secondary: ~1.6 T nJ per sample (T denoising steps), App. D.4 as quoted (projection)
    rng_bit_j = 350e-18,             -- secondary: ~350 aJ per random bit at ~10 MHz, App. J as quoted
    claim_ratio = 1e4,               -- primary: "approximately 10,000 times less energy", arXiv:2510.23972 abstract (v1 and v2)
  }
  local KT_LN2 = 1.380649e-23 * 300 * math.log(2)

  -- Tables.
  local function e(x) return x and ("%.2g"):format(x) or "n/a" end
  print(("\n## Measured (1 thread, load average %s; median of %d calls)"):format(loadavg(), reps))
  print("| model | kernel | chains | wall ns/update | CPU ns/update | instructions/update | (counted build: CPU ns/update) "
    .. "| bytes/update | state bytes | J/update (range) |")
  print("|---|---|---|---|---|---|---|---|---|---|")
  for _, r in ipairs(rows) do
    local j = r.rapl_j and (e(r.rapl_j) .. " (RAPL)") or (e(r.j_lo) .. " - " .. e(r.j_hi))
    print(("| %s | %s | %d | %.3f | %.3f | %s | %s | %.3g | %d | %s |"):format(r.levels == 2 and "binary" or "4 levels",
      r.kernel, r.chains, r.wall_ns, r.cpu_ns, r.instr and ("%.1f"):format(r.instr) or "n/a",
      r.v3_cpu_ns and ("%.3f"):format(r.v3_cpu_ns) or "same build", r.bytes_per_update, r.state_bytes, j))
  end
  if rows[1].v3_cpu_ns then
    print("# instructions were counted on the AVX2 build (valgrind cannot run AVX-512); its kernels take other code paths")
    print("# (the AVX-512 paths are compiled out), so its counts describe that build, whose CPU time is shown beside them")
  end
  print(("\nPer finished sample (%d sweeps x %d pixels = %d updates of one chain):"):format(sample_sweeps, N, sample_sweeps * N))
  print("| model | kernel | chains | CPU ms/sample | J/sample (range) |")
  print("|---|---|---|---|---|")
  local U = sample_sweeps * N
  for _, r in ipairs(rows) do
    print(("| %s | %s | %d | %.3f | %s - %s |"):format(r.levels == 2 and "binary" or "4 levels", r.kernel, r.chains,
      r.cpu_ns * U * 1e-6, e(r.j_lo * U), e(r.j_hi * U)))
  end

  local best = rows[1] -- the packed binary kernel
  local gpu_flips_s = SRC.thrml_flips_per_ns_8gpu / 8 * 1e9
  local gpu_lo, gpu_hi = SRC.b200_w_lo / gpu_flips_s, SRC.b200_w_hi / gpu_flips_s
  -- Cell updates per denoising step, two ways from the (secondary) quotes, which disagree by 1.5x:
  -- 1.6 nJ / 2 fJ = 800,000, and K_mix * L^2 = 250 * 70^2 = 1,225,000 (= 2.45 nJ at 2 fJ).
  local upd_a = SRC.dtca_step_j / SRC.dtca_cell_j
  local upd_b = SRC.dtca_kmix * SRC.dtca_side ^ 2
  local upd_lo, upd_hi = math.min(upd_a, upd_b), math.max(upd_a, upd_b)
  print("\n## Comparison (J per binary update; per sample where the source gives one)")
  print("| platform | J/update | J/sample | kind |")
  print("|---|---|---|---|")
  print(("| this CPU, ebmlua packed kernel, 1 core | %s - %s | %s - %s (grid EBM, %d sweeps) | measured time x per-core power range |"):format(
    e(best.j_lo), e(best.j_hi), e(best.j_lo * U), e(best.j_hi * U), sample_sweeps))
  print(("| this CPU, same Gibbs work as one DTM denoising step (%.0f - %.0f updates) | | %s - %s per step | measured x update count (secondary) |"):format(
    upd_lo, upd_hi, e(best.j_lo * upd_lo), e(best.j_hi * upd_hi)))
  print(("| B200 GPU, THRML (%.1f flips/ns per GPU) | %s - %s | n/a | published throughput x rated power |"):format(
    gpu_flips_s * 1e-9, e(gpu_lo), e(gpu_hi)))
  print(("| FPGA p-bit machine (%d flips/ns) | n/a (power not found) | n/a | throughput as quoted by THRML (secondary) |"):format(SRC.fpga_flips_per_ns))
  print(("| DTCA chip (arXiv:2510.23972) | %s | %s x T (T denoising steps) | projection, values quoted second-hand |"):format(e(SRC.dtca_cell_j), e(SRC.dtca_step_j)))
  print(("| Landauer kT ln 2, 300 K | %s | | physical floor per erased bit |"):format(e(KT_LN2)))
  print("\nRatios of J/update:")
  local ratios = {
    { "CPU / DTCA chip", best.j_lo / SRC.dtca_cell_j, best.j_hi / SRC.dtca_cell_j },
    { "GPU (THRML) / DTCA chip", gpu_lo / SRC.dtca_cell_j, gpu_hi / SRC.dtca_cell_j },
    { "GPU (THRML) / CPU", gpu_lo / best.j_hi, gpu_hi / best.j_lo },
    { "DTCA chip / Landauer", SRC.dtca_cell_j / KT_LN2, SRC.dtca_cell_j / KT_LN2 },
    { "CPU / Landauer", best.j_lo / KT_LN2, best.j_hi / KT_LN2 },
  }
  for _, r in ipairs(ratios) do print(("  %-26s %s - %s"):format(r[1], e(r[2]), e(r[3]))) end
  print(("# DTCA check: K_mix * L^2 * E_cell = %s J per denoising step against the quoted %s J"):format(
    e(upd_b * SRC.dtca_cell_j), e(SRC.dtca_step_j)))
  print(("# load average at end: %s"):format(loadavg()))

  if a.json then
    local out = { cpu = cpu, rapl = #rapl > 0, watts = { wlo, whi }, reps = reps, sample_sweeps = sample_sweeps,
      rows = rows, published = SRC, landauer_j = KT_LN2, count = count_note, ratios = {} }
    for _, r in ipairs(ratios) do out.ratios[#out.ratios + 1] = { name = r[1], lo = r[2], hi = r[3] } end
    ebm.run.write_file(a.json, cjson.encode(out) .. "\n")
  end
end)
