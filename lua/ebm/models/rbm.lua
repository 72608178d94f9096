-- ebm.rbm: restricted Boltzmann machines with binary or K-level visible units, binary
-- hidden units and an optional softmax label group (class-conditional, Hinton 2006).
--
--   local m = ebm.rbm.new{nv = 784, K = 2, nh = 500, nl = 10, seed = 1}
--   local x = m:encode(images_u8, labels)      -- f32 [n, D] one-hot rows
--   m:init_biases(x)                           -- visible biases = base-rate log-odds
--   m:cd_step(x:narrow(1, 1, 100), {k = 1, lr = 0.05, momentum = 0.9, weight_decay = 2e-4})
--   local s = m:sample(100, {steps = 1000, label = 3})  -- f32 [100, D]
--   local img = m:images(s)                    -- u8 [100, 28, 28] (expected level, 0..255)
--
-- Kernels are in runtime/rbm.c (see rbm.h for the visible encoding and the RNG layout).

local core = require "ebm.core"
local optim = require "ebm.training.optim"
local tempering = require "ebm.sampling.tempering"
local tensor_io = require "ebm.io.io"

local M = {}
local Rbm = {}
Rbm.__index = Rbm
M.Rbm = Rbm

local function f32(...) return core.tensor_new("f32", ...) end

-- ebm.rbm.new{nv=, K=2, nl=0, nh=, seed=1, init_sd=0.01, side=28} -> model.
-- W ~ N(0, init_sd^2), biases zero.
function M.new(cfg)
  assert(type(cfg) == "table", "rbm.new: expected a config table")
  local nv, K, nl, nh = cfg.nv or 784, cfg.K or 2, cfg.nl or 0, cfg.nh or cfg.hidden
  assert(math.type(nh) == "integer" and nh >= 1, "rbm.new: nh (hidden units) must be a positive integer")
  assert(math.type(nv) == "integer" and nv >= 1, "rbm.new: nv must be a positive integer")
  assert(math.type(K) == "integer" and K >= 2 and K <= 256, "rbm.new: K must be in 2..256")
  assert(math.type(nl) == "integer" and nl >= 0, "rbm.new: nl must be >= 0")
  local D = nv * (K - 1) + nl
  local m = setmetatable({nv = nv, K = K, nl = nl, nh = nh, D = D, seed = cfg.seed or 1, step = 0,
                          side = cfg.side or math.floor(math.sqrt(nv) + 0.5)}, Rbm)
  m.W, m.b, m.c = f32(nh, D), f32(D), f32(nh)
  local sd = cfg.init_sd or 0.01
  if sd > 0 then m.W:normal(core.rng(m.seed), 0, sd) end
  return m
end

-- Rebuild a model from saved tensors and metadata (see ebm.rbm.save / load).
function M.from(meta, W, b, c)
  local m = setmetatable({nv = meta.nv, K = meta.K, nl = meta.nl, nh = W:size(1), D = W:size(2),
                          seed = meta.seed or 1, step = meta.step or 0, side = meta.side}, Rbm)
  m.W, m.b, m.c = W, b, c
  core.rbm_free_energy(m, f32(1, m.D), core.tensor_new("f64", 1)) -- validates shapes
  return m
end

-- Metadata (plain table) describing the model, for checkpoints and run folders.
function Rbm:meta()
  return {kind = "rbm", nv = self.nv, K = self.K, nl = self.nl, nh = self.nh, D = self.D,
          seed = self.seed, step = self.step, side = self.side}
end

-- m:encode(pixels u8 [n, ...] with levels 0..K-1, labels (u8/i32 [n], 0-based digits) or nil)
-- -> f32 [n, D] one-hot rows.
function Rbm:encode(v, y)
  local n = v:size(1)
  if y ~= nil then y = y:to("i32"):contiguous() end
  if self.nl == 0 then y = nil end
  return core.rbm_encode(self, v:contiguous(), y, f32(n, self.D))
end

-- m:images(x f32 [n, D]) -> u8 [n, side, side] with the expected level scaled to 0..255.
function Rbm:images(x)
  local n = x:size(1)
  local out = core.tensor_new("u8", n, self.nv)
  core.rbm_decode(self, x, out)
  if self.side * self.side == self.nv then return out:view(n, self.side, self.side) end
  return out
end

