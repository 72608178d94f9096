-- ebm.model: discrete factor-graph models (layers of categorical nodes, unary biases,
-- sparse pairwise factors with tied or untied weight slots).
--
--   m = ebm.model{
--     layers  = { {name="v", n=9, levels=2, values={0,1}}, ... },
--     factors = { {name="pair", a="v", b="v", edges={{1,2,1}, {2,3,1}, ...},  -- i, j, slot
--                  nslots=1, coupling="ordinal"} },
--   }
--
-- Node ids in edges are 1-based within their layer (i in layer a, j in layer b); slots are
-- 1-based within the factor. Edges may also be given as i=, j=, slot= lists or i32 tensors.
-- Couplings (how a slot's K_a x K_b table T is filled from its parameters):
--   full     weight [nslots, K_a, K_b], T = weight[s]
--   potts    weight [nslots], T[a][b] = w * [a == b]
--   ordinal  weight [nslots], T[a][b] = w * v_a[a] * v_b[b] (level values, default 0..K-1)
--   spin     weight [nslots], T[a][b] = w * s(a) * s(b), s = -1, +1 (binary layers only)
-- Energy E(x) = -sum_i b_i[x_i] - sum_edges T_slot[x_i][x_j]; p(x) ~ exp(-beta E(x)).
-- Parameters (m:params()) are f32 tensors owned by the model: "bias.<layer>" [n, K] and
-- "weight.<factor>"; after changing them call m:materialise() to refresh the C tables.
--
-- Methods: params, nparams, set, randomise, materialise, energy, pseudo_loglik,
-- conditional, stats, param_stats, colouring, blocks, layer_nodes (and blocks_image on grids).
-- States are u8 tensors, [n, C] (chains innermost, the sampler's layout) or [C, ...] with n
-- values per row (data); a 2-d [n, n] batch is read as chains unless {layout="rows"}.
local core = require "ebm.core"
local base = require "ebm.base"

local Model = {}
Model.__index = Model

local M = {}

-- An i32 tensor from a Lua list or tensor (values converted, 1-based kept).
local function i32(v, what)
  if base.is_tensor(v) then return v:to("i32"):contiguous() end
  if type(v) ~= "table" then error(what .. ": expected a list or tensor", 3) end
  if #v == 0 then return base.zeros({0}, "i32") end
  return base.i32(v)
end

local function level_values(levels, values, what)
  values = values or {}
  local t = base.f32(levels)
  for k = 1, levels do
    local v = values[k]
    if v == nil then v = k - 1 end
    if type(v) ~= "number" then error(what .. ": level values must be numbers", 4) end
    t:set(k, v)
  end
  return t
end

-- The K_a x K_b pattern of a tied coupling kind.
local function pattern(kind, la, lb)
  local ka, kb = la.levels, lb.levels
  local p = base.f32(ka, kb)
  for a = 1, ka do
    for b = 1, kb do
      local v
      if kind == "potts" then v = (a == b) and 1 or 0
      elseif kind == "ordinal" then v = la.values:get(a) * lb.values:get(b)
      elseif kind == "spin" then v = (2 * a - 3) * (2 * b - 3)
      end
      p:set(a, b, v)
    end
  end
  return p
end

local KINDS = { full = true, potts = true, ordinal = true, spin = true }

-- ebm.model{layers=, factors=} -> model (see the header comment).
function M.new(spec)
  if type(spec) ~= "table" then error("ebm.model: expected a table {layers=, factors=}", 2) end
  if type(spec.layers) ~= "table" or #spec.layers == 0 then error("ebm.model: layers must be a non-empty list", 2) end
  local self = setmetatable({ spec = spec, layers = {}, layer = {}, factors = {}, factor = {} }, Model)
  local n = 0
  for li, L in ipairs(spec.layers) do
    local name = L.name or ("layer" .. li)
    local ln, K = L.n, L.levels or 2
    if math.type(ln) ~= "integer" or ln < 1 then error(("ebm.model: layer %s: n must be a positive integer"):format(name), 2) end
    if math.type(K) ~= "integer" or K < 2 or K > 256 then error(("ebm.model: layer %s: levels must be 2..256"):format(name), 2) end
    if self.layer[name] then error(("ebm.model: duplicate layer name %s"):format(name), 2) end
    local lay = { name = name, n = ln, levels = K, offset = n, index = li,
                  values = level_values(K, L.values, "ebm.model: layer " .. name) }
    self.layers[li], self.layer[name] = lay, lay
    n = n + ln
  end
  self.n = n
  -- factors: slots, edge tensors and layer offsets for the C constructor
  local ka, kb, specs = {}, {}, {}
  local nslots, nedges = 0, 0
  for fi, F in ipairs(spec.factors or {}) do
    local name = F.name or ("factor" .. fi)
    local la = self.layer[F.a or self.layers[1].name]
    local lb = self.layer[F.b or F.a or self.layers[1].name]
    if not la or not lb then error(("ebm.model: factor %s: unknown layer"):format(name), 2) end
    local kind = F.coupling or "full"
    if not KINDS[kind] then error(("ebm.model: factor %s: unknown coupling %q"):format(name, tostring(kind)), 2) end
    if kind == "spin" and (la.levels ~= 2 or lb.levels ~= 2) then
      error(("ebm.model: factor %s: spin coupling needs binary layers"):format(name), 2)
    end
    local ei, ej, es
    if F.edges then
      local a, b, sl = {}, {}, {}
      for k, e in ipairs(F.edges) do a[k], b[k], sl[k] = e[1], e[2], e[3] or 1 end
      ei, ej, es = i32(a, "factor " .. name .. ".edges"), i32(b, "factor " .. name .. ".edges"), i32(sl, "factor " .. name .. ".edges")
    else
      ei, ej = i32(F.i, "factor " .. name .. ".i"), i32(F.j, "factor " .. name .. ".j")
      es = F.slot and i32(F.slot, "factor " .. name .. ".slot") or base.ones({ ei:numel() }, "i32")
    end
    local ne = ei:numel()
    if ej:numel() ~= ne or es:numel() ~= ne then error(("ebm.model: factor %s: i, j, slot lengths differ"):format(name), 2) end
    local ns = F.nslots or (ne > 0 and math.max(1, math.tointeger(es:max())) or 1)
    local f = { name = name, a = la, b = lb, coupling = kind, nslots = ns, slot0 = nslots + 1,
                nedges = ne, index = fi }
    if kind ~= "full" then f.pattern = pattern(kind, la, lb) end
    self.factors[fi], self.factor[name] = f, f
    for sl = 1, ns do ka[nslots + sl], kb[nslots + sl] = la.levels, lb.levels end
    specs[#specs + 1] = { i = ei, j = ej, slot = es, a0 = la.offset, na = la.n, b0 = lb.offset, nb = lb.n,
                          s0 = nslots, ns = ns, name = name }
    nslots, nedges = nslots + ns, nedges + ne
  end
  self.nslots, self.nedges = nslots, nedges
  local K = base.i32(n)
  for _, lay in ipairs(self.layers) do K:narrow(1, lay.offset + 1, lay.n):fill(lay.levels) end
  local empty = base.zeros({ 0 }, "i32")
  local ok, g = pcall(core.graph_from_factors, K, nslots > 0 and base.i32(ka) or empty,
    nslots > 0 and base.i32(kb) or empty, specs)
  if not ok then error("ebm.model: " .. tostring(g):gsub("^.-graph_from_factors: ", ""), 2) end
  self.graph = g
  local boff, toff = g:offsets()
  self._boff, self._toff = boff, toff
  -- parameters
  self._params, self._order = {}, {}
  for _, lay in ipairs(self.layers) do
    local t = base.f32(lay.n, lay.levels)
    local name = "bias." .. lay.name
    self._params[name] = t
    self._order[#self._order + 1] = name
    lay.param = name
  end
  for _, f in ipairs(self.factors) do
    local t = f.coupling == "full" and base.f32(f.nslots, f.a.levels, f.b.levels) or base.f32(f.nslots)
    local name = "weight." .. f.name
    self._params[name] = t
    self._order[#self._order + 1] = name
    f.param = name
  end
  self:materialise()
  return self
end

-- m:params() -> table name -> f32 tensor (live: edit in place, then m:materialise()), and the
-- list of names in a fixed order.
function Model:params() return self._params, self._order end

-- m:nparams() -> number of free numbers in the parameter tensors (biases count all K levels
-- of each node: n*K per layer, although one level per node is redundant).
function Model:nparams()
  local k = 0
  for _, name in ipairs(self._order) do k = k + self._params[name]:numel() end
  return k
end

-- m:randomise(scale, rng) -> m: every parameter uniform on [-scale, scale) (default 0.1) from
-- the generator rng (an ebm.rng; default ebm.rng(0)), then materialise. For tests and
-- random initialisations.
function Model:randomise(scale, rng)
  scale = scale or 0.1
  rng = rng or base.rng(0)
  for _, name in ipairs(self._order) do self._params[name]:uniform(rng, -scale, scale) end
  return self:materialise()
end

-- m:set(name, values) -> m: copy a tensor or nested table into a parameter, then materialise.
function Model:set(name, v)
  local p = self._params[name]
  if not p then error("set: unknown parameter " .. tostring(name), 2) end
  if type(v) == "number" then p:fill(v)
  else p:copy(base.is_tensor(v) and v or base.f32(v)) end
  return self:materialise()
end

-- m:materialise() -> m: refresh the C-visible bias rows and coupling tables from params.
function Model:materialise()
  local g = self.graph
  local gb = g:bias()
  for _, lay in ipairs(self.layers) do
    local p = self._params[lay.param]
    local start = self._boff:get(lay.offset + 1)
    gb:narrow(1, start + 1, lay.n * lay.levels):copy(p)
  end
  for _, f in ipairs(self.factors) do
    local p = self._params[f.param]
    g:set_tables(f.slot0, p:contiguous(), f.pattern)  -- pattern is nil for full couplings
  end
  g:refresh()
  return self
end

-- Layout of a state batch: "chains" [n, C] or "rows" [C, n] / [C, h, w].
local function layout_of(self, states, opts)
  if opts and opts.layout then return opts.layout end
  if not base.is_tensor(states) then error("expected a u8 state tensor", 3) end
  if states:dim() == 2 and states:size(1) == self.n then return "chains" end
  return "rows"
end
M.layout_of = layout_of

-- m:energy(states[, {layout=}]) -> f64 [C]. States u8 [n, C] (chains) or [C, ...] (rows).
function Model:energy(states, opts)
  return core.energy(self.graph, states:contiguous(), layout_of(self, states, opts))
end

-- m:pseudo_loglik(states[, {beta=, layout=, mask=}]) -> f64 [C] of sum_i log p(x_i | rest).
function Model:pseudo_loglik(states, opts)
  opts = opts or {}
  return core.pseudo_loglik(self.graph, states:contiguous(), layout_of(self, states, opts), opts.beta or 1, opts.mask)
end

-- m:conditional(states, chain, node[, {beta=, layout=}]) -> f64 [K]: p(x_node | rest) of one state.
function Model:conditional(states, c, i, opts)
  opts = opts or {}
  return core.conditional(self.graph, states:contiguous(), layout_of(self, states, opts), c, i, opts.beta or 1)
end

-- m:stats(states[, {layout=}]) -> {hist = {layer -> f64 [n, K]}, cooc = {factor -> f64 [ns, Ka, Kb]},
-- count = C}: batch means of the one-hot levels and of the per-slot level co-occurrences
-- (summed over the slot's edges), the sufficient statistics of every parametrisation.
function Model:stats(states, opts)
  local lay = layout_of(self, states, opts)
  local C = lay == "chains" and states:size(2) or states:size(1)
  local h, t = core.suff_stats(self.graph, states:contiguous(), lay, 1 / C)
  local out = { hist = {}, cooc = {}, count = C, _flat_cooc = t }
  for _, l in ipairs(self.layers) do
    out.hist[l.name] = h:narrow(1, self._boff:get(l.offset + 1) + 1, l.n * l.levels):view(l.n, l.levels)
  end
  for _, f in ipairs(self.factors) do
    local s0 = self._toff:get(f.slot0)
    out.cooc[f.name] = t:narrow(1, s0 + 1, f.nslots * f.a.levels * f.b.levels):view(f.nslots, f.a.levels, f.b.levels)
  end
  return out
end

-- m:param_stats(states[, opts]) -> {name -> f32 tensor shaped like the parameter}: the batch
-- mean of d(-E)/d(theta) for every parameter, so that the log-likelihood gradient is
-- param_stats(data) - param_stats(model samples) (at beta = 1).
function Model:param_stats(states, opts)
  local st = self:stats(states, opts)
  local out = {}
  for _, l in ipairs(self.layers) do out[l.param] = st.hist[l.name]:to("f32") end
  for _, f in ipairs(self.factors) do
    if f.coupling == "full" then out[f.param] = st.cooc[f.name]:to("f32")
    else
      out[f.param] = core.stats_contract(self.graph, f.slot0, f.nslots, st._flat_cooc, f.pattern):to("f32")
    end
  end
  return out, st
end

-- m:colouring() -> list of blocks (i32 tensors of 1-based node ids), no two interacting
-- nodes in a block. Grids use closed forms; other graphs DSATUR. Cached.
function Model:colouring()
  if self._colouring then return self._colouring end
  local col, nc
  if self.colour_fn then col, nc = self:colour_fn() end
  if not col then col, nc = self.graph:dsatur() end
  local blocks = self.graph:blocks_from_colours(col, nc)
  local list = {}
  for k = 1, #blocks do list[k] = blocks:get(k) end
  self._colouring, self._cblocks = list, blocks
  return list
end

-- m:blocks([list]) -> checked C block set (ebm.Blocks) for the sampler: the colouring when
-- list is nil, else the given blocks (tensors or tables of 1-based node ids). A block with an
-- edge inside is refused: "block B contains interacting nodes I and J (edge E)".
function Model:blocks(list)
  if list == nil then self:colouring(); return self._cblocks end
  return self.graph:blocks(list)
end

-- m:layer_nodes(name) -> first, last: the 1-based global node range of a layer.
function Model:layer_nodes(name)
  local l = self.layer[name]
  if not l then error("layer_nodes: unknown layer " .. tostring(name), 2) end
  return l.offset + 1, l.offset + l.n
end

function Model:__tostring()
  return ("ebm.model: %d nodes in %d layer(s), %d edges, %d slots, %d parameters"):format(
    self.n, #self.layers, self.nedges, self.nslots, self:nparams())
end

M.Model = Model
return setmetatable(M, { __call = function(_, spec) return M.new(spec) end })
