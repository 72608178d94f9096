-- schedule_anneal.lua - writing a schedule in Lua: simulated annealing with a beta ramp.
--
-- A 28x28 Potts model (K levels, coupling w on every edge; --glass: a random sign per edge)
-- is sampled twice from the same uniform start: quenched at beta_max, and annealed with
-- beta(sweep) ramping geometrically from beta_min to beta_max over 60% of the sweeps. The
-- ramp is one Lua function handed to ebm.schedule; the energy trace is the built-in observer.
-- Prints the traces and writes a plot and the final samples.
--
--   ebmlua scripts/schedule_anneal.lua                  # out/schedule_anneal/*.png
--   ebmlua scripts/schedule_anneal.lua --sweeps 2000 --chains 64 --levels 2
local ebm = require "ebm"
local cli = ebm.cli

local p = cli.parser("schedule_anneal.lua", "Simulated annealing as an ebm.schedule with a beta ramp.")
p:option("--size", "Grid side.", "28"):convert(cli.int(2, 512))
p:option("--levels", "Levels per pixel (2..16).", "4"):convert(cli.int(2, 16))
p:option("--weight", "Coupling w of every edge.", "1"):convert(cli.number { above = 0 })
p:flag("--glass", "Random signs: each edge gets +w or -w (a frustrated Potts glass).")
p:option("--sweeps", "Sweeps per run.", "300"):convert(cli.int(1, 10000000))
p:option("--chains", "Chains per run.", "32"):convert(cli.int(1, 65536))
p:option("--beta-min", "Start of the ramp.", "0.2"):convert(cli.number { above = 0 })
p:option("--beta-max", "End of the ramp (and the quench temperature).", "2"):convert(cli.number { above = 0 })
p:option("--seed", "Seed.", "1"):convert(cli.int(0, 1 << 53))
p:option("--out", "Output folder.", "out/schedule_anneal"):convert(cli.outdir)
local a = cli.parse(p)
local size, K, sweeps, C, seed = a.size, a.levels, a.sweeps, a.chains, a.seed
if a.beta_max < a.beta_min then cli.main(cli.usage, "--beta-min must be <= --beta-max") end
cli.main(cli.fits, 2 * size * size * C, "--chains " .. C .. " --size " .. size)

cli.main(function()
  -- the model: Potts couplings, one slot per edge
  local m = ebm.grid{ height = size, width = size, levels = K, coupling = "potts", tie = "edge" }
  local w = m:params()["weight.pair"]
  local rng = ebm.rng(seed)
  for k = 1, w:numel() do w:set(k, (a.glass and rng:uniform() < 0.5) and -a.weight or a.weight) end
  m:materialise()
  print(tostring(m))

  -- the annealing ramp: geometric from beta_min to beta_max over the first 60% of the run,
  -- then held at beta_max
  local ratio = a.beta_max / a.beta_min
  local function ramp(sweep, total)
    return a.beta_min * ratio ^ math.min(1, (sweep - 1) / math.max(1, 0.6 * total))
  end

  local function run(beta)
    local s = ebm.sampler{ model = m, seed = seed }
    local x = s:chains(C)
    local t0 = ebm.sys.clock()
    local out = ebm.schedule{ warmup = sweeps - 1, samples = 1, every = 1, beta = beta,
                              observers = { ebm.schedule.energy_trace() } }:run(s, x)
    return out, (ebm.sys.clock()) - t0
  end
  local quench, tq = run(a.beta_max)
  local anneal, ta = run(ramp)

  local eq, ea = quench.observers.energy, anneal.observers.energy
  print(("%8s %12s %12s %10s"):format("sweep", "E quench", "E anneal", "beta"))
  local step = math.max(1, sweeps // 10)
  for k = step, sweeps, step do
    print(("%8d %12.2f %12.2f %10.4f"):format(k, eq.mean[k], ea.mean[k], ramp(k, sweeps)))
  end
  local n = m.n
  print(("final mean energy per pixel: quench %.4f, anneal %.4f (lower is better); %.2f s / %.2f s")
    :format(eq.mean[sweeps] / n, ea.mean[sweeps] / n, tq, ta))

  ebm.run.mkdirs(a.out)
  if ebm.plot.available() then
    ebm.plot.lines{ path = a.out .. "/energy.png", title = (a.glass and "Potts glass" or "Potts model") .. ": quench vs annealing", xlabel = "sweep",
                    ylabel = "mean energy", series = { { name = "quench beta=" .. a.beta_max, y = eq.mean },
                                                        { name = "anneal", y = ea.mean } } }
    print("wrote " .. a.out .. "/energy.png")
  end
  local imgs = anneal.samples[1]:t():contiguous():view(C, size, size)
  ebm.viz.grid(imgs, { nrow = 8, scale = 3, levels = K, path = a.out .. "/annealed.png" })
  print("wrote " .. a.out .. "/annealed.png")
end)