-- Labels of rows x (argmax of the label group, 0-based) -> Lua table; nil without labels.
function Rbm:labels_of(x)
  if self.nl == 0 then return nil end
  local off, t = self.nv * (self.K - 1), {}
  for r = 1, x:size(1) do
    local best, bi = -1, 0
    for k = 1, self.nl do
      local v = x:get(r, off + k)
      if v > best then best, bi = v, k - 1 end
    end
    t[r] = bi
  end
  return t
end

-- Smoothed base-rate biases [D] from data rows x (the independent-pixel model).
function Rbm:base_rate(x, alpha)
  return core.rbm_base_rate(self, x, alpha or 1.0, f32(self.D))
end

-- n independent draws [n, D] from the independent-pixel model with biases `base` ([D], e.g.
-- from m:base_rate; nil: uniform), using chain ids chain0 .. chain0+n-1 of stream `seed`.
function Rbm:base_sample(n, base, seed, chain0)
  local p, x = f32(n, self.D), f32(n, self.D)
  core.rbm_visible_probs(self, f32(n, self.nh), p, 0.0, base)
  core.rbm_sample_visible(self, p, x, seed or 1, 0, chain0 or 0)
  return x
end

-- Set the visible biases to the base-rate log-odds of the data (a good initialisation).
function Rbm:init_biases(x, alpha)
  self.b:copy(self:base_rate(x, alpha))
  return self
end

-- Free energy of each row of x -> f64 [n].
function Rbm:free_energy(x)
  return core.rbm_free_energy(self, x, core.tensor_new("f64", x:size(1)))
end

-- Exact log Z by enumerating 2^nh hidden states (nh <= 30; practical up to ~24).
function Rbm:exact_logz()
  return core.rbm_exact_logz(self)
end

