-- ebm.trace: trace observers for ebm.schedule, recording one scalar per chain per sweep
-- (or per sample) for the diagnostics of ebm.diag.
--
--   local trace = require "ebm.sampling.trace"   -- or ebm.trace
--   local obs = {trace.energy(), trace.ink(), trace.magnetisation(),
--                trace.label{classifier = net}}
--   local out = ebm.schedule{warmup=100, samples=500, every=1, observers=obs}:run(s, x)
--   local e = out.observers.energy        -- {sweep = {...}, x = f64 [draws, chains]}
--   print(ebm.diag.summary(e.x).rhat)
--
-- Options shared by all: name, at = "sweeps" (default: every sweep, which makes the schedule
-- run one kernel call per sweep) or "samples" (only when the schedule takes a sample),
-- phase = "sampling" (default: skip warm-up sweeps) or "all".
--   trace.observer{value = function(info) return tensor [chains] end, ...}  -- any scalar
--   trace.energy{}                  E(x) of every chain (info.model:energy)
--   trace.ink{layer = "v"}          mean level of the layer's nodes scaled to [0, 1]
--                                   (level value / (K-1)); default the first layer
--   trace.magnetisation{layer=}     per node, the running mean level of each chain; result
--                                   {mean = f64 [n] over chains, between_sd = f64 [n] (sd of
--                                   the chains' time averages), max_sd, mean_sd, count}:
--                                   well-mixed chains agree, so between_sd -> 0
--   trace.label{classifier = net, layer=, every = 1}
--                                   the classifier's digit for each chain's image (the
--                                   layer's first 784 nodes, scaled by K-1); result adds
--                                   hops (per chain: label changes), hop_rate (changes per
--                                   chain per recorded draw), occupancy (fraction of draws
--                                   per digit 0..9)
local core = require "ebm.core"
local classifier = require "ebm.evaluation.classifier"

local M = {}

local function layer_of(model, name)
  local l = name and model.layer[name] or model.layers[1]
  if not l then error(("ebm.trace: no layer %q"):format(tostring(name)), 3) end
  return l
end

-- The nodes of layer l in chain states x [n, C]: a view [l.n, C].
local function layer_view(x, l) return x:narrow(1, l.offset + 1, l.n) end

function M.observer(o)
  o = o or {}
  if type(o.value) ~= "function" then error("ebm.trace.observer: value must be a function(info) -> tensor [chains]", 2) end
  local ob = { name = o.name or "trace", per_sweep = o.at ~= "samples", phase = o.phase or "sampling",
               sweep = {}, rows = {}, value = o.value }
  function ob:observe(info)
    if self.phase ~= "all" and info.phase ~= "sampling" then return end
    if not self.per_sweep and not info.sample then return end
    local k = #self.sweep + 1
    self.sweep[k] = info.sweep
    self.rows[k] = core.tensor_new("f64", info.chains:size(2)):copy(self.value(info, self))
  end
  function ob:result()
    local r = { sweep = self.sweep }
    if #self.rows > 0 then
      local x = core.tensor_new("f64", #self.rows, self.rows[1]:numel())
      for t, row in ipairs(self.rows) do x:select(1, t):copy(row) end
      r.x = x
    end
    return r
  end
  return ob
end

function M.energy(o)
  o = o or {}
  return M.observer{ name = o.name or "energy", at = o.at, phase = o.phase,
                     value = function(info) return info.model:energy(info.chains) end }
end

function M.ink(o)
  o = o or {}
  return M.observer{ name = o.name or "ink", at = o.at, phase = o.phase, value = function(info)
    local l = layer_of(info.model, o.layer)
    return layer_view(info.chains, l):to("f64"):mean(1):div(l.levels - 1)
  end }
end

function M.magnetisation(o)
  o = o or {}
  local ob = { name = o.name or "magnetisation", per_sweep = o.at ~= "samples", phase = o.phase or "sampling", count = 0 }
  function ob:observe(info)
    if self.phase ~= "all" and info.phase ~= "sampling" then return end
    if not self.per_sweep and not info.sample then return end
    local l = layer_of(info.model, o.layer)
    local v = layer_view(info.chains, l):to("f64")
    if not self.sum then self.sum = v else self.sum:add(v) end
    self.count, self.levels = self.count + 1, l.levels
  end
  function ob:result()
    if self.count == 0 then return { count = 0 } end
    local avg = self.sum:clone():div(self.count * (self.levels - 1)) -- [n, C] time averages
    local C = avg:size(2)
    local mean = avg:mean(2)
    local dev = avg:clone():sub(mean:view(mean:numel(), 1))
    local sd = dev:square():sum(2):div(math.max(C - 1, 1)):sqrt():view(mean:numel())
    return { count = self.count, mean = mean:view(mean:numel()), between_sd = sd, max_sd = sd:max(), mean_sd = sd:mean() }
  end
  return ob
end

function M.label(o)
  o = o or {}
  if type(o.classifier) ~= "table" or not o.classifier.predict then
    error("ebm.trace.label: expected {classifier = <ebm.classifier net>}", 2)
  end
  local net = o.classifier
  local ob = M.observer{ name = o.name or "label", at = o.at, phase = o.phase, value = function(info)
    local l = layer_of(info.model, o.layer)
    local img = layer_view(info.chains, l):narrow(1, 1, 784):t():contiguous()
    return net:predict(classifier.inputs(img, l.levels - 1))
  end }
  local base_result = ob.result
  function ob:result()
    local r = base_result(self)
    if not r.x then return r end
    local x = r.x
    local n, C = x:size(1), x:size(2)
    local hops, occ, total = {}, {}, 0
    for d = 0, 9 do occ[d] = 0 end
    local lab = x:totable()
    for c = 1, C do
      local h = 0
      for t = 1, n do
        local y = math.tointeger(lab[t][c])
        occ[y] = occ[y] + 1
        if t > 1 and lab[t][c] ~= lab[t - 1][c] then h = h + 1 end
      end
      hops[c], total = h, total + h
    end
    for d = 0, 9 do occ[d] = occ[d] / (n * C) end
    r.hops, r.occupancy = hops, occ
    r.hop_rate = n > 1 and total / (C * (n - 1)) or 0
    return r
  end
  return ob
end

return M
