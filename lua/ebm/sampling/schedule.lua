-- ebm.schedule: sampling schedules in Lua (THRML's SamplingSchedule, plus beta ramps, block
-- orders and observers).
--
--   sched = ebm.schedule{warmup=100, samples=10, every=5,
--                        beta=1 | function(sweep, total) return ... end,
--                        order=nil | "random" | {2, 1} | function(sweep, sampler) return {...} end,
--                        clamp=mask, observers={ebm.schedule.energy_trace(), ebm.schedule.moments()},
--                        keep=true}
--   out = sched:run(sampler, chains)
--   out.samples   list of u8 [n, C] copies of the chains, taken after warm-up every `every`
--                 sweeps (samples of them; keep=false keeps none, for observers only)
--   out.observers name -> observer result;  out.sweeps total sweeps;  out.chains = chains
--
-- sweep counts from 1 to total = warmup + samples*every. The chains are updated in place
-- (persistent chains: pass them to the next run). Observers are tables with
-- observe(self, info) called after each sweep (info: sweep, total, beta, phase = "warmup" |
-- "sampling", sample = index when a sample was taken this sweep, chains, sampler, model)
-- and result(self). When beta is a number, order is not a function and no observer has
-- per_sweep = true, sweeps are batched into one kernel call per sample (no Lua per sweep).
local base = require "ebm.base"

local Schedule = {}
Schedule.__index = Schedule

local M = {}

local function check_count(v, name, def)
  v = v == nil and def or v
  if math.type(v) ~= "integer" or v < 0 then error(("ebm.schedule: %s must be an integer >= 0"):format(name), 3) end
  return v
end

function M.new(o)
  o = o or {}
  if type(o) ~= "table" then error("ebm.schedule: expected an options table", 2) end
  local s = setmetatable({}, Schedule)
  s.warmup = check_count(o.warmup, "warmup", 0)
  s.samples = check_count(o.samples, "samples", 1)
  s.every = check_count(o.every, "every", 1)
  if s.every < 1 then error("ebm.schedule: every must be >= 1", 2) end
  s.beta = o.beta == nil and 1 or o.beta
  if type(s.beta) ~= "number" and type(s.beta) ~= "function" then error("ebm.schedule: beta must be a number or function", 2) end
  s.order, s.clamp, s.observers = o.order, o.clamp, o.observers or {}
  s.keep = o.keep ~= false
  return s
end

-- Total number of sweeps.
function Schedule:total() return self.warmup + self.samples * self.every end

function Schedule:run(sampler, chains)
  if type(sampler) ~= "table" or not sampler.sweep then error("schedule:run: expected a sampler", 2) end
  if not base.is_tensor(chains) then error("schedule:run: expected chains (u8 [n, C])", 2) end
  local total = self:total()
  local out = { samples = {}, observers = {}, sweeps = total, chains = chains }
  local per_sweep = type(self.beta) == "function" or type(self.order) == "function"
  for _, ob in ipairs(self.observers) do if ob.per_sweep then per_sweep = true end end
  local info = { total = total, chains = chains, sampler = sampler, model = sampler.model }
  local opts = { clamp = self.clamp }
  local function observe(sweep, beta, phase, sample)
    info.sweep, info.beta, info.phase, info.sample = sweep, beta, phase, sample
    for _, ob in ipairs(self.observers) do ob:observe(info) end
  end
  local function take(k)
    if self.keep then out.samples[k] = chains:clone() end
  end
  if per_sweep then
    local k = 0
    for sweep = 1, total do
      local beta = type(self.beta) == "function" and self.beta(sweep, total) or self.beta
      local order = self.order
      if type(order) == "function" then order = order(sweep, sampler) end
      opts.n, opts.beta, opts.order = 1, beta, order
      sampler:sweep(chains, opts)
      local sample
      if sweep > self.warmup and (sweep - self.warmup) % self.every == 0 then
        k = k + 1; sample = k; take(k)
      end
      observe(sweep, beta, sweep <= self.warmup and "warmup" or "sampling", sample)
    end
  else
    opts.beta, opts.order = self.beta, self.order
    if self.warmup > 0 then
      opts.n = self.warmup
      sampler:sweep(chains, opts)
      observe(self.warmup, self.beta, "warmup", nil)
    end
    opts.n = self.every
    for k = 1, self.samples do
      sampler:sweep(chains, opts)
      take(k)
      observe(self.warmup + k * self.every, self.beta, "sampling", k)
    end
  end
  for i, ob in ipairs(self.observers) do out.observers[ob.name or ("observer" .. i)] = ob:result() end
  return out
end

-- Observer: mean (and min, max) energy over the chains after every sweep (per_sweep), or only
-- at sample times with {at="samples"}. result(): {sweep={...}, mean={...}, min={...}, max={...}}.
function M.energy_trace(o)
  o = o or {}
  local ob = { name = o.name or "energy", per_sweep = o.at ~= "samples", sweep = {}, mean = {}, min = {}, max = {} }
  function ob:observe(info)
    if not self.per_sweep and not info.sample then return end
    local e = info.model:energy(info.chains)
    local k = #self.sweep + 1
    self.sweep[k], self.mean[k], self.min[k], self.max[k] = info.sweep, e:mean(), e:min(), e:max()
  end
  function ob:result() return { sweep = self.sweep, mean = self.mean, min = self.min, max = self.max } end
  return ob
end

-- Observer: moment accumulator. Averages the model's sufficient statistics (per-node level
-- frequencies per layer, and per-factor co-occurrences) over the collected samples (or over
-- every sampling-phase sweep with {at="sweeps"}). result(): {hist={layer -> f64 [n, K]},
-- cooc={factor -> f64 [ns, Ka, Kb]}, mean={layer -> f64 [n]} (mean level value), count=}.
function M.moments(o)
  o = o or {}
  local ob = { name = o.name or "moments", per_sweep = o.at == "sweeps", count = 0 }
  function ob:observe(info)
    if info.phase ~= "sampling" or (not self.per_sweep and not info.sample) then return end
    local st = info.model:stats(info.chains)
    if not self.hist then
      self.hist, self.cooc = {}, {}
      for name, h in pairs(st.hist) do self.hist[name] = h:clone() end
      for name, c in pairs(st.cooc) do self.cooc[name] = c:clone() end
    else
      for name, h in pairs(st.hist) do self.hist[name]:add(h) end
      for name, c in pairs(st.cooc) do self.cooc[name]:add(c) end
    end
    self.count = self.count + 1
    self.model = info.model
  end
  function ob:result()
    if self.count == 0 then return { count = 0, hist = {}, cooc = {}, mean = {} } end
    local r = { count = self.count, hist = {}, cooc = {}, mean = {} }
    for name, h in pairs(self.hist) do r.hist[name] = h:clone():div(self.count) end
    for name, c in pairs(self.cooc) do r.cooc[name] = c:clone():div(self.count) end
    for _, l in ipairs(self.model.layers) do
      local v = l.values:to("f64"):view(l.levels, 1)
      r.mean[l.name] = r.hist[l.name]:matmul(v):view(l.n)
    end
    return r
  end
  return ob
end

M.Schedule = Schedule
return setmetatable(M, { __call = function(_, o) return M.new(o) end })
