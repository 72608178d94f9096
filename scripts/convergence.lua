-- convergence.lua - how much independent information a second of sampling buys: block Gibbs
-- (2 and 4 colours, random block order) against single-site Gibbs (random scan and the naive
-- raster scan), annealed starts, parallel tempering and size scaling, measured with ebm.diag
-- (tau_int, ESS per second, rank-normalised R-hat). Writes results.json and plots/*.png.
--
--   ebmlua scripts/convergence.lua --quick                   # < 2 min on 2 cores
--   ebmlua scripts/convergence.lua --out runs/convergence     # the full run (< 30 min)
--   ebmlua scripts/convergence.lua --quick --figures notebooks/figures   # + the key plots
local ebm = require "ebm"
local cli = ebm.cli
local diag, trace, tempering = ebm.diag, ebm.trace, ebm.tempering
local clock = ebm.sys.clock

local SECTIONS = { samplers = true, coherent = true, tempering = true, scaling = true, ising = true }
local p = cli.parser("convergence.lua", "Convergence of block Gibbs against single-site Gibbs: tau_int, ESS/s, R-hat, "
  .. "steps to a coherent digit, annealing, parallel tempering, size scaling.")
p:flag("--quick", "Short runs (under two minutes on 2 cores).")
p:option("--out", "Output folder (results.json, plots/).", "runs/convergence"):convert(cli.outdir)
p:option("--figures", "Also copy the key plots into this folder (e.g. notebooks/figures)."):convert(cli.outdir)
p:option("--sweeps", "Sweeps per sampler run (default 2000, --quick 300)."):convert(cli.int(100, 10000000))
p:option("--chains", "Chains per start (noise, data, biases; >= 6).", "16"):convert(cli.int(6, 100000))
p:option("--threads", "Threads (1 keeps block and single-site Gibbs on equal terms).", "1"):convert(cli.int(1, 256))
p:option("--seed", "Seed of every random choice.", "1"):convert(cli.count)
p:option("--timer", "cpu: CPU seconds of this process (robust on a shared machine; needs --threads 1), or wall.", "cpu")
  :choices { "cpu", "wall" }
p:option("--sections", "Comma list of: samplers,coherent,tempering,scaling,ising.",
  "samplers,coherent,tempering,scaling,ising"):convert(cli.list(cli.converter(function(v)
    if SECTIONS[v] then return v end
    return nil, "must be samplers, coherent, tempering, scaling or ising, got '" .. v .. "'"
  end)))
p:option("--seed-model", "The seed grid model (train_digit.lua --model seed).", "runs/seed3/model.ckpt")
p:option("--best-model", "The best grid model (train_digit.lua, potts).", "runs/potts3/model.ckpt")
p:option("--latent-model", "A latent grid model (train_latent_grid.lua).", "runs/latent3/model.ckpt")
p:option("--rbm", "An RBM trained on all digits (train_rbm.lua).", "runs/rbm200/model.ckpt")
p:option("--classifier", "Classifier (train_classifier.lua).", "runs/classifier/mlp.ckpt")
p:flag("--quiet", "No progress lines.")
p:flag("--report", "Only write OUT/results.md (markdown tables) from an existing OUT/results.json.")
local a = cli.parse(p)
local QUICK = a.quick
local SWEEPS = a.sweeps or (QUICK and 300 or 2000)
local CPS = a.chains
local SEED = a.seed
ebm.threads(a.threads)
cli.main(function()
  if a.timer == "cpu" and ebm.threads() ~= 1 then cli.usage("--timer cpu needs --threads 1 (CPU time adds up the threads)") end
end)
-- Sweep timings: CPU seconds of this single-threaded process do not count the time other jobs
-- on a shared machine take from it; wall-clock seconds on an idle machine are the same.
local timer = a.timer == "cpu" and ebm.sys.cputime or clock
local sections = {}
for _, sname in ipairs(a.sections) do sections[sname] = true end
ebm.run.mkdirs(a.out .. "/plots")
local results = { config = { quick = QUICK, sweeps = SWEEPS, chains_per_start = CPS, threads = ebm.threads(),
                             seed = SEED, timer = a.timer, command = ebm.run.command_line() }, load_start = { ebm.sys.loadavg() } }
local T0 = clock()
local function say(...)
  if not a.quiet then io.stderr:write(("[%6.1fs] "):format(clock() - T0), string.format(...), "\n") end
end
local function exists(path) local f = io.open(path, "rb"); if f then f:close() end; return f ~= nil end
local function median(t)
  local s = { table.unpack(t) }
  table.sort(s)
  if #s == 0 then return nil end
  return #s % 2 == 1 and s[(#s + 1) // 2] or 0.5 * (s[#s // 2] + s[#s // 2 + 1])
end
local function quantile(t, q)
  local s = { table.unpack(t) }
  table.sort(s)
  return s[math.max(1, math.min(#s, math.floor(q * (#s - 1) + 1.5)))]
end

-- Markdown tables of a results table (results.md; RESULTS.md quotes them).
local function markdown(R)
  local o = {}
  local function w(...) o[#o + 1] = string.format(...) end
  local function f(v, d)
    if type(v) ~= "number" then return "-" end
    if v ~= v then return "nan" end
    return string.format("%." .. (d or 2) .. "f", v)
  end
  local cfg = R.config or {}
  w("Command: `ebmlua %s`; %d sweeps, %d chains per start, %d thread(s), %s time; load %s at the start, %s at the end; %.0f s.",
    tostring(cfg.command or ""):gsub("^%S*ebmlua ", ""), cfg.sweeps or 0, cfg.chains_per_start or 0, cfg.threads or 0, cfg.timer or "wall",
    table.concat(R.load_start or {}, " "), table.concat(R.load_end or {}, " "), R.seconds or 0)
  w("")
  local order = { "block2", "block4", "block4r", "site_random", "site_raster" }
  -- fn(r, key) for each present entry R[section][key], keys in the given order
  local function each(section, keys, fn)
    for _, key in ipairs(keys) do
      if section[key] then fn(section[key], key) end
    end
  end
  if R.samplers then
    w("| model | sampler | us per chain-sweep | tau_E | tau_ink | ESS_E/s | ESS_ink/s | R-hat E | R-hat ink | equal time: sweeps, R-hat E |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    each(R.samplers, { "seed", "best", "latent", "ising_c" }, function(r)
      each(r.kinds, order, function(x, k)
        local et = x.equal_time or {}
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d, %s |", r.model, k, f(x.us_per_chain_sweep), f(x.tau_energy, 1),
          f(x.tau_ink, 1), f(x.ess_per_s_energy, 0), f(x.ess_per_s_ink, 0), f(x.rhat_energy, 3), f(x.rhat_ink, 3),
          x.equal_time_sweeps or 0, f(et.rhat_energy, 3))
      end)
    end)
    w("")
  end
  if R.ising_exact then
    local r = R.ising_exact
    w("| Ising 4x4 torus at beta_c | <E>/site | z | <abs m> | z |")
    w("|---|---:|---:|---:|---:|")
    w("| exact (enumeration) | %s | | %s | |", f(r.exact_energy_per_site, 4), f(r.exact_abs_m, 4))
    for _, k in ipairs { "block2", "site_raster" } do
      local x = r.kinds and r.kinds[k]
      if x then w("| %s | %s | %s | %s | %s |", k, f(x.energy_per_site, 4), f(x.z_energy), f(x.abs_m, 4), f(x.z_abs_m)) end
    end
    w("")
  end
  if R.coherent then
    w("| model | schedule | start | sweeps to data energy band (median) | s | sweeps to the digit (median) | s | read as the digit after the run |")
    w("|---|---|---|---:|---:|---:|---:|---:|")
    each(R.coherent, { "seed", "best", "latent" }, function(r)
      for _, x in ipairs(r.runs) do
        w("| %s | %s | %s | %s | %s | %s | %s | %s |", r.model, x.variant, x.start, f(x.sweeps_to_band, 0), f(x.seconds_to_band, 4),
          f(x.sweeps_to_digit, 0), f(x.seconds_to_digit, 4), f(x.read_as_digit_at_end))
      end
    end)
    w("")
  end
  if R.tempering then
    w("| model | sampler | replicas | betas | swap rates (pairs 1-2, 2-3, ...) | cost per sweep (plain = 1) | tau (sweeps) | ESS/s | R-hat | "
      .. "digit hops per chain-sweep |")
    w("|---|---|---:|---|---|---:|---:|---:|---:|---:|")
    each(R.tempering, { "ising_below_tc", "latent", "rbm" }, function(r)
      each(r, { "plain", "tempering" }, function(x, v)
        local b, sr = {}, {}
        for q, y in ipairs(x.betas or {}) do b[q] = f(y) end
        for q, y in ipairs(x.swap_rates or {}) do sr[q] = f(y) end
        local cost = r.plain and r.plain.seconds and x.seconds and x.seconds / r.plain.seconds
        w("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |", r.model, v, x.replicas or 1, table.concat(b, ", "), table.concat(sr, ", "),
          f(cost, 1), f(x.tau, 1), f(x.ess_per_s, 1), f(x.rhat, 3), f(x.hops_per_chain_sweep, 3))
      end)
    end)
    w("")
  end
  if R.scaling then
    w("| levels | side | block2 us per chain-sweep | block2_each | site_raster | ns per site: block2 / raster | tau_E block2 / raster | ESS/s ratio block2 / raster |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|")
    local by, keys = {}, {}
    for _, x in ipairs(R.scaling) do
      local key = x.levels .. ":" .. x.size
      if not by[key] then by[key] = {}; keys[#keys + 1] = key end
      by[key][x.kind] = x
    end
    for _, key in ipairs(keys) do
      local b, e, q = by[key].block2, by[key].block2_each, by[key].site_raster
      if b and q then
        w("| %d | %d | %s | %s | %s | %s / %s | %s / %s | %s |", b.levels, b.size, f(b.us_per_chain_sweep), e and f(e.us_per_chain_sweep) or "-",
          f(q.us_per_chain_sweep), f(b.ns_per_site_update, 1), f(q.ns_per_site_update, 1), f(b.tau_energy), f(q.tau_energy),
          f(b.ess_per_s / q.ess_per_s, 1))
      end
    end
    w("")
  end
  return table.concat(o, "\n") .. "\n"
end

if a.report then
  local R, err = ebm.run.read_json(a.out .. "/results.json")
  if not R then cli.fail("%s", err) end
  local md = markdown(R)
  ebm.run.write_file(a.out .. "/results.md", md)
  io.write(md)
  os.exit(0)
end

-- Models ---------------------------------------------------------------------------------
local net
if exists(a.classifier) then net = ebm.eval.load_classifier(a.classifier) end

local function load_grid(path)
  if not exists(path) then return nil end
  local ok, m = pcall(ebm.ckpt.load_model, path)
  if not ok then say("skip %s: %s", path, m); return nil end
  return m
end

local function load_latent(path)
  if not exists(path) then return nil end
  local ck = ebm.io.load_checkpoint(path)
  local c = ck.meta.config
  local m = ebm.latent.build { latent = c.latent_size, patch = c.patch, jumps = c.jumps, pixel_edges = c.pixel_edges }
  local params, order = m:params()
  for _, name in ipairs(order) do params[name]:copy(ck.tensors.params[name]) end
  m:materialise()
  return m, c.digit
end

-- 2D Ising model (spin coupling J = 1, no field) on an L x L torus.
local function ising(L)
  local m = ebm.grid { height = L, width = L, levels = 2, coupling = "spin", torus = true }
  m:set("weight.pair", ebm.f32 { 1, 1 })
  m:set("bias.x", ebm.f32(L * L, 2))
  m:materialise()
  return m
end
local BETA_C = 0.5 * math.log(1 + math.sqrt(2))

-- Blocks: the closed-form 2-colouring, or 4 colours from the 2x2 pattern (also proper for a
-- 4-neighbour grid).
local function blocks4(m)
  local H, W = m.height, m.width
  local b = { {}, {}, {}, {} }
  for r = 0, H - 1 do
    for c = 0, W - 1 do
      local k = (r % 2) * 2 + (c % 2) + 1
      b[k][#b[k] + 1] = r * W + c + 1
    end
  end
  return b
end

-- Samplers -------------------------------------------------------------------------------
-- A runner keeps C chains (u8 [n, C]) and advances them by one sweep; single-site samplers
-- keep rows [C, n] (one chain each) and show the chains layout to the observers.
local KINDS = {
  block2 = "block Gibbs, 2 colours",
  block4 = "block Gibbs, 4 colours (2x2)",
  block4r = "block Gibbs, 4 colours, random order",
  site_random = "single-site, random scan",
  site_raster = "single-site, raster scan",
  block2_each = "block Gibbs, 2 colours, one chain per call",
}
local KIND_ORDER = { "block2", "block4", "block4r", "site_random", "site_raster" }

local function make_runner(m, kind, x0, seed)
  local r = { kind = kind, model = m }
  if kind == "block2_each" then -- the block kernel on one chain at a time (no SIMD across chains)
    local s = ebm.sampler { model = m, seed = seed }
    local C = x0:size(2)
    local xs = {}
    for c = 1, C do xs[c] = x0:narrow(2, c, 1):contiguous() end
    r.chains = function()
      local x = ebm.u8(m.n, C)
      for c = 1, C do x:narrow(2, c, 1):copy(xs[c]) end
      return x
    end
    r.sweep = function(beta) for c = 1, C do s:sweep(xs[c], { beta = beta or 1, chain_offset = c - 1, step = s.step }) end; s.step = s.step + 1 end
  elseif kind:match("^block") then
    local blocks = kind:match("^block4") and blocks4(m) or nil
    local s = ebm.sampler { model = m, seed = seed, blocks = blocks }
    local x = x0:clone()
    local order = kind == "block4r" and "random" or nil
    r.chains = function() return x end
    r.sweep = function(beta) s:sweep(x, { beta = beta or 1, order = order }) end
  else
    local s = ebm.sampler { model = m, seed = seed }
    local rows = x0:t():contiguous()
    local C = rows:size(1)
    local scan = kind == "site_random" and "random" or "raster"
    local rng = ebm.rng(seed)
    local rowv = {}
    for c = 1, C do rowv[c] = rows:select(1, c) end
    r.chains = function() return rows:t():contiguous() end
    r.sweep = function(beta)
      for c = 1, C do s:sequential(rowv[c], { sweeps = 1, beta = beta or 1, scan = scan, rng = rng }) end
    end
  end
  return r
end

-- Starting states: u8 [n, C] for `start` = "noise" | "bias" | "data" (data: rows u8 [N, n]).
local function starts(m, C, data, seed)
  local s = ebm.sampler { model = m, seed = seed }
  local out = { noise = s:chains(C, "uniform"), bias = s:chains(C, "bias") }
  if data then
    local N = data:size(1)
    local idx = {}
    local g = ebm.rng(seed + 7)
    local u = ebm.f64(C):uniform(g):totable()
    for c = 1, C do idx[c] = math.floor(u[c] * N) end
    local rows = ebm.u8(C, m.n)
    local dv = data:contiguous():view(N, data:numel() // N)
    for c = 1, C do
      local row = rows:select(1, c)
      row:narrow(1, 1, dv:size(2)):copy(dv:select(1, idx[c] + 1))
    end
    if m.n > dv:size(2) then -- latent units: start them from their biases
      local hb = out.bias:narrow(1, dv:size(2) + 1, m.n - dv:size(2)):t()
      rows:narrow(2, dv:size(2) + 1, m.n - dv:size(2)):copy(hb)
    end
    out.data = rows:t():contiguous()
  end
  return out
end

-- Run every start's chains with one sampler kind for `sweeps` sweeps, recording energy and
-- ink after each sweep (timed apart from the sweeps). Returns traces [sweeps, 3C] and the
-- seconds spent sweeping.
local function run_kind(m, kind, st, sweeps, seed, o)
  o = o or {}
  local names = { "noise", "data", "bias" }
  local parts = {}
  for _, nm in ipairs(names) do if st[nm] then parts[#parts + 1] = st[nm] end end
  local C = parts[1]:size(2)
  local x0 = ebm.u8(m.n, C * #parts)
  for i, part in ipairs(parts) do x0:narrow(2, (i - 1) * C + 1, C):copy(part) end
  local r = make_runner(m, kind, x0, seed)
  local obs = { trace.energy { phase = "all" }, trace.ink { phase = "all" } }
  if o.label and net then obs[#obs + 1] = trace.label { classifier = net, phase = "all" } end
  local info = { model = m, phase = "sampling", total = sweeps }
  local times = {}
  local beta_of = o.beta or function() return 1 end
  for t = 1, sweeps do
    local t1 = timer()
    r.sweep(beta_of(t))
    times[t] = timer() - t1
    info.sweep, info.chains = t, r.chains()
    for _, ob in ipairs(obs) do ob:observe(info) end
  end
  -- seconds: the median sweep time times the sweeps (robust to other jobs on a shared machine)
  local out = { seconds = median(times) * sweeps, chains = C * #parts }
  for _, ob in ipairs(obs) do out[ob.name] = ob:result() end
  return out
end

-- Metrics of a trace [T, C] over its second half (the first half is warm-up).
local function metrics(x, secs)
  local T = x:size(1)
  local h = x:narrow(1, T // 2 + 1, T - T // 2):contiguous()
  local s = diag.summary(h)
  local ess, tau = diag.ess(h)
  local sec_half = secs * (T - T // 2) / T
  if h:size(1) < 50 then -- too few draws per chain for an autocorrelation: R-hat only
    return { rhat = s.rhat }
  end
  return { tau = tau, ess = ess, ess_bulk = s.ess_bulk, ess_tail = s.ess_tail, rhat = s.rhat,
           ess_per_s = s.ess_bulk / sec_half }
end

-- R-hat over time: for t in a grid, rank-normalised R-hat of draws t/2..t.
local function rhat_curve(x, points)
  local T = x:size(1)
  local xs, ys = {}, {}
  for k = 1, points do
    local t = math.max(8, math.floor(T * k / points))
    local w = x:narrow(1, t // 2 + 1, t - t // 2):contiguous()
    xs[#xs + 1], ys[#ys + 1] = t, diag.rhat(w)
  end
  return xs, ys
end

local function mean_acf(x, maxlag)
  local T = x:size(1)
  local h = x:narrow(1, T // 2 + 1, T - T // 2):contiguous()
  local r = diag.acf(h, { maxlag = math.min(maxlag, h:size(1) - 1) })
  return r:mean(2):view(r:size(1)):totable()
end

local function fmt(v, d)
  if v == nil then return "-" end
  if v ~= v then return "nan" end
  return string.format("%." .. (d or 2) .. "f", v)
end

local figures = {}
local function plot(kind, o)
  if not ebm.plot.available() then return end
  o.width, o.height = o.width or 640, o.height or 400
  local ok, err = pcall(ebm.plot[kind], o)
  if not ok then say("plot %s failed: %s", o.path, err) else figures[#figures + 1] = o.path end
end

-- Data of the digit models: test images of the digit at the model's levels.
local function digit_data(m, digit)
  local levels = m.layers[1].levels
  local imgs = ebm.data.mnist { split = "test", digits = { digit }, levels = levels }
  return imgs
end

-- Section: samplers ------------------------------------------------------------------------
local grid_models = {}
do
  local sm = load_grid(a.seed_model)
  if sm then grid_models[#grid_models + 1] = { name = "seed (4-nbr ordinal, K=4)", key = "seed", m = sm, digit = 3 } end
  local bm = load_grid(a.best_model)
  if bm then grid_models[#grid_models + 1] = { name = "best (potts, K=4)", key = "best", m = bm, digit = 3 } end
  local lm, d = load_latent(a.latent_model)
  if lm then grid_models[#grid_models + 1] = { name = "latent grid (14x14 latents)", key = "latent", m = lm, digit = d or 3, bipartite = true } end
end
local LC = QUICK and 16 or 32
grid_models[#grid_models + 1] = { name = ("Ising %dx%d at beta_c"):format(LC, LC), key = "ising_c", m = ising(LC), beta = BETA_C }

if sections.samplers then
  results.samplers = {}
  for _, G in ipairs(grid_models) do
    local m = G.m
    local data = G.digit and digit_data(m, G.digit) or nil
    local st = starts(m, CPS, data, SEED)
    local res = { model = G.name, kinds = {} }
    local acfs, curves = {}, {}
    for _, kind in ipairs(KIND_ORDER) do
      if not (G.bipartite and kind:match("^block4")) then
        local beta = G.beta
        local out = run_kind(m, kind, st, SWEEPS, SEED + 11, { beta = beta and function() return beta end })
        local me, mi = metrics(out.energy.x, out.seconds), metrics(out.ink.x, out.seconds)
        local row = { kind = kind, us_per_chain_sweep = 1e6 * out.seconds / (SWEEPS * out.chains),
                      tau_energy = me.tau, tau_ink = mi.tau, ess_energy = me.ess_bulk, ess_ink = mi.ess_bulk,
                      ess_per_s_energy = me.ess_per_s, ess_per_s_ink = mi.ess_per_s,
                      rhat_energy = me.rhat, rhat_ink = mi.rhat, seconds = out.seconds }
        res.kinds[kind] = row
        acfs[kind] = mean_acf(out.energy.x, 100)
        local cx, cy = rhat_curve(out.energy.x, 20)
        curves[kind] = { x = cx, y = cy }
        row._energy, row._ink = out.energy.x, out.ink.x
        say("%-28s %-12s %7.2f us/chain-sweep  tau_E %7.2f  tau_ink %7.2f  ESS/s_E %9.1f  R-hat_E %.3f", G.name, kind,
          row.us_per_chain_sweep, me.tau, mi.tau, me.ess_per_s, me.rhat)
      end
    end
    -- equal wall-clock: every kind gets the seconds the fastest kind needed for SWEEPS sweeps
    local tmin = math.huge
    for _, row in pairs(res.kinds) do tmin = math.min(tmin, row.seconds) end
    for _, row in pairs(res.kinds) do
      local n = math.max(16, math.floor(SWEEPS * tmin / row.seconds))
      n = math.min(n, SWEEPS)
      row.equal_time_sweeps = n
      local e = row._energy:narrow(1, 1, n):contiguous()
      local i = row._ink:narrow(1, 1, n):contiguous()
      local me, mi = metrics(e, tmin), metrics(i, tmin)
      row.equal_time = { seconds = tmin, tau_energy = me.tau, ess_energy = me.ess_bulk, rhat_energy = me.rhat,
                         ess_ink = mi.ess_bulk, rhat_ink = mi.rhat }
      row._energy, row._ink = nil, nil
    end
    res.acf_energy, res.rhat_curve_energy = acfs, curves
    results.samplers[G.key] = res
    local series, rseries = {}, {}
    for _, kind in ipairs(KIND_ORDER) do
      if acfs[kind] then
        local xs = {}
        for l = 1, #acfs[kind] do xs[l] = l - 1 end
        series[#series + 1] = { name = KINDS[kind], x = xs, y = acfs[kind] }
        rseries[#rseries + 1] = { name = KINDS[kind], x = curves[kind].x, y = curves[kind].y }
      end
    end
    plot("lines", { path = ("%s/plots/acf-%s.png"):format(a.out, G.key), title = "Energy autocorrelation: " .. G.name,
                    xlabel = "lag (sweeps)", ylabel = "acf", series = series })
    plot("lines", { path = ("%s/plots/rhat-%s.png"):format(a.out, G.key), title = "R-hat of the energy over time: " .. G.name,
                    xlabel = "sweeps", ylabel = "rank-normalised split R-hat (draws t/2..t)", series = rseries })
    local labels, vals = {}, {}
    for _, kind in ipairs(KIND_ORDER) do
      if res.kinds[kind] then labels[#labels + 1] = kind; vals[#vals + 1] = res.kinds[kind].ess_per_s_energy end
    end
    plot("bars", { path = ("%s/plots/ess-per-s-%s.png"):format(a.out, G.key), title = "Bulk ESS of the energy per second: " .. G.name,
                   labels = labels, values = vals, ylabel = "ESS / s (1 thread)" })
  end
end

-- Section: Ising exact (4x4 torus at beta_c against enumeration) -----------------------------
if sections.ising then
  local m = ising(4)
  local ex = ebm.exact(m, { beta = BETA_C })
  -- exact <E> and <|M|>/n by summing over the 2^16 states (the log-probabilities are in
  -- enumeration order: the lowest node is the least significant digit)
  local lp = ex.logp:totable()
  local eE, eM = 0, 0
  local n = 16
  local x = ebm.u8(n, #lp)
  for q = 0, #lp - 1 do
    local v = q
    for i = 1, n do x:set(i, q + 1, v & 1); v = v >> 1 end
  end
  local E = m:energy(x):totable()
  local ink = x:to("f64"):mean(1):totable()
  for q = 1, #lp do
    local pq = math.exp(lp[q])
    eE = eE + pq * E[q]
    eM = eM + pq * math.abs(2 * ink[q] - 1)
  end
  local st = { noise = ebm.sampler { model = m, seed = SEED }:chains(64, "uniform") }
  local res = { exact_energy_per_site = eE / n, exact_abs_m = eM, kinds = {} }
  for _, kind in ipairs { "block2", "site_raster" } do
    local sweeps = QUICK and 2000 or 10000
    local out = run_kind(m, kind, st, sweeps, SEED + 5, { beta = function() return BETA_C end })
    local h = out.energy.x:narrow(1, 101, sweeps - 100):contiguous()
    local essE, _ = diag.ess(h)
    local mean = h:mean() / n
    local sdv = math.sqrt(h:clone():sub(h:mean()):square():mean()) / n
    local hi = out.ink.x:narrow(1, 101, sweeps - 100):contiguous()
    local am = hi:clone():mul(2):sub(1):abs()
    local essM = diag.ess(am)
    local amean = am:mean()
    local asd = math.sqrt(am:clone():sub(amean):square():mean())
    res.kinds[kind] = { energy_per_site = mean, z_energy = (mean - eE / n) / (sdv / math.sqrt(essE)),
                        abs_m = amean, z_abs_m = (amean - eM) / (asd / math.sqrt(essM)), ess_energy = essE }
    say("Ising 4x4 beta_c %-12s <E>/n %.4f (exact %.4f, z %.2f)  <|m|> %.4f (exact %.4f, z %.2f)", kind, mean, eE / n,
      res.kinds[kind].z_energy, amean, eM, res.kinds[kind].z_abs_m)
  end
  -- the lattice of the samplers section against Onsager's infinite-lattice value at Tc
  if results.samplers and results.samplers.ising_c then
    res.onsager_energy_per_site = -math.sqrt(2)
  end
  results.ising_exact = res
end

-- Section: steps to a coherent digit; annealed starts ----------------------------------------
if sections.coherent then
  results.coherent = {}
  local S = QUICK and 150 or 600
  for _, G in ipairs(grid_models) do
    if G.digit then
      local m = G.m
      local data = digit_data(m, G.digit)
      local band
      if not G.bipartite then
        local e = m:energy(data, { layout = "rows" }):totable()
        band = { quantile(e, 0.05), quantile(e, 0.95) }
      end
      local st = starts(m, 2 * CPS, nil, SEED + 3)
      local res = { model = G.name, band = band, runs = {} }
      local A = QUICK and 30 or 100
      local variants = {
        { key = "block2", kind = "block2" },
        { key = "block2_anneal", kind = "block2", anneal = A },
        { key = "site_raster", kind = "site_raster" },
      }
      for _, V in ipairs(variants) do
        for _, start in ipairs { "noise", "bias" } do
          local beta = V.anneal and function(t) return math.min(1, t / V.anneal) end or nil
          local out = run_kind(m, V.kind, { noise = st[start] }, S, SEED + 13, { label = true, beta = beta })
          local E, L = out.energy.x:totable(), out.label and out.label.x and out.label.x:totable()
          local C = #E[1]
          local hitE, hitL, readL = {}, {}, 0
          for c = 1, C do
            for t = 1, S do
              if band and not hitE[c] and E[t][c] <= band[2] then hitE[c] = t end
              if L and not hitL[c] and math.tointeger(L[t][c]) == G.digit then hitL[c] = t end
            end
            if L and math.tointeger(L[S][c]) == G.digit then readL = readL + 1 end
          end
          local function summ(hits)
            local ts, miss = {}, 0
            for c = 1, C do if hits[c] then ts[#ts + 1] = hits[c] else miss = miss + 1 end end
            return median(ts), miss
          end
          local mE, missE = summ(hitE)
          local mL, missL = summ(hitL)
          local spt = out.seconds / S
          local row = { start = start, variant = V.key, sweeps_to_band = mE, missed_band = band and missE or nil,
                        seconds_to_band = mE and mE * spt, sweeps_to_digit = mL, missed_digit = L and missL or nil,
                        seconds_to_digit = mL and mL * spt, read_as_digit_at_end = L and readL / C or nil, chains = C }
          res.runs[#res.runs + 1] = row
          say("%-28s %-14s from %-5s sweeps to band %s (missed %s), to digit %s (missed %s), read at end %s", G.name, V.key, start,
            fmt(mE, 0), tostring(row.missed_band), fmt(mL, 0), tostring(row.missed_digit), fmt(row.read_as_digit_at_end))
        end
      end
      results.coherent[G.key] = res
    end
  end
end

-- Section: parallel tempering against plain block Gibbs ------------------------------------
-- A system for ebm.tempering over RBM joint states {x f32 [C, D], h f32 [C, nh]}.
local function rbm_system(rbm, seed)
  local core = ebm.core
  local step = 0
  local sys = {}
  function sys.chains(C, _, k)
    local st = { x = rbm:base_sample(C, nil, seed + 100 * k), h = ebm.f32(C, rbm.nh), p = ebm.f32(C, rbm.D), act = ebm.f32(C, rbm.nh), k = k }
    return st
  end
  function sys.sweep(st, beta, k)
    step = step + 1
    local C = st.x:size(1)
    core.rbm_hidden_probs(rbm, st.x, st.h, beta)
    core.rbm_sample_hidden(st.h, st.h, seed, step, (k - 1) * C)
    core.rbm_visible_probs(rbm, st.h, st.p, beta, nil, false)
    core.rbm_sample_visible(rbm, st.p, st.x, seed, step, (k - 1) * C, false)
  end
  function sys.energy(st) -- joint E(x, h) = -b.x - h.(W x + c)
    core.rbm_hidden_act(rbm, st.x, st.act)
    local C = st.x:size(1)
    local e = st.x:to("f64"):matmul(rbm.b:to("f64"):view(rbm.D, 1)):view(C):neg()
    return e:sub(st.h:clone():mul(st.act):to("f64"):sum(2):view(C))
  end
  function sys.swap(sa, sb, mask)
    local mt = mask:totable()
    for c = 1, #mt do
      if mt[c] ~= 0 then
        for _, f in ipairs { "x", "h" } do
          local ra, rb = sa[f]:select(1, c), sb[f]:select(1, c)
          local tmp = ra:clone()
          ra:copy(rb)
          rb:copy(tmp)
        end
      end
    end
  end
  return sys
end

if sections.tempering then
  results.tempering = {}
  local S = QUICK and 300 or 2000
  local R = QUICK and 4 or 6
  local function compare(key, name, sys_plain, sys_pt, C, observe_value, o)
    -- plain: one replica at beta 1; PT: R replicas, ladder adapted to swap rate 0.3
    local res = { model = name }
    for _, variant in ipairs { "plain", "tempering" } do
      local pt = tempering { system = variant == "plain" and sys_plain or sys_pt, swap_every = o.swap_every,
                             betas = variant == "plain" and { 1 } or nil, replicas = R, beta_min = o.beta_min or 0.3, seed = SEED }
      local xs = pt:chains(C, "uniform")
      local adapt = variant == "plain" and 0 or (QUICK and 100 or 300)
      local rows, labs = {}, {}
      local t1 = timer()
      pt:run(xs, { adapt = adapt, sweeps = 0 })
      local secs_adapt = timer() - t1
      local times = {}
      for t = 1, S do
        local t2 = timer()
        pt:sweep(xs)
        times[t] = timer() - t2
        local v, lab = observe_value(xs[1])
        rows[t] = v
        if lab then labs[t] = lab end
      end
      local secs = median(times) * S -- the median sweep (with its swap round) times the sweeps
      local x = diag.trace(rows)
      local me = metrics(x, secs)
      local row = { replicas = pt.R, betas = pt.betas, swap_rates = pt:rates(), seconds = secs, adapt_seconds = secs_adapt,
                    tau = me.tau, ess = me.ess_bulk, ess_per_s = me.ess_per_s, rhat = me.rhat }
      if #labs > 0 then
        local hops, n = 0, 0
        for t = 2, #labs do
          for c = 1, #labs[t] do
            n = n + 1
            if labs[t][c] ~= labs[t - 1][c] then hops = hops + 1 end
          end
        end
        row.hops_per_chain_sweep = hops / n
      end
      res[variant] = row
      say("%-30s %-9s R=%d tau %8.2f  ESS/s %9.2f  R-hat %.3f  swaps %s  hops %s", name, variant, pt.R, me.tau, me.ess_per_s,
        me.rhat, table.concat((function() local t = {} for k, v in ipairs(row.swap_rates) do t[k] = fmt(v) end return t end)(), ","),
        fmt(row.hops_per_chain_sweep, 3))
    end
    results.tempering[key] = res
  end
  -- Ising below Tc (beta 0.5, T = 2.0 < 2.269): the signed magnetisation
  do
    local L = QUICK and 16 or 24
    local m = ising(L)
    local function sys_for(seed)
      local s = ebm.sampler { model = m, seed = seed }
      return { sweep = function(x, beta) s:sweep(x, { beta = 0.5 * beta }) end,
               energy = function(x) return m:energy(x):mul(0.5) end, -- betas are relative to 0.5
               swap = function(x1, x2, mask) ebm.core.diag_swap_chains(x1, x2, mask) end,
               chains = function(C, init) return s:chains(C, init) end }
    end
    compare("ising_below_tc", ("Ising %dx%d at beta 0.5 (below Tc)"):format(L, L), sys_for(SEED + 1), sys_for(SEED + 1), 2 * CPS,
      function(x) return x:to("f64"):mean(1):mul(2):sub(1) end, { beta_min = 0.6 })
  end
  -- latent grid model: the ink of the pixel layer
  for _, G in ipairs(grid_models) do
    if G.key == "latent" then
      local m = G.m
      local function sys_for(seed)
        local s = ebm.sampler { model = m, seed = seed }
        return { sweep = function(x, beta) s:sweep(x, { beta = beta }) end, energy = function(x) return m:energy(x) end,
                 swap = function(x1, x2, mask) ebm.core.diag_swap_chains(x1, x2, mask) end,
                 chains = function(C, init) return s:chains(C, init) end }
      end
      local v = m.layers[1]
      compare("latent", G.name, sys_for(SEED + 2), sys_for(SEED + 2), 2 * CPS, function(x)
        local img = x:narrow(1, v.offset + 1, 784)
        local lab
        if net then lab = net:predict(ebm.classifier.inputs(img:t():contiguous(), 1)):totable() end
        return img:to("f64"):mean(1), lab
      end, { beta_min = 0.5, swap_every = 2 }) -- an energy costs about two sweeps here
    end
  end
  -- RBM (all digits): free energy of the visible state; digit hops read by the classifier
  if exists(a.rbm) then
    local rbm = ebm.rbm.load(a.rbm)
    compare("rbm", ("RBM %d hidden (all digits)"):format(rbm.nh), rbm_system(rbm, SEED + 3), rbm_system(rbm, SEED + 3), 2 * CPS,
      function(st)
        local lab
        if net then lab = net:predict(st.x:narrow(2, 1, 784):contiguous()):totable() end
        return rbm:free_energy(st.x), lab
      end, { beta_min = 0.5, swap_every = 2 })
  end
end

-- Section: size scaling ----------------------------------------------------------------------
if sections.scaling then
  results.scaling = {}
  local sizes = QUICK and { 14, 28, 56 } or { 14, 28, 56, 112 }
  local S = QUICK and 100 or 400
  local lines = {}
  for _, levels in ipairs { 2, 4 } do
    for _, L in ipairs(sizes) do
      local m
      if levels == 2 then
        m = ising(L) -- beta 0.35: paramagnetic, short correlations (tau is O(1) sweeps)
      else
        m = ebm.grid { height = L, width = L, levels = 4, coupling = "ordinal", torus = true }
        m:set("weight.pair", ebm.f32 { 0.12, 0.12 })
        m:set("bias.x", ebm.f32(L * L, 4))
        m:materialise()
      end
      local beta = levels == 2 and 0.35 or 1
      local st = { noise = ebm.sampler { model = m, seed = SEED }:chains(CPS, "uniform") }
      for _, kind in ipairs { "block2", "block2_each", "site_raster" } do
        local out = run_kind(m, kind, st, S, SEED + 17, { beta = function() return beta end })
        local me = metrics(out.energy.x, out.seconds)
        local row = { levels = levels, size = L, kind = kind, us_per_chain_sweep = 1e6 * out.seconds / (S * CPS),
                      ns_per_site_update = 1e9 * out.seconds / (S * CPS * L * L), tau_energy = me.tau,
                      ess_per_s = me.ess_per_s }
        results.scaling[#results.scaling + 1] = row
        local key = ("K=%d %s"):format(levels, kind)
        lines[key] = lines[key] or { name = key, x = {}, y = {} }
        table.insert(lines[key].x, L)
        table.insert(lines[key].y, me.ess_per_s)
        say("scaling K=%d %3dx%-3d %-12s %9.2f us/chain-sweep %6.2f ns/site  tau_E %6.2f  ESS/s %10.1f", levels, L, L, kind,
          row.us_per_chain_sweep, row.ns_per_site_update, me.tau, me.ess_per_s)
      end
    end
  end
  local series = {}
  for _, k in ipairs { "K=2 block2", "K=2 block2_each", "K=2 site_raster", "K=4 block2", "K=4 block2_each", "K=4 site_raster" } do
    if lines[k] then series[#series + 1] = lines[k] end
  end
  plot("lines", { path = a.out .. "/plots/scaling-ess-per-s.png", title = "ESS of the energy per second against lattice side",
                  xlabel = "side L (L x L lattice)", ylabel = ("bulk ESS / s (%d chains, 1 thread)"):format(CPS), logx = true, logy = true,
                  xrange = { 10, 160 },
                  series = (function() for _, s in ipairs(series) do s.style = "linespoints" end return series end)() })
end

results.seconds = clock() - T0
results.load_end = { ebm.sys.loadavg() }
results.figures = figures
ebm.run.write_json(a.out .. "/results.json", results)
ebm.run.write_file(a.out .. "/results.md", markdown(ebm.run.read_json(a.out .. "/results.json")))
say("wrote %s/results.json (%.0f s, load %s)", a.out, results.seconds, table.concat(results.load_end, " "))

if a.figures then
  ebm.run.mkdirs(a.figures)
  for _, f in ipairs(figures) do
    local base = f:match("([^/]+)$")
    if base:match("^acf%-best") or base:match("^rhat%-best") or base:match("^ess%-per%-s") or base:match("^scaling")
      or base:match("^acf%-ising") then
      local src = assert(io.open(f, "rb"))
      local bytes = src:read("a")
      src:close()
      ebm.run.write_file(a.figures .. "/convergence-" .. base, bytes)
    end
  end
end
