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
local argparse = require "argparse"
local ebm = require "ebm"

local function die(msg)
  io.stderr:write("schedule_random_order.lua: ", msg, "\n")
  os.exit(2)
end

local p = argparse("schedule_random_order.lua", "Block orders as Lua functions in an ebm.schedule.")
p:option("--size", "Grid side.", "12"):convert(tonumber)
p:option("--levels", "Levels per pixel (2..16).", "3"):convert(tonumber)
p:option("--weight", "Ordinal coupling of every direction.", "0.25"):convert(tonumber)
p:option("--chains", "Chains.", "256"):convert(tonumber)
p:option("--samples", "Samples per chain.", "50"):convert(tonumber)
p:option("--seed", "Seed.", "1"):convert(tonumber)
local okp, a = p:pparse()
if not okp then die(a) end
local function int(v, name, lo, hi)
  if not v or v ~= math.floor(v) or v < lo or v > hi then die(("%s must be an integer in %d..%d"):format(name, lo, hi)) end
  return math.tointeger(v)
end
local size, K = int(a.size, "--size", 2, 256), int(a.levels, "--levels", 2, 16)
local C, S, seed = int(a.chains, "--chains", 1, 65536), int(a.samples, "--samples", 1, 1e6), int(a.seed, "--seed", 0, 2 ^ 53)
if not a.weight then die("--weight must be a number") end

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
  for k = 1, #en.mean do e = e + en.mean[k] end
  e = e / #en.mean / m.n
  results[#results + 1] = ml
  print(("%-18s %12.5f %12.5f %10.2f"):format(o[1], ml, e, ebm.sys.clock() - t0))
end
-- the spread expected from sampling alone: chains are independent, samples within a chain
-- are correlated, so use the chain count as a conservative number of independent samples
local se = math.sqrt((K * K - 1) / 12 / (C * m.n))
print(("mean levels differ by at most %.5f; a few times %.5f (the standard error from %d chains x %d pixels, ignoring correlation) is expected")
  :format(math.max(math.abs(results[1] - results[2]), math.abs(results[1] - results[3]), math.abs(results[2] - results[3])), se, C, m.n))