-- Centring offsets (see rbm.h, ebm_rbm_center_grad): mu = the column means of the data rows
-- x (fixed), lam = 0.5 for every hidden unit (then a moving average of <h>_data, see
-- cd_step's center_rate). cd_step(x, {center = true}) uses them.
function Rbm:init_centering(x)
  self.mu = x:mean(1):contiguous()
  self.lam = f32(self.nh):fill(0.5)
  self.hdata = f32(self.nh)
  return self
end

-- One CD-k or PCD-k update on the batch x [B, D].
-- opt: k (1), lr (0.05), momentum (0.5), weight_decay (0, on W only), pcd (false),
--      chains (B; PCD chain count), optim ("momentum" or "adam": ebm.optim.adam with
--      opt.state kept by the caller; weight decay then on all parameters),
--      disc (0: weight alpha of the discriminative term log p(y|x) added to the
--      generative gradient, hybrid training of a label model, Larochelle & Bengio 2008),
--      center (false: centred gradient with the offsets of m:init_centering; the hidden
--      offset moves towards <h>_data by center_rate (0.01) each update).
-- Returns the reconstruction error (CD) or 0 (PCD), and mean log p(y|x) of the batch when
-- disc > 0.
function Rbm:cd_step(x, opt)
  opt = opt or {}
  local k = opt.k or 1
  if not self.gW then self.gW, self.gb, self.gc = f32(self.nh, self.D), f32(self.D), f32(self.nh) end
  if not self.vW then self.vW, self.vb, self.vc = f32(self.nh, self.D), f32(self.D), f32(self.nh) end
  local neg = nil
  if opt.pcd then
    local chains = opt.chains or x:size(1)
    if not self.neg or self.neg:size(1) ~= chains then
      -- start the persistent chains at data rows (cycled)
      self.neg = f32(chains, self.D)
      local B = x:size(1)
      for i = 1, chains do self.neg:select(1, i):copy(x:select(1, (i - 1) % B + 1)) end
    end
    neg = self.neg
  end
  self.step = self.step + 1
  if opt.center and not self.mu then error("rbm:cd_step: center needs m:init_centering(data) first", 2) end
  local r = core.rbm_cd(self, x, k, neg, self.seed, self.step, self.gW, self.gb, self.gc,
                        opt.center and self.hdata or nil)
  local disc, ll = opt.disc or 0, nil
  if disc > 0 then ll = core.rbm_disc_grad(self, x, disc, self.gW, self.gb, self.gc) end
  if opt.center then
    core.rbm_center_grad(self, self.mu, self.lam, self.gW, self.gb, self.gc)
    local nu = opt.center_rate or 0.01
    self.lam:mul(1 - nu):axpy(nu, self.hdata)
  end
  self:update(opt)
  return r, ll
end

-- Apply the gradients of the last cd_step (gW, gb, gc: the log-likelihood ascent direction)
-- through ebm.optim. opt.optim "momentum" (default): SGD whose velocity carries the
-- learning rate (vel = momentum*vel + lr*(g - weight_decay*W); W += vel; the buffers vW,
-- vb, vc live on the model and in its checkpoints), weight decay on W only; "adam": Adam with
-- opt.state kept by the caller, weight decay on all parameters.
function Rbm:update(opt)
  -- ebm.optim descends: hand it the negative log-likelihood gradient.
  self.gW:mul(-1); self.gb:mul(-1); self.gc:mul(-1)
  if opt.optim == "adam" then
    opt.state = opt.state or {}
    optim.adam({self.W, self.b, self.c}, {self.gW, self.gb, self.gc},
      {lr = opt.lr or 1e-3, weight_decay = opt.weight_decay or 0}, opt.state)
    return
  end
  local cfg = {lr = opt.lr or 0.05, momentum = opt.momentum or 0.5, weight_decay = opt.weight_decay or 0,
               lr_in_velocity = true}
  optim.sgd(self.W, self.gW, cfg, {momentum = {[""] = self.vW}})
  cfg.weight_decay = 0
  optim.sgd({self.b, self.c}, {self.gb, self.gc}, cfg, {momentum = {["1"] = self.vb, ["2"] = self.vc}})
end

-- Clamp the label group of rows x to `label` (a digit 0..nl-1, or a Lua table of one per
-- row). Returns the Lua table of clamped labels, or nil when nothing is clamped (no label
-- given, or a model without labels).
function Rbm:clamp_labels(x, label)
  if label == nil or self.nl == 0 then return nil end
  local off, labs = self.nv * (self.K - 1), {}
  for r = 1, x:size(1) do
    local d = type(label) == "table" and label[r] or label
    assert(math.type(d) == "integer" and d >= 0 and d < self.nl, "rbm:sample: label must be in 0..nl-1")
    labs[r] = d
    for k = 1, self.nl do x:set(r, off + k, k - 1 == d and 1 or 0) end
  end
  return labs
end

-- One block Gibbs step at inverse temperature beta (base: the base-rate biases the annealing
-- path starts from, when beta < 1) of model table mk on chains xk, with hidden buffer hk and
-- visible probabilities pk; chain ids chain0.. of stream seed, step t.
local function gibbs_step(mk, xk, hk, pk, beta, base, clamp, seed, t, chain0)
  core.rbm_hidden_probs(mk, xk, hk, beta)
  core.rbm_sample_hidden(hk, hk, seed, t, chain0)
  core.rbm_visible_probs(mk, hk, pk, beta, base, clamp)
  core.rbm_sample_visible(mk, pk, xk, seed, t, chain0, clamp)
end

-- Draw n samples by block Gibbs.
-- opt: steps (1000), seed (model seed + 1), label (digit 0..nl-1, or a Lua table of n digits:
-- clamped), init (f32 [n, D] start; default a base-rate sample when opt.base is given, else
-- uniform), base (f32 [D] base-rate biases for the start), mean (true: return the final
-- visible probabilities instead of a sample, for display), anneal (0: number of initial
-- steps over which the inverse temperature ramps from 0 to 1, starting at the base-rate
-- model `base`), label_gain (1: with clamped labels, multiply the label-hidden weights by
-- this factor while sampling -- a guidance knob; 1 samples the model's own p(x | label)),
-- ladder (with clamped labels: a list of increasing label gains starting at 1, e.g.
-- {1, 1.5, 2, 3}. Replica exchange (parallel tempering) over the label gain: one replica
-- per gain, each a block Gibbs chain of p_g(x, h | y) ~ exp(-E(x, h) + (g - 1) h.W_y), and
-- after every step adjacent replicas (alternating pairs) swap states with probability
-- min(1, exp((g_k - g_k+1)(l_k+1 - l_k))), l = h.W_y. The first replica's chain is exact
-- MCMC for the model's own p(x | y); the others feed it label-consistent states).
-- Returns the final sample x and the last visible probabilities p (both f32 [n, D]);
-- with opt.mean the order is p, x. (With steps = 0 p is all zeros.) A third value is a table
-- {swap_rates = {rate between replicas 1-2, 2-3, ...}} when a ladder is used.
function Rbm:sample(n, opt)
  opt = opt or {}
  local steps, seed = opt.steps or 1000, opt.seed or (self.seed * 7919 + 1)
  local x = f32(n, self.D)
  if opt.init then
    x:copy(opt.init)
  else
    x:copy(self:base_sample(n, opt.base, seed))
  end
  local labs = self:clamp_labels(x, opt.label)
  local clamp = labs ~= nil
  local rep = tempering.replicas(self, x, labs, opt)
  local anneal = opt.anneal or 0
  for t = 1, steps do
    local beta = tempering.anneal_beta(t, anneal)
    for k = 1, rep.R do -- replica k uses chain ids (k-1)*n .. k*n-1 of the random streams
      gibbs_step(rep.models[k], rep.xs[k], rep.hs[k], rep.ps[k], beta, beta < 1 and opt.base or nil, clamp,
                 seed, t, (k - 1) * n)
    end
    rep:exchange(seed, t)
  end
  local p = rep.ps[1]
  if clamp then -- keep the clamped labels in the returned probabilities too
    local off = self.nv * (self.K - 1)
    p:narrow(2, off + 1, self.nl):copy(x:narrow(2, off + 1, self.nl))
  end
  local rates = rep:swap_rates()
  local info = rates and {swap_rates = rates} or nil
  if opt.mean then return p, x, info end
  return x, p, info
end

-- Classify rows x by the label with the lowest free energy F(x, y) (ignores x's label columns).
-- Returns a Lua table of 0-based labels.
function Rbm:classify(x)
  assert(self.nl > 0, "rbm:classify: the model has no labels")
  local n, off = x:size(1), self.nv * (self.K - 1)
  local xx = x:clone()
  local lab = xx:narrow(2, off + 1, self.nl)
  local best, arg = {}, {}
  for y = 0, self.nl - 1 do
    lab:zero()
    lab:select(2, y + 1):fill(1)
    local F = self:free_energy(xx)
    for r = 1, n do
      local f = F:get(r)
      if best[r] == nil or f < best[r] then best[r], arg[r] = f, y end
    end
  end
  return arg
end

-- Checkpoints (ebm.io format) -----------------------------------------------------
-- m:save(path) / ebm.rbm.load(path) -> model.
-- With adam_state (the table cd_step's optim = "adam" keeps) or train_state = true, the
-- checkpoint also holds what training needs to continue exactly: the momentum buffers,
-- the persistent chains, the centring offsets, the Adam moments and the update counter.
function Rbm:save(path, extra, train_state, adam_state)
  local meta = self:meta()
  meta.extra = extra
  local tensors = {W = self.W, b = self.b, c = self.c}
  if train_state then
    local st = {}
    for _, k in ipairs {"vW", "vb", "vc", "neg", "mu", "lam"} do st[k] = self[k] end
    if adam_state and adam_state.m then
      st.adam_m, st.adam_v, meta.adam_step = {}, {}, adam_state.step
      for k, v in pairs(adam_state.m) do st.adam_m["p" .. k] = v end
      for k, v in pairs(adam_state.v) do st.adam_v["p" .. k] = v end
    end
    tensors.state = st
  end
  tensor_io.save_checkpoint(path, {meta = meta, tensors = tensors})
end

-- ebm.rbm.load(path) -> model, meta, adam_state (nil unless the checkpoint has one). A
-- training state saved with the model is restored into it (see Rbm:save).
function M.load(path)
  local ck = tensor_io.load_checkpoint(path)
  local meta, t = ck.meta, ck.tensors
  if meta.kind ~= "rbm" then error("rbm.load: " .. path .. " is not an RBM checkpoint", 2) end
  local m = M.from(meta, t.W, t.b, t.c)
  local st, adam = t.state, nil
  if type(st) == "table" then
    for _, k in ipairs {"vW", "vb", "vc", "neg", "mu", "lam"} do m[k] = st[k] end
    if m.mu then m.hdata = f32(m.nh) end
    if st.adam_m then
      adam = {step = meta.adam_step, m = {}, v = {}}
      for k, v in pairs(st.adam_m) do adam.m[k:sub(2)] = v end
      for k, v in pairs(st.adam_v) do adam.v[k:sub(2)] = v end
    end
  end
  return m, meta, adam
end

return M
