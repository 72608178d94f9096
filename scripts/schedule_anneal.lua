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
local argparse = require "argparse"
local lfs = require "lfs"
local ebm = require "ebm"

local die = ebm.sys.usage_exit("schedule_anneal.lua")

local p = argparse("schedule_anneal.lua", "Simulated annealing as an ebm.schedule with a beta ramp.")
p:option("--size", "Grid side.", "28"):convert(tonumber)
p:option("--levels", "Levels per pixel (2..16).", "4"):convert(tonumber)
p:option("--weight", "Coupling w of every edge.", "1"):convert(tonumber)
p:flag("--glass", "Random signs: each edge gets +w or -w (a frustrated Potts glass).")
p:option("--sweeps", "Sweeps per run.", "300"):convert(tonumber)
p:option("--chains", "Chains per run.", "32"):convert(tonumber)
p:option("--beta-min", "Start of the ramp.", "0.2"):convert(tonumber)
p:option("--beta-max", "End of the ramp (and the quench temperature).", "2"):convert(tonumber)
p:option("--seed", "Seed.", "1"):convert(tonumber)
p:option("--out", "Output folder.", "out/schedule_anneal")
local okp, a = p:pparse()
if not okp then die(a) end
local function int(v, name, lo, hi)
  if not v or v ~= math.floor(v) or v < lo or v > hi then die(("%s must be an integer in %d..%d"):format(name, lo, hi)) end
  return math.tointeger(v)
end
local size, K = int(a.size, "--size", 2, 512), int(a.levels, "--levels", 2, 16)
local sweeps, C = int(a.sweeps, "--sweeps", 1, 1e7), int(a.chains, "--chains", 1, 65536)
local seed = int(a.seed, "--seed", 0, 2 ^ 53)
if not (a.beta_min and a.beta_max and a.beta_min > 0 and a.beta_max >= a.beta_min) then die("need 0 < --beta-min <= --beta-max") end
if not a.weight or a.weight <= 0 then die("--weight must be > 0") end

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

lfs.mkdir("out")
lfs.mkdir(a.out)
if ebm.plot.available() then
  ebm.plot.lines{ path = a.out .. "/energy.png", title = (a.glass and "Potts glass" or "Potts model") .. ": quench vs annealing", xlabel = "sweep",
                  ylabel = "mean energy", series = { { name = "quench beta=" .. a.beta_max, y = eq.mean },
                                                      { name = "anneal", y = ea.mean } } }
  print("wrote " .. a.out .. "/energy.png")
end
local imgs = anneal.samples[1]:t():contiguous():view(C, size, size)
ebm.viz.grid(imgs, { nrow = 8, scale = 3, levels = K, path = a.out .. "/annealed.png" })
print("wrote " .. a.out .. "/annealed.png")
