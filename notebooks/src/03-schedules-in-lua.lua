-- %% [markdown]
-- # Sampling schedules written in Lua
--
-- A schedule says how chains are run: how long to warm up, when to take samples, the
-- inverse temperature of each sweep, the order of the blocks, and what to record along the
-- way. In ebmlua each of these can be a Lua function handed to `ebm.schedule`; the kernels
-- stay in C. This notebook shows three: an annealing ramp, random block orders, and an
-- observer of its own.

-- %% [markdown]
-- ## A model: a Potts glass
-- A 28x28 Potts model with 4 levels and a coupling of random sign on every edge (frustrated:
-- no state satisfies every edge, so plain sampling at low temperature gets stuck).

-- %%
m = ebm.grid{height = 28, width = 28, levels = 4, coupling = "potts", tie = "edge"}
local w = m:params()["weight.pair"]
local r = ebm.rng(3)
for k = 1, w:numel() do w:set(k, r:uniform() < 0.5 and -1 or 1) end
m:materialise()
m

-- %% [markdown]
-- ## Annealing: beta as a function of the sweep
-- Quenched at beta = 2 from a uniform start, against a geometric ramp from 0.2 to 2 over
-- the first 60% of the sweeps. The ramp is a plain Lua function of (sweep, total). Whether
-- the ramp pays depends on the model and the budget of sweeps; the printed final energies
-- say how it went here (with 300 sweeps on this glass: about the same).

-- %%
beta_min, beta_max, sweeps = 0.2, 2.0, 300
function ramp(sweep, total)
  return beta_min * (beta_max / beta_min) ^ math.min(1, (sweep - 1) / (0.6 * total))
end

function run(beta, seed)
  local s = ebm.sampler{model = m, seed = seed or 1}
  local x = s:chains(32)
  local out = ebm.schedule{warmup = sweeps - 1, samples = 1, every = 1, beta = beta,
                           observers = {ebm.schedule.energy_trace()}}:run(s, x)
  return out.observers.energy, x
end

quench, xq = run(beta_max)
anneal, xa = run(ramp)
string.format("final mean energy per pixel: quench %.4f, anneal %.4f (lower is better)",
              quench.mean[sweeps] / m.n, anneal.mean[sweeps] / m.n)

-- %%
ebm.plot.lines{path = ebm.display.figure("anneal"), title = "Potts glass: quench vs annealing",
               xlabel = "sweep", ylabel = "mean energy", width = 640, height = 320,
               series = {{name = "quench, beta = 2", y = quench.mean}, {name = "annealed", y = anneal.mean}}}

-- %% [markdown]
-- Final states of 8 annealed chains (levels as grey values):

-- %%
ebm.display(xa:narrow(2, 1, 8):t():contiguous():view(8, 28, 28), {nrow = 8, scale = 3, levels = 4})

-- %% [markdown]
-- ## Block orders
-- A 4-neighbour grid has two blocks (the checkerboard colours). The order can be fixed, the
-- built-in `"random"` (a fresh permutation per sweep, drawn in C), or a Lua function
-- returning the order of each sweep. All leave the same distribution invariant, so the
-- moments they estimate must agree within sampling error.

-- %%
g = ebm.grid{height = 12, width = 12, levels = 3, stencil = "8", coupling = "ordinal", tie = "direction"}
g:params()["weight.pair"]:fill(0.1)
g:materialise()
nblocks = #ebm.sampler{model = g}.blocks

local lr = ebm.rng(11)
function shuffled(sweep, sampler)   -- Fisher-Yates with a Lua-side generator; odd sweeps reversed
  local o = {}
  for i = 1, nblocks do o[i] = i end
  for i = nblocks, 2, -1 do
    local j = lr:uniform(i)
    o[i], o[j] = o[j], o[i]
  end
  if sweep % 2 == 1 then
    for i = 1, nblocks // 2 do o[i], o[nblocks + 1 - i] = o[nblocks + 1 - i], o[i] end
  end
  return o
end

-- per-chain mean level of one node over the samples: the chains are independent, so the
-- spread of these means over the chains gives the standard error of their average
function node_means(node)
  local ob = {name = "node", count = 0}
  function ob:observe(info)
    if info.phase ~= "sampling" or not info.sample then return end
    local row = info.chains:select(1, node):to("f64")
    if self.sum then self.sum:add(row) else self.sum = row:clone() end
    self.count = self.count + 1
  end
  function ob:result() return self.sum:div(self.count) end
  return ob
end

local node = 5 * 12 + 6   -- pixel (6,6)
rows = {}
for _, case in ipairs{{"fixed", nil}, {"random", "random"}, {"Lua function", shuffled}} do
  local s = ebm.sampler{model = g, seed = 5}
  local x = s:chains(256)
  local out = ebm.schedule{warmup = 50, samples = 40, every = 2, order = case[2], keep = false,
                           observers = {ebm.schedule.moments(), node_means(node)}}:run(s, x)
  local mean = out.observers.moments.mean[g.layers[1].name]
  local per_chain = out.observers.node
  local m = per_chain:mean()
  local se = math.sqrt(ebm.square(ebm.sub(per_chain, m)):sum() / (per_chain:numel() - 1) / per_chain:numel())
  rows[#rows + 1] = {order = case[1], ["mean level"] = string.format("%.4f", mean:mean()),
                     ["pixel (1,1)"] = string.format("%.4f", mean:get(1)),
                     ["pixel (6,6)"] = string.format("%.4f", mean:get(node)),
                     ["s.e. (6,6)"] = string.format("%.4f", se)}
end
ebm.display(rows, {columns = {"order", "mean level", "pixel (1,1)", "pixel (6,6)", "s.e. (6,6)"}})

-- %% [markdown]
-- The last column is the standard error of the pixel (6,6) estimate (256 independent
-- chains, 40 correlated samples each); the rows agree when they differ by no more than a
-- few of those.

-- %% [markdown]
-- ## An observer of one's own
-- An observer is a table with `observe(self, info)` (called after each sweep) and
-- `result(self)`. This one records the fraction of pixels each sweep changes, a cheap view of
-- how fast the chains move, during an annealing run of the glass.

-- %%
function flip_rate()
  local ob = {name = "flips", per_sweep = true, rate = {}}
  function ob:observe(info)
    local now = info.chains:clone()
    if self.last then
      local changed = ebm.sub(now:to("f32"), self.last:to("f32")):abs():clamp(0, 1):mean()
      self.rate[#self.rate + 1] = changed
    end
    self.last = now
  end
  function ob:result() return self.rate end
  return ob
end

local s = ebm.sampler{model = m, seed = 2}
local x = s:chains(32)
out = ebm.schedule{warmup = sweeps - 1, samples = 1, beta = ramp, observers = {flip_rate()}}:run(s, x)
ebm.plot.lines{path = ebm.display.figure("flips"), title = "fraction of pixels changed per sweep (annealing)",
               xlabel = "sweep", ylabel = "fraction", logy = true, width = 640, height = 320,
               series = {{name = "flips", y = out.observers.flips}}}
