-- ebm.train: contrastive-divergence training of discrete EBMs, and the digit job behind
-- scripts/train_digit.lua.
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
--     tr:epoch()           one pass over the training images (shuffled per epoch from the seed)
--     tr:save(path)        checkpoint (ebm.ckpt): params, optimiser state, PCD chains, epoch,
--     tr:restore(path)     step, sampler counter; restore continues bit-identically
--
-- Negative phase: CD-k starts k sweeps of block Gibbs from the batch itself; persistent CD
-- (pcd=true) keeps `batch` chains across updates (started from the first batch). All
-- randomness is a function of (seed, epoch, step), so a resumed run equals an uninterrupted one.
local base = require "ebm.base"
local presets = require "ebm.models.presets"
local exact = require "ebm.models.exact"
local sampler = require "ebm.sampling.sampler"
local optim = require "ebm.training.optim"
local data = require "ebm.io.data"
local ckpt = require "ebm.io.ckpt"
local run_folder = require "ebm.io.run"
local report = require "ebm.io.report"
local progress = require "ebm.io.progress"
local viz = require "ebm.io.viz"
local plot = require "ebm.io.plot"
local sys = require "ebm.interp.sys"
local threads = require "ebm.interp.threads"
local lfs = require "lfs"

local M = {}

-- Model presets of scripts/train_digit.lua (the grid constructor's options).
M.PRESETS = presets.PRESETS

-- The options of the training scripts: name, help, default (nil: none), choices.
-- config_from_args turns argparse's result into a config table (keys with '_' for '-').
M.OPTIONS = {
  { name = "--levels", help = "Grey levels per pixel: 2, 4 or 16.", default = 4, choices = { "2", "4", "16" } },
  { name = "--model", help = "Model preset: seed, potts, potts-edge or 8nbr.", default = "potts", choices = { "seed", "potts", "potts-edge", "8nbr" } },
  { name = "--epochs", help = "Passes over the training images.", default = 20 },
  { name = "--batch", help = "Images per update (and persistent chains with --pcd).", default = 128 },
  { name = "--lr", help = "Learning rate.", default = 0.03 },
  { name = "--cd-steps", help = "Gibbs sweeps per update (k of CD-k).", default = 10 },
  { flag = "--pcd", help = "Persistent CD (the default): keep the negative chains across updates." },
  { flag = "--cd", help = "Plain CD-k instead: restart the negative chains at each batch." },
  { name = "--beta", help = "Inverse temperature of the model.", default = 1 },
  { name = "--optim", help = "Optimiser: adam or sgd (momentum 0.9).", default = "adam", choices = { "adam", "sgd" } },
  { name = "--clip", help = "Clip the gradient norm to this value (0: no clipping).", default = 0 },
  { name = "--weight-decay", help = "L2 weight decay.", default = 0 },
  { name = "--schedule", help = "Learning-rate schedule: cosine (decay to 5% of --lr) or constant.", default = "cosine", choices = { "constant", "cosine" } },
  { name = "--init", help = "Initial biases: marginals (log pixel frequencies), zero or random.", default = "marginals", choices = { "marginals", "zero", "random" } },
  { name = "--seed", help = "Seed of every random choice (split, batches, Gibbs).", default = 1 },
  { name = "--valid", help = "Fraction of the training images held out for validation.", default = 0.1 },
  { name = "--limit", help = "Use at most this many images of the digit (0: all)." , default = 0 },
  { name = "--log-every", help = "Also log a metrics row every N updates (0: per epoch only).", default = 10 },
  { name = "--sample-sweeps", help = "Gibbs sweeps for the sample grid of each epoch.", default = 200 },
  { name = "--name", help = "Run name (folder runs/NAME)." },
  { name = "--out", help = "Run folder (instead of runs/NAME)." },
  { name = "--resume", help = "Continue from a checkpoint (default: OUT/model.ckpt).", args = "?" },
  { name = "--stop-after", help = "Stop after this epoch (as if interrupted; for tests).", default = 0 },
  { name = "--threads", help = "OpenMP threads (default: all cores)." },
  { flag = "--quiet", help = "No progress output." },
}

local INT = { levels = true, epochs = true, batch = true, cd_steps = true, seed = true, limit = true,
  log_every = true, sample_sweeps = true, stop_after = true, threads = true }
local NUM = { lr = true, beta = true, clip = true, weight_decay = true, valid = true }

-- argparse result -> config table, or nil and a one-line message.
function M.config_from_args(a)
  local cfg = {}
  for _, o in ipairs(M.OPTIONS) do
    local key = (o.flag or o.name):gsub("^%-%-", ""):gsub("%-", "_")
    local v = a[key]
    if INT[key] and v ~= nil then
      local x = math.tointeger(tonumber(v))
      if x == nil then return nil, string.format("--%s must be an integer, got '%s'", key:gsub("_", "-"), tostring(v)) end
      v = x
    elseif NUM[key] and v ~= nil then
      local x = tonumber(v)
      if x == nil or x ~= x then return nil, string.format("--%s must be a number, got '%s'", key:gsub("_", "-"), tostring(v)) end
      v = x
    end
    if o.flag then v = v and true or nil end
    cfg[key] = v
  end
  if type(cfg.resume) == "table" then cfg.resume = cfg.resume[1] or true end
  if cfg.cd and cfg.pcd then return nil, "--cd and --pcd exclude each other" end
  cfg.pcd = not cfg.cd
  cfg.cd = nil
  local d = a.digit
  if d == "all" then
    cfg.digit = "all"
  else
    cfg.digit = math.tointeger(tonumber(d))
    if cfg.digit == nil or cfg.digit < 0 or cfg.digit > 9 then
      return nil, string.format("digit must be 0-9 or 'all', got '%s'", tostring(d))
    end
  end
  return M.check_config(cfg)
end

-- Validate a config table (scripts and library callers); fills defaults. Returns cfg or nil, msg.
function M.check_config(cfg)
  for _, o in ipairs(M.OPTIONS) do
    local key = (o.flag or o.name):gsub("^%-%-", ""):gsub("%-", "_")
    if cfg[key] == nil and o.default ~= nil then cfg[key] = o.default end
  end
  local function bad(fmt, ...) return nil, string.format(fmt, ...) end
  if cfg.pcd == nil then cfg.pcd = true end
  if cfg.levels ~= 2 and cfg.levels ~= 4 and cfg.levels ~= 16 then return bad("--levels must be 2, 4 or 16, got %s", tostring(cfg.levels)) end
  if not M.PRESETS[cfg.model] then return bad("unknown --model '%s'", tostring(cfg.model)) end
  if cfg.epochs < 1 then return bad("--epochs must be >= 1") end
  if cfg.batch < 1 then return bad("--batch must be >= 1") end
  if not (cfg.lr > 0) then return bad("--lr must be > 0") end
  if cfg.cd_steps < 1 then return bad("--cd-steps must be >= 1") end
  if not (cfg.beta > 0) then return bad("--beta must be > 0") end
  if cfg.clip < 0 then return bad("--clip must be >= 0") end
  if cfg.weight_decay < 0 then return bad("--weight-decay must be >= 0") end
  if not (cfg.valid >= 0 and cfg.valid < 1) then return bad("--valid must be in [0, 1)") end
  if cfg.limit < 0 then return bad("--limit must be >= 0") end
  if cfg.log_every < 0 then return bad("--log-every must be >= 0") end
  if cfg.sample_sweeps < 0 then return bad("--sample-sweeps must be >= 0") end
  if cfg.threads ~= nil and (cfg.threads < 1 or cfg.threads > 1024) then return bad("--threads must be in 1..1024") end
  if cfg.optim ~= "adam" and cfg.optim ~= "sgd" then return bad("--optim must be adam or sgd") end
  if cfg.init ~= "marginals" and cfg.init ~= "zero" and cfg.init ~= "random" then return bad("unknown --init '%s'", tostring(cfg.init)) end
  if cfg.name and (cfg.name == "" or cfg.name:find("/")) then return bad("--name must not contain '/'") end
  return cfg
end

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
-- exact kernel that applies: the bit-packed one (ARS) for binary models with at most 8
-- neighbours, else the u8 kernel. cfg.neg_kernel = "u8" forces the u8 kernel (the two
-- kernels draw from different random streams, so they give different, equally exact chains).
function Trainer:negative_sweeps(chains)
  local cfg, s = self.cfg, self.sampler
  if self._packed_ok == nil then
    self._packed_ok = cfg.neg_kernel ~= "u8" and (pcall(s.pack, s, chains:narrow(2, 1, 1):contiguous()))
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
function Trainer:_cycle(B, n)
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
  local row = self:_row { epoch_end = true, valid_pll = M.pll_per_pixel(self.model, self.valid, cfg.beta) }
  if self.run then self.run:log(row) end
  return row
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

------------------------------------------------------------------------------------------
-- The digit job (scripts/train_digit.lua, scripts/train_all_digits.lua)

-- A usage error: scripts print its message on one line and exit 2.
local function usage(msg) error({ usage = true, msg = msg }, 0) end
M.usage = usage

-- Load the images of cfg.digit (u8 [N, 28, 28], levels cfg.levels), split train/valid.
function M.load_digit(cfg)
  local digits = cfg.digit ~= "all" and { cfg.digit } or nil
  local imgs, labels = data.mnist { split = "train", digits = digits, levels = cfg.levels,
    limit = cfg.limit > 0 and cfg.limit or nil }
  if cfg.valid > 0 then
    local tr, va = data.split(imgs, labels, { valid = cfg.valid, seed = cfg.seed })
    return tr.images, va.images
  end
  return imgs, nil
end

-- Default run folder name for a config.
function M.run_name(cfg)
  return cfg.name or string.format("digit%s-%s-k%d", tostring(cfg.digit), cfg.model, cfg.levels)
end

-- Options that define the model and the data: a checkpoint must agree on them to resume.
M.IDENTITY = { "digit", "levels", "model", "batch", "pcd", "seed", "valid", "limit", "optim" }

-- Train on one digit and write the run folder. Returns the trainer, the run and a summary.
function M.run_digit(cfg, hooks)
  hooks = hooks or {}
  if cfg.threads then threads(cfg.threads) end
  local out = cfg.out or ("runs/" .. M.run_name(cfg))
  local ckpt_path
  if cfg.resume then
    ckpt_path = cfg.resume == true and (out .. "/model.ckpt") or cfg.resume
    if lfs.attributes(ckpt_path, "mode") ~= "file" then usage("checkpoint '" .. ckpt_path .. "' not found") end
    local okc, meta = pcall(ckpt.read_meta, ckpt_path)
    if not okc then usage(tostring(meta)) end
    local okm, why = pcall(ckpt.check_config, meta, cfg, M.IDENTITY)
    if not okm then usage(tostring(why)) end
  end
  local t_load = sys.clock()
  local train_x, valid_x = M.load_digit(cfg)
  t_load = sys.clock() - t_load
  local m = M.build_model(cfg)
  local run = run_folder.new { out = out, config = cfg, seed = cfg.seed, resume = cfg.resume and true or false }
  local tr = M.trainer { model = m, train = train_x, valid = valid_x, config = cfg, run = run }
  if ckpt_path then
    tr:restore(ckpt_path)
    run:truncate_metrics(tr.steps)
  else
    M.init_params(m, cfg, train_x)
  end
  -- the independent-pixel baseline: biases from the training marginals, no couplings
  local indep = M.build_model(cfg)
  M.marginal_biases(indep, train_x)
  local baseline_pll = M.pll_per_pixel(indep, valid_x, 1)
  local total = tr.steps_per_epoch * cfg.epochs
  local bar = progress.new { total = total, epochs = cfg.epochs, quiet = cfg.quiet, start = tr.steps,
    label = string.format("digit %s %s K=%d", tostring(cfg.digit), cfg.model, cfg.levels) }
  if not cfg.quiet then
    bar:print(string.format("%s: %d train / %d valid images (loaded in %.2f s), %d parameters, %s%d, batch %d, %s lr %g -> %s",
      M.run_name(cfg), train_x:size(1), valid_x and valid_x:size(1) or 0, t_load, m:nparams(),
      cfg.pcd and "PCD-" or "CD-", cfg.cd_steps, cfg.batch, cfg.optim, cfg.lr, run.dir))
  end
  local last
  local epoch_seconds = {}
  while tr.epoch_done < cfg.epochs do
    local t0 = tr.seconds
    last = tr:epoch(bar)
    epoch_seconds[#epoch_seconds + 1] = tr.seconds - t0
    M.write_samples(tr, run, train_x)
    tr:save(run:path("model.ckpt"))
    bar:print(string.format("epoch %d/%d  valid pll/pixel %.4f (baseline %.4f)  gap %.3g  %.2f s",
      tr.epoch_done, cfg.epochs, last.valid_pll or 0 / 0, baseline_pll or 0 / 0, last.energy_gap or 0 / 0,
      epoch_seconds[#epoch_seconds]))
    if hooks.epoch then hooks.epoch(tr, last) end
    if cfg.stop_after > 0 and tr.epoch_done >= cfg.stop_after and tr.epoch_done < cfg.epochs then
      bar:finish(string.format("stopped after epoch %d (--stop-after); continue with --resume", tr.epoch_done))
      run:close()
      return tr, run, nil
    end
  end
  bar:finish()
  local summary = {
    title = string.format("Digit %s, %s model, %d levels", tostring(cfg.digit), cfg.model, cfg.levels),
    final_valid_pll = last and last.valid_pll,
    baseline_valid_pll = baseline_pll,
    final_energy_gap = last and last.energy_gap,
    parameters = m:nparams(),
    train_images = train_x:size(1),
    valid_images = valid_x and valid_x:size(1) or 0,
    threads = threads(),
    notes = string.format("Sample grids: 'data' = training images; 'model' = 30 fresh chains started from the biases, " ..
      "after %d Gibbs sweeps at beta %g; %s", cfg.sample_sweeps, cfg.beta,
      cfg.pcd and "'pcd' = 10 of the persistent chains used for the negative phase." or "(plain CD-k: no persistent chains)."),
  }
  M.write_plots(tr, run, train_x)
  report.write(run.dir, { summary = summary })
  run:close()
  return tr, run, summary
end

-- samples/epoch-NNN.png: a row of real images, then rows of model samples.
function M.write_samples(tr, run, train_x)
  local cfg = tr.cfg
  local count = 30
  local samples = tr:samples(count, cfg.sample_sweeps)
  local nreal = math.min(10, train_x:size(1))
  local real = data.take(train_x, tr:_cycle(train_x:size(1), nreal))
  local entries = {
    { label = "data", images = real, levels = cfg.levels },
    { label = "model", images = samples, levels = cfg.levels, nrow = 10 },
  }
  if cfg.pcd and tr.chains then
    local n = math.min(10, tr.chains:size(2))
    local pc = tr.chains:narrow(2, 1, n):t():contiguous():view(n, tr.model.height, tr.model.width)
    entries[#entries + 1] = { label = "pcd", images = pc, levels = cfg.levels }
  end
  local path = run:path("samples", string.format("epoch-%03d.png", tr.epoch_done))
  viz.rows(entries, { scale = 2, pad = 1, path = path })
  return path, samples
end

-- PNG plots: curves of metrics.csv, histograms of parameters and of data/sample energies.
function M.write_plots(tr, run, train_x)
  if not plot.available() then return end
  local rows = run:metrics()
  local function series(col, name)
    local xs, ys = {}, {}
    for _, r in ipairs(rows) do
      if r[col] and r.step then xs[#xs + 1] = r.step; ys[#ys + 1] = r[col] end
    end
    return { name = name or col, x = xs, y = ys, style = "linespoints" }
  end
  local dir = run:path("plots")
  local vp = series("valid_pll", "validation PLL / pixel")
  if #vp.x > 0 then
    plot.lines { path = dir .. "/valid_pll.png", title = "validation pseudo-log-likelihood per pixel",
      xlabel = "update", ylabel = "nats / pixel", series = { vp } }
  end
  plot.lines { path = dir .. "/energies.png", title = "mean energy of data and of negative samples",
    xlabel = "update", ylabel = "energy", series = { series("data_energy", "data"), series("sample_energy", "samples") } }
  plot.lines { path = dir .. "/energy_gap.png", title = "energy gap (samples - data)",
    xlabel = "update", ylabel = "energy", series = { series("energy_gap", "gap") } }
  plot.lines { path = dir .. "/norms.png", title = "gradient and parameter norms", xlabel = "update",
    logy = true, series = { series("grad_norm", "gradient"), series("param_norm", "parameters") } }
  -- parameters
  local params, order = tr.model:params()
  for _, name in ipairs(order) do
    local p = params[name]
    if p:numel() > 16 then -- (tied weights get the bar chart below)
      plot.histogram { path = dir .. "/hist-" .. name:gsub("[^%w]", "_") .. ".png",
        title = "parameter values: " .. name, xlabel = "value", ylabel = "count", values = p:contiguous():view(p:numel()), bins = 50 }
    end
  end
  local wname = order[#order]
  local w = params[wname]
  if w:numel() <= 16 then
    local labels, vals = {}, {}
    for i = 1, w:numel() do labels[i] = "slot " .. i; vals[i] = w:contiguous():view(w:numel()):get(i) end
    local lo, hi = 0, 0
    for _, v in ipairs(vals) do lo, hi = math.min(lo, v), math.max(hi, v) end
    local pad = 0.1 * math.max(hi - lo, 1e-3)
    plot.bars { path = dir .. "/weights.png", title = "coupling weights: " .. wname, labels = labels, values = vals,
      yrange = { lo < 0 and lo - pad or 0, hi > 0 and hi + pad or 0 } }
  end
  -- energies of validation-sized sets: data vs model samples
  local n = math.min(500, train_x:size(1))
  local de = tr.model:energy(train_x:narrow(1, 1, n))
  local _, chains = tr:samples(math.min(200, n), tr.cfg.sample_sweeps)
  local se = tr.model:energy(chains)
  local all = {}
  for _, v in ipairs(de:totable()) do all[#all + 1] = v end
  for _, v in ipairs(se:totable()) do all[#all + 1] = v end
  table.sort(all)
  local range = { all[1], all[#all] }
  if range[1] == range[2] then range[2] = range[1] + 1 end
  -- one picture: the two energy distributions as frequency polygons over shared bins
  local nb = 40
  local w = (range[2] - range[1]) / nb
  local function poly(vals)
    local c = {}
    for b = 1, nb do c[b] = 0 end
    for _, v in ipairs(vals) do
      local b = math.min(nb, math.floor((v - range[1]) / w) + 1)
      c[b] = c[b] + 1 / #vals
    end
    return c
  end
  local xs = {}
  for b = 1, nb do xs[b] = range[1] + (b - 0.5) * w end
  plot.lines { path = dir .. "/energy-hist.png", title = "energy of training images and of model samples",
    xlabel = "energy", ylabel = "fraction per bin", series = {
      { name = string.format("data (%d images)", de:numel()), x = xs, y = poly(de:totable()) },
      { name = string.format("samples (%d chains, %d sweeps)", se:numel(), tr.cfg.sample_sweeps), x = xs, y = poly(se:totable()) } } }
end

M.Trainer = Trainer
return M
