-- sampler_schedule.lua - ebm.schedule: sample counts, beta ramps and block orders as Lua
-- functions, observers (energy trace, moments against exact marginals), persistent chains.
local t = require "tap"
local ebm = require "ebm"
t.seed(8)

local m = ebm.grid{ height = 2, width = 3, levels = 3, coupling = "potts" }
m:set("weight.pair", { 0.6, -0.4 })
local b = m:params()["bias.x"]
b:set(1, 2, 0.8); b:set(4, 3, -0.5); b:set(6, 1, 0.3)
m:materialise()

-- counts and calls
local s = ebm.sampler{ model = m, seed = 3 }
local x = s:chains(64)
local step0 = s.step
local betas, orders = {}, 0
local out = ebm.schedule{ warmup = 7, samples = 4, every = 3,
  beta = function(sweep, total) betas[#betas + 1] = sweep; return 0.5 + 0.5 * sweep / total end,
  order = function(sweep) orders = orders + 1; return sweep % 2 == 0 and { 2, 1 } or { 1, 2 } end,
  observers = { ebm.schedule.energy_trace() } }:run(s, x)
t.is(out.sweeps, 19, "total sweeps = warmup + samples * every")
t.is(#out.samples, 4, "4 samples collected")
t.is(#betas, 19, "beta function called once per sweep")
t.is(orders, 19, "order function called once per sweep")
t.is(#out.observers.energy.mean, 19, "energy traced every sweep")
t.is(s.step - step0, 19, "the sampler's step advanced by one per sweep")
t.ok(out.samples[1] ~= out.chains and out.chains == x, "samples are copies; out.chains are the persistent chains")
local e = m:energy(out.samples[4])
t.near(e:mean(), out.observers.energy.mean[19], 1e-9, "last energy trace entry = mean energy of the last sample")

-- batched path (no per-sweep Lua): same result as the per-sweep path with the same seed
local s1, s2 = ebm.sampler{ model = m, seed = 9 }, ebm.sampler{ model = m, seed = 9 }
local x1, x2 = s1:chains(32), s2:chains(32)
ebm.schedule{ warmup = 5, samples = 2, every = 2 }:run(s1, x1)
ebm.schedule{ warmup = 5, samples = 2, every = 2, beta = function() return 1 end }:run(s2, x2)
local same = true
for i = 1, m.n do for c = 1, 32 do if x1:get(i, c) ~= x2:get(i, c) then same = false end end end
t.ok(same, "batched sweeps and per-sweep calls give identical chains")

-- moments against exact marginals: C independent chains, one sample each after warm-up
local C = 20000
local sm = ebm.sampler{ model = m, seed = 4 }
local xm = sm:chains(C)
local r = ebm.schedule{ warmup = 30, samples = 1, every = 1, keep = false, observers = { ebm.schedule.moments() } }:run(sm, xm)
local ex = ebm.exact(m)
local h, pe = r.observers.moments.hist.x, ex.marginals.x
local worst = 0
for i = 1, m.n do for k = 1, 3 do
  local p = pe:get(i, k)
  worst = math.max(worst, math.abs(h:get(i, k) - p) / math.sqrt(p * (1 - p) / C))
end end
t.cmp_ok(worst, "<", 5, "moments observer: marginals within 5 standard errors of exact")
t.is(#r.samples, 0, "keep=false keeps no samples")
local mean1 = 0
for k = 1, 3 do mean1 = mean1 + (k - 1) * h:get(1, k) end
t.near(r.observers.moments.mean.x:get(1), mean1, 1e-12, "moments.mean is the mean level value")

-- errors
t.error_like(function() ebm.schedule{ every = 0 } end, "every", "every = 0 refused")
t.error_like(function() ebm.schedule{ warmup = -1 } end, "warmup", "negative warmup refused")
t.error_like(function() ebm.schedule{ beta = "hot" } end, "beta", "non-numeric beta refused")
t.error_like(function() ebm.schedule{}:run({}, x) end, "sampler", "run without a sampler refused")
t.done_testing()
