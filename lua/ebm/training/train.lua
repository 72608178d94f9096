-- ebm.train: contrastive-divergence training of discrete EBMs (the digit job that uses it is
-- ebm.digit, lua/ebm/training/digit.lua; the training options of scripts/train_digit.lua are
-- in ebm.cli).
--
-- Primitives (any ebm.model):
--   g = ebm.train.gradient(pos, neg, beta[, into])
--       pos, neg: tables name -> tensor from m:param_stats(states) (batch means of d(-E)/dθ)
--       or ebm.train.exact_stats(m, beta). Returns the gradient of the NEGATIVE
--       log-likelihood per example, beta * (neg - pos), as f32 tensors shaped like the
--       parameters (ready for ebm.optim, which minimises).
--   s = ebm.train.exact_stats(m, beta)    -- model expectations by exact enumeration (tiny models)
--   ll = ebm.train.exact_loglik(m, data, beta)  -- mean log-likelihood of rows, exact log Z
--   tr = ebm.train.trainer{model=, train=u8 [N,h,w], valid=, config=, run=}
--     tr:step(batch)       one CD / PCD update on a u8 [B, ...] batch; returns step metrics
--     tr:epoch([bar])      one pass over the training images (shuffled per epoch from the seed);
--                          returns the epoch's metrics row (tr.run gets the log_every rows;
--                          ebm.loop.run runs the epochs and writes the epoch rows)
--     tr:save(path)        checkpoint (ebm.ckpt): params, optimiser state, PCD chains, epoch,
--     tr:restore(path)     step, sampler counter; restore continues bit-identically
--
-- Negative phase: CD-k starts k sweeps of block Gibbs from the batch itself; persistent CD
-- (pcd=true) keeps `batch` chains across updates (started from the first batch). All
-- randomness is a function of (seed, epoch, step), so a resumed run equals an uninterrupted one.
local core = require "ebm.core"
local base = require "ebm.base"
local presets = require "ebm.models.presets"
local exact = require "ebm.models.exact"
local sampler = require "ebm.sampling.sampler"
local optim = require "ebm.training.optim"
local data = require "ebm.io.data"
local ckpt = require "ebm.io.ckpt"
local sys = require "ebm.interp.sys"

local M = {}

