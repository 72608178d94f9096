-- ebm.training.digit (ebm.digit): the digit job behind scripts/train_digit.lua and
-- scripts/train_all_digits.lua: load one digit's images, build the preset grid model, train
-- it with ebm.train's Trainer and write the run folder (metrics, samples, checkpoint each
-- epoch, plots, report), resuming from a checkpoint when asked.
--
--   tr, run, summary = ebm.digit.run(cfg[, hooks])   -- cfg from ebm.cli.train_config
--   train_x, valid_x = ebm.digit.load(cfg)            -- the images of cfg.digit, split
--
-- Bad input (a missing or mismatched checkpoint) raises an ebm.cli usage error: scripts
-- print it on one line and exit 2.
local train = require "ebm.training.train"
local loop = require "ebm.training.loop"
local presets = require "ebm.models.presets"
local data = require "ebm.io.data"
local ckpt = require "ebm.io.ckpt"
local run_folder = require "ebm.io.run"
local report = require "ebm.io.report"
local viz = require "ebm.io.viz"
local sys = require "ebm.interp.sys"
local threads = require "ebm.interp.threads"
local cli = require "ebm.interp.cli"
local lfs = require "lfs"

local M = {}

-- A user's mistake (e.g. a missing checkpoint): a usage error (ebm.cli), which the scripts
-- print as one line before exiting with status 2.
local function usage(msg) cli.usage("%s", cli.oneline(msg)) end
M.usage = usage

-- Load the images of cfg.digit (u8 [N, 28, 28], levels cfg.levels), split train/valid.
function M.load(cfg)
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
function M.run(cfg, hooks)
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
  local train_x, valid_x = M.load(cfg)
  t_load = sys.clock() - t_load
  local m = presets.build(cfg)
  local run = run_folder.new { out = out, config = cfg, seed = cfg.seed, resume = cfg.resume and true or false }
  local tr = train.trainer { model = m, train = train_x, valid = valid_x, config = cfg, run = run }
  if ckpt_path then loop.resume(tr, run, ckpt_path) else train.init_params(m, cfg, train_x) end
  -- the independent-pixel baseline: biases from the training marginals, no couplings
  local indep = presets.build(cfg)
  train.marginal_biases(indep, train_x)
  local baseline_pll = train.pll_per_pixel(indep, valid_x, 1)
  local seconds = tr.seconds -- training seconds (tr.seconds) per epoch, for the epoch line
  local res = loop.run(tr, { run = run, epochs = cfg.epochs, stop_after = cfg.stop_after,
    quiet = cfg.quiet, label = string.format("digit %s %s K=%d", tostring(cfg.digit), cfg.model, cfg.levels),
    intro = function(_, bar)
      if cfg.quiet then return end
      bar:print(string.format("%s: %d train / %d valid images (loaded in %.2f s), %d parameters, %s%d, batch %d, %s lr %g -> %s",
        M.run_name(cfg), train_x:size(1), valid_x and valid_x:size(1) or 0, t_load, m:nparams(),
        cfg.pcd and "PCD-" or "CD-", cfg.cd_steps, cfg.batch, cfg.optim, cfg.lr, run.dir))
    end,
    on_epoch = function(_, row, bar)
      local secs = tr.seconds - seconds
      seconds = tr.seconds
      M.write_samples(tr, run, train_x)
      bar:print(string.format("epoch %d/%d  valid pll/pixel %.4f (baseline %.4f)  gap %.3g  %.2f s",
        tr.epoch_done, cfg.epochs, row.valid_pll or 0 / 0, baseline_pll or 0 / 0, row.energy_gap or 0 / 0, secs))
      if hooks.epoch then hooks.epoch(tr, row) end
    end })
  local last = res.rows[#res.rows]
  local bar = res.bar
  if res.stopped then
    bar:finish(string.format("stopped after epoch %d (--stop-after); continue with --resume", tr.epoch_done))
    run:close()
    return tr, run, nil
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

-- plots/: curves of metrics.csv, parameter histograms, and the energies of (up to) 500
-- training images against those of 200 fresh model samples.
function M.write_plots(tr, run, train_x)
  local n = math.min(500, train_x:size(1))
  local de = tr.model:energy(train_x:narrow(1, 1, n))
  local _, chains = tr:samples(math.min(200, n), tr.cfg.sample_sweeps)
  local se = tr.model:energy(chains)
  report.training_plots(run, { model = tr.model, data_energy = de, sample_energy = se, sweeps = tr.cfg.sample_sweeps })
end

return M
