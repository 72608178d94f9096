-- ebm.training.rbm_trainer (ebm.rbm_trainer): the RBM's trainer for the shared epoch loop
-- (ebm.loop), behind scripts/train_rbm.lua. Its step is Rbm:cd_step: the positive and
-- negative phase (CD-k or PCD-k statistics, runtime/rbm.c) and the update through ebm.optim.
--
--   local tr = ebm.rbm_trainer.new{model = m, images = u8 [N, 28, 28], labels = u8 [N],
--     config = cfg, probe = {train = f32 [n, D], test = f32 [n, D]}, checkpoint_meta = {...}}
--   ebm.loop.run(tr, {run = r, epochs = cfg.epochs, checkpoint_every = 5, ...})
--
-- cfg: epochs, batch, lr, lr_decay ("none" | "linear": to 0 at the last update of cfg.epochs),
-- cd_steps, pcd, chains, optim ("momentum" | "adam"), momentum (0.5 for the first 5 epochs
-- when larger), weight_decay, disc, center, seed (batch order: stream seed, split epoch).
-- The epoch row: data_energy = mean free energy of probe.train, sample_energy = that of the
-- persistent chains (PCD), param_norm, lr (cfg.lr), seconds (since training started in this
-- process), train_log_p_y and test_accuracy (disc > 0, on probe.test); and, beyond the
-- metrics.csv columns: recon (mean reconstruction error), test_free_energy, train_seconds.
local core = require "ebm.core"
local rbm = require "ebm.models.rbm"
local data = require "ebm.io.data"
local sys = require "ebm.interp.sys"

local M = {}
local Trainer = {}
Trainer.__index = Trainer
M.Trainer = Trainer

function M.new(o)
  local cfg = o.config
  local n = o.images:size(1)
  local self = setmetatable({
    model = o.model, cfg = cfg, images = o.images, labels = o.labels, n = n, probe = o.probe,
    checkpoint_meta = o.checkpoint_meta or {},
    steps_per_epoch = (n + cfg.batch - 1) // cfg.batch,
    epoch_done = 0, steps = o.model.step, adam_state = {},
  }, Trainer)
  return self
end

local function mean(t)
  local s = 0
  for i = 1, t:numel() do s = s + t:get(i) end
  return s / t:numel()
end

-- One pass over the training images in an order drawn from (seed, epoch).
function Trainer:epoch(bar)
  local a, m = self.cfg, self.model
  self.t_start = self.t_start or sys.clock()
  local epoch = self.epoch_done + 1
  local steps_total = a.epochs * self.steps_per_epoch
  local t0 = sys.clock()
  local g = core.rng(a.seed):split(epoch)
  local recon, nb, disc_ll = 0, 0, 0
  local mom = epoch <= 5 and math.min(0.5, a.momentum) or a.momentum
  local step = self.steps
  for idx in data.batches(self.n, a.batch, g) do
    step = step + 1
    local lr = a.lr_decay == "linear" and a.lr * (1 - (step - 1) / steps_total) or a.lr
    local x = m:encode(data.take(self.images, idx), data.take(self.labels, idx))
    local r, ll = m:cd_step(x, {k = a.cd_steps, lr = lr, momentum = mom, weight_decay = a.weight_decay,
                                pcd = a.pcd, chains = a.chains, disc = a.disc, center = a.center,
                                optim = a.optim, state = self.adam_state})
    recon, disc_ll = recon + r, disc_ll + (ll or 0)
    nb = nb + 1
    if bar then bar:update{epoch = epoch, step = step} end
  end
  self.steps, self.epoch_done = step, epoch
  local secs = sys.clock() - t0
  local vx, tx = self.probe.test, self.probe.train
  local fv, ft = mean(m:free_energy(vx)), mean(m:free_energy(tx))
  local fs = m.neg and mean(m:free_energy(m.neg)) or nil
  local pn = math.sqrt(m.W:norm() ^ 2 + m.b:norm() ^ 2 + m.c:norm() ^ 2)
  local acc
  if a.disc > 0 then -- accuracy of p(y|x) on the held-out rows
    local pred, ok = m:classify(vx), 0
    for r, y in ipairs(m:labels_of(vx)) do if pred[r] == y then ok = ok + 1 end end
    acc = ok / #pred
  end
  return {epoch = epoch, step = step, data_energy = ft, sample_energy = fs, energy_gap = fs and (fs - ft) or nil,
          param_norm = pn, lr = a.lr, seconds = sys.clock() - self.t_start,
          train_log_p_y = a.disc > 0 and disc_ll / nb or nil, test_accuracy = acc,
          recon = nb > 0 and recon / nb or 0, test_free_energy = fv, train_seconds = secs}
end

-- Checkpoint: the model with its training state (momentum buffers, persistent chains,
-- centring offsets, Adam moments, update counter) and checkpoint_meta plus the epoch count.
function Trainer:save(path)
  local extra = {epochs = self.epoch_done}
  for k, v in pairs(self.checkpoint_meta) do extra[k] = v end
  self.model:save(path, extra, true, self.cfg.optim == "adam" and self.adam_state or nil)
  return path
end

-- Epochs done by the checkpointed model m (with meta, from ebm.rbm.load) when it holds the
-- state training continues from (momentum buffers; persistent chains when pcd), else nil.
function M.resumable(m, meta, pcd)
  local done = meta.extra and meta.extra.epochs
  if not (math.type(done) == "integer" and done >= 1) or (pcd and not m.neg) or not m.vW then return nil end
  return done
end

-- Continue from a checkpoint written by save: the model (with its state) replaces tr.model.
function Trainer:restore(path)
  local m, meta, adam = rbm.load(path)
  local done = M.resumable(m, meta, self.cfg.pcd)
  if not done then error(path .. " has no training state to continue from", 0) end
  self.model, self.adam_state, self.epoch_done, self.steps = m, adam or {}, done, m.step
  return meta
end

return M