-- Model presets of scripts/train_digit.lua (the grid constructor's options).
M.PRESETS = presets.PRESETS

-- Digit models beyond the grid presets, trained by ebm.digits (binary pixels only).
M.OTHER_MODELS = { latent = true, ["latent-edge"] = true, rbm = true }

-- The command-line options of the training scripts and their validation: ebm.cli
-- (cli.train_options, cli.train_config).

-- Build the model of a config (28x28 grid unless cfg.height/width say otherwise).
M.build_model = presets.build

-- Gradient tensors (of the negative log-likelihood): beta * (neg - pos), into `into` if given.
function M.gradient(pos, neg, beta, into)
  local g = into or {}
  for name, p in pairs(pos) do
    local n = neg[name]
    if n == nil then error("ebm.train.gradient: negative statistics lack '" .. name .. "'", 2) end
    local t = g[name]
    if t == nil then t = base.zeros(p:size(), "f32"); g[name] = t end
    t:copy(n):sub(p):mul(beta or 1)
  end
  return g
end

-- Model expectations of the parameter statistics by exact enumeration: sum_x p(x) s(x).
-- Tiny models only (all states enumerated). Returns name -> f32 tensor.
function M.exact_stats(m, beta)
  local ex = exact(m, { beta = beta or 1 })
  local n = m.n
  local Kl = {}
  for _, l in ipairs(m.layers) do for _ = 1, l.n do Kl[#Kl + 1] = l.levels end end
  local logp = ex.logp:totable()
  local acc
  local state = base.zeros({ 1, n }, "u8")
  local digits = {}
  for i = 1, n do digits[i] = 0 end
  for q = 1, #logp do
    for i = 1, n do state:set(1, i, digits[i]) end
    local s = m:param_stats(state)
    local w = math.exp(logp[q])
    if not acc then
      acc = {}
      for k, v in pairs(s) do acc[k] = base.zeros(v:size(), "f64") end
    end
    for k, v in pairs(s) do acc[k]:add(v:to("f64"):mul(w)) end
    for i = 1, n do -- next state, lowest node least significant (ebm.exact's order)
      digits[i] = digits[i] + 1
      if digits[i] < Kl[i] then break end
      digits[i] = 0
    end
  end
  local out = {}
  for k, v in pairs(acc) do out[k] = v:to("f32") end
  return out
end

-- Mean exact log-likelihood of the rows of `data` (u8 [N, n]): mean(-beta E(x)) - log Z.
function M.exact_loglik(m, rows, beta)
  beta = beta or 1
  local ex = exact(m, { beta = beta })
  local e = m:energy(rows)
  return -beta * e:sum() / e:numel() - ex.logz
end

-- Initial biases from the data: b_i[k] = log((count_ik + 1) / (N + K)), the maximum
-- likelihood independent-pixel model (add-one smoothing). Couplings stay at zero.
function M.marginal_biases(m, images)
  local pos = m:param_stats(images)
  local N = images:size(1)
  for _, l in ipairs(m.layers) do
    local h = pos[l.param]
    local b = m:params()[l.param]
    b:copy(h):mul(N):add(1):div(N + l.levels):log()
  end
  m:materialise()
end

-- Fix the gauge of the biases: adding a constant to all levels of one node changes no
-- probability, so each node's bias row is shifted to mean zero (keeps energies comparable
-- over training; optimisers like Adam otherwise let the rows drift).
function M.center_biases(m)
  local params = m:params()
  for _, l in ipairs(m.layers) do
    local b = params[l.param]
    b:sub(b:mean(2, true))
  end
end

-- Initialise the parameters of m following cfg.init (marginals | zero | random).
function M.init_params(m, cfg, images)
  local params = m:params()
  for _, t in pairs(params) do t:zero() end
  if cfg.init == "marginals" then
    M.marginal_biases(m, images)
  elseif cfg.init == "random" then
    local g = base.rng(cfg.seed):split(101)
    for _, name in ipairs(select(2, m:params())) do params[name]:normal(g, 0, 0.01) end
  end
  M.center_biases(m)
  m:materialise()
end

-- Validation pseudo-log-likelihood per pixel (nats) of u8 rows.
function M.pll_per_pixel(m, images, beta)
  if images == nil or images:size(1) == 0 then return nil end
  local p = m:pseudo_loglik(images, { beta = beta or 1 })
  return p:sum() / (p:numel() * m.n)
end

------------------------------------------------------------------------------------------
-- Trainer

local Trainer = {}
Trainer.__index = Trainer

-- ebm.train.trainer{model=, train=u8 [N, ...], valid=u8 [V, ...] | nil, config=cfg, run=ebm.run | nil}
-- cfg: batch, lr, cd_steps, pcd, beta, optim, clip, weight_decay, schedule, epochs, seed,
-- log_every, sample_sweeps.
function M.trainer(o)
  local cfg = o.config
  local m = o.model
  local self = setmetatable({
    model = m, cfg = cfg, train = o.train, valid = o.valid, run = o.run,
    sampler = sampler { model = m, seed = cfg.seed, blocks = o.blocks },
    params = m:params(),
    ostate = {},
    epoch_done = 0,           -- epochs completed
    steps = 0,                -- updates done
    seconds = 0,              -- training wall-clock seconds so far (metrics column)
    chains = nil,             -- persistent chains u8 [n, batch] (pcd)
    grads = {},
    acc = { n = 0, de = 0, se = 0, gn = 0 },
    on_step = o.on_step,
  }, Trainer)
  local N = o.train:size(1)
  self.steps_per_epoch = (N + cfg.batch - 1) // cfg.batch
  local total = self.steps_per_epoch * cfg.epochs
  local lr = cfg.lr
  self.ocfg = { lr = lr, weight_decay = cfg.weight_decay, momentum = cfg.optim == "sgd" and 0.9 or nil }
  if cfg.schedule == "cosine" then
    self.ocfg.schedule = optim.schedule.cosine { lr = lr, total = total, lr_min = lr * 0.05 }
  end
  self.optimizer = optim[cfg.optim]
  return self
end

-- Current learning rate (after the schedule).
function Trainer:lr()
  if self.ocfg.schedule then return self.ocfg.schedule(math.max(self.steps, 1)) end
  return self.ocfg.lr
end

-- Positive phase of a fully visible model: the statistics of the batch itself; returns them
-- and the states whose energy is the data energy. A model with latent units overrides this
-- and chains_from in a trainer class of its own (ebm.latent).
function Trainer:positive(x)
  return self.model:param_stats(x), x
end

function Trainer:chains_from(x)
  return self.sampler:chains(x)
end

-- One update on batch x (u8 [B, ...] rows). Returns {data_energy, sample_energy, grad_norm}.
function Trainer:step(x)
  local m, cfg = self.model, self.cfg
  local pos, xd = self:positive(x)
  local chains
  if cfg.pcd then
    if self.chains == nil then
      -- persistent chains start from the first batch (repeated if it is short)
      local B = x:size(1)
      local init = x
      if B ~= cfg.batch then init = data.take(x, self:_cycle(B, cfg.batch)) end
      self.chains = self:chains_from(init)
    end
    chains = self.chains
  else
    chains = self:chains_from(x)
  end
  self:negative_sweeps(chains)
  local neg = m:param_stats(chains)
  local g = M.gradient(pos, neg, cfg.beta, self.grads)
  local gn
  if cfg.clip > 0 then gn = optim.clip_grad_norm(g, cfg.clip) else gn = optim.norm(g) end
  self.optimizer(self.params, g, self.ocfg, self.ostate)
  M.center_biases(m)
  m:materialise()
  self.steps = self.steps + 1
  local de = m:energy(xd):mean()
  local se = m:energy(chains):mean()
  return { data_energy = de, sample_energy = se, grad_norm = gn }
end

-- The negative phase's cd_steps sweeps of chains (u8 [n, C], in place), with the fastest
-- exact kernel that applies: the bit-packed one (ARS) for binary models with at most 16
-- neighbours, else the u8 kernel. A model with 9..16 neighbours (the packed kernel's wide
-- path) rebuilds 2^neighbours thresholds per node whenever the parameters change, i.e. every
-- step: it takes the packed kernel only when the step's node updates are at least twice
-- those table entries (below that the u8 kernel is faster; RESULTS.md, the 12-neighbour
-- torus). cfg.neg_kernel = "u8" forces the u8 kernel (the two kernels draw from different
-- random streams, so they give different, equally exact chains).
function Trainer:negative_sweeps(chains)
  local cfg, s = self.cfg, self.sampler
  if self._packed_ok == nil then
    self._packed_ok = cfg.neg_kernel ~= "u8" and (pcall(s.pack, s, chains:narrow(2, 1, 1):contiguous()))
      and s.model.n * chains:size(2) * cfg.cd_steps >= 2 * core.packed_table_entries(s.graph)
  end
  if not self._packed_ok then
    s:sweep(chains, { n = cfg.cd_steps, beta = cfg.beta })
    return
  end
  local p = self._packed
  if p and p:nchains() == chains:size(2) then p:repack(chains) else p = s:pack(chains) end
  self._packed = p
  s:sweep_packed(p, { n = cfg.cd_steps, beta = cfg.beta })
  p:unpack(chains)
end

-- i32 indices 1..B repeated to length n.
function Trainer._cycle(_, B, n)
  local t = base.zeros({ n }, "i32")
  for i = 1, n do t:set(i, (i - 1) % B + 1) end
  return t
end

-- Metrics row for the accumulated steps (means since the last row) plus extra fields.
function Trainer:_row(extra)
  local a = self.acc
  local row = { epoch = self.epoch_done + (extra.epoch_end and 0 or 1), step = self.steps, lr = self:lr(),
    param_norm = optim.norm(self.params), seconds = self.seconds }
  if a.n > 0 then
    row.data_energy = a.de / a.n
    row.sample_energy = a.se / a.n
    row.energy_gap = row.sample_energy - row.data_energy
    row.grad_norm = a.gn / a.n
  end
  for k, v in pairs(extra) do if k ~= "epoch_end" then row[k] = v end end
  self.acc = { n = 0, de = 0, se = 0, gn = 0 }
  return row
end

-- One pass over the training images in an order drawn from (seed, epoch).
function Trainer:epoch(bar)
  local cfg = self.cfg
  local e = self.epoch_done + 1
  local clock = sys.clock
  local t0 = clock()
  local order = base.rng(cfg.seed):split(1000 + e)
  local N = self.train:size(1)
  for idx in data.batches(N, cfg.batch, order) do
    local x = data.take(self.train, idx)
    local s = self:step(x)
    local a = self.acc
    a.n, a.de, a.se, a.gn = a.n + 1, a.de + s.data_energy, a.se + s.sample_energy, a.gn + s.grad_norm
    if self.on_step then self.on_step(self, s) end
    if bar then
      bar:update { epoch = e, step = self.steps,
        info = string.format("gap %.3g", s.sample_energy - s.data_energy) }
    end
    if cfg.log_every > 0 and self.steps % cfg.log_every == 0 and self.run and a.n > 0
      and (self.steps % self.steps_per_epoch) ~= 0 then
      self.seconds = self.seconds + (clock() - t0); t0 = clock()
      self.run:log(self:_row {})
    end
  end
  self.seconds = self.seconds + (clock() - t0)
  self.epoch_done = e
  -- the epoch's row: ebm.loop (or the caller) writes it to metrics.csv
  return self:_row { epoch_end = true, valid_pll = M.pll_per_pixel(self.model, self.valid, cfg.beta) }
end

-- Samples of the current model for pictures: `count` chains from the bias distribution,
-- `sweeps` sweeps, drawn with a sampler of its own (seed + 7919, counter from the epoch) so
-- training never depends on them. Returns u8 [count, h, w].
function Trainer:samples(count, sweeps)
  local m = self.model
  local s = sampler { model = m, seed = self.cfg.seed + 7919 }
  s.step = self.epoch_done * 1000003
  local x = s:chains(count, "bias", { beta = self.cfg.beta })
  if sweeps > 0 then s:sweep(x, { n = sweeps, beta = self.cfg.beta }) end
  return x:t():contiguous():view(count, m.height, m.width), x
end

-- Checkpoint the trainer (see ebm.ckpt).
function Trainer:save(path)
  return ckpt.save(path, self)
end

function Trainer:restore(path)
  return ckpt.restore(path, self)
end

M.Trainer = Trainer
return M
