-- schedule_random_order.lua - writing a schedule in Lua: custom block orders.
--
-- An 8-neighbour grid (4 colour blocks) is sampled with three block orders: the fixed
-- colouring order, the built-in order="random" (a fresh permutation per sweep, drawn in C
-- from the sampler's seed), and a Lua function returning the order of each sweep (here: a
-- Fisher-Yates shuffle with a Lua-side generator, plus every other sweep run backwards).
-- All three leave the same distribution invariant: the printed moments agree within the
-- sampling error, which the script states.
--
--   ebmlua scripts/schedule_random_order.lua
--   ebmlua scripts/schedule_random_order.lua --size 16 --levels 2 --chains 512
local ebm = require "ebm"
local cli = ebm.cli

local p = cli.parser("schedule_random_order.lua", "Block orders as Lua functions in an ebm.schedule.")
p:option("--size", "Grid side.", "12"):convert(cli.int(2, 256))
p:option("--levels", "Levels per pixel.", "3"):convert(cli.int(2, 16))
p:option("--chains", "Chains.", "256"):convert(cli.int(1, 65536))
p:option("--samples", "Samples per chain.", "50"):convert(cli.int(1, 1000000))
p:option("--seed", "Seed.", "1"):convert(cli.int(0, 1 << 53))
p:option("--weight", "Ordinal coupling of every direction.", "0.25"):convert(cli.number())
local a = cli.parse(p)
cli.main(function()
  local size, K, C, S, seed = a.size, a.levels, a.chains, a.samples, a.seed

  local m = ebm.grid{ height = size, width = size, levels = K, stencil = "8", coupling = "ordinal" }
  m:set("weight.pair", { a.weight, a.weight, a.weight / 2, a.weight / 2 })
  local bias = m:params()["bias.x"]
  for i = 1, m.n do bias:set(i, 1, 0.3) end  -- a mild preference for level 0
  m:materialise()
  print(tostring(m) .. (", %d colour blocks"):format(#m:colouring()))

  -- a block order written in Lua: shuffled with a Lua-side generator, reversed on even sweeps
  local lrng = ebm.rng(seed + 1000)
  local function shuffled(sweep, sampler)
    local ord = {}
    for k = 1, sampler.nblocks do ord[k] = k end
    for k = #ord, 2, -1 do
      local j = lrng:uniform(k)
      ord[k], ord[j] = ord[j], ord[k]
    end
    if sweep % 2 == 0 then
      for k = 1, #ord // 2 do ord[k], ord[#ord + 1 - k] = ord[#ord + 1 - k], ord[k] end
    end
    return ord
  end

  local orders = { { "colouring order", nil }, { "order=\"random\"", "random" }, { "Lua function", shuffled } }
  print(("%-18s %12s %12s %10s"):format("order", "mean level", "E/pixel", "seconds"))
  local results = {}
  for k, o in ipairs(orders) do
    -- a different seed per run: with one seed the runs share every random number and their
    -- chains nearly coalesce, which would hide the sampling error
    local s = ebm.sampler{ model = m, seed = seed + k }
    local x = s:chains(C)
    local t0 = ebm.sys.clock()
    local out = ebm.schedule{ warmup = 100, samples = S, every = 2, order = o[2], keep = false,
                              observers = { ebm.schedule.moments(), ebm.schedule.energy_trace{ at = "samples" } } }:run(s, x)
    local mom, en = out.observers.moments, out.observers.energy
    local ml = mom.mean.x:mean()
    local e = 0
    for i = 1, #en.mean do e = e + en.mean[i] end
    e = e / #en.mean / m.n
    results[#results + 1] = ml
    print(("%-18s %12.5f %12.5f %10.2f"):format(o[1], ml, e, ebm.sys.clock() - t0))
  end
  -- the spread expected from sampling alone: chains are independent, samples within a chain
  -- are correlated, so use the chain count as a conservative number of independent samples
  local se = math.sqrt((K * K - 1) / 12 / (C * m.n))
  print(("mean levels differ by at most %.5f; a few times %.5f (the standard error from %d chains x %d pixels, ignoring correlation) is expected")
    :format(math.max(math.abs(results[1] - results[2]), math.abs(results[1] - results[3]), math.abs(results[2] - results[3])), se, C, m.n))
end)
