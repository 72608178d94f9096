-- ebm.digits: the digit models of scripts/train_digit.lua (one script for every model of one
-- digit or of all digits) and their sample-quality numbers.
--
--   ebm.digits.MODELS            -- ordered list {name=, kind="grid"|"latent"|"rbm", help=}
--   ebm.digits.DEFAULT           -- the model train_digit.lua trains when --model is not given
--   ebm.digits.OPTIONS           -- options beyond ebm.train.OPTIONS (same format)
--   ebm.digits.apply_defaults(cfg, given)   -- per-model defaults for options not given
--   tr, run, summary = ebm.digits.run(cfg)  -- train one model, write the run folder
--
-- Grid models (seed, potts, potts-edge, 8nbr) train through ebm.digit.run unchanged;
-- latent grid models (latent, latent-edge: ebm.latent) and the per-digit RBM (rbm: ebm.rbm)
-- train here and write the same run folder (config.json, metrics.csv, model.ckpt, samples/,
-- summary.json, report.html). Every model then gets the quality numbers of ebm.quality
-- in its own data representation (levels and binarisation), after the last epoch and every
-- --quality-every epochs: rows of metrics.csv, summary.json and a section of report.html with
-- labelled sample grids (binary samples; for latent models also the pixel probabilities
-- given the latents).
local digit = require "ebm.training.digit"
local loop = require "ebm.training.loop"
local latent = require "ebm.models.latent"
local rbm = require "ebm.models.rbm"
local rq = require "ebm.evaluation.run_quality"
local data = require "ebm.io.data"
local runmod = require "ebm.io.run"
local progress = require "ebm.io.progress"
local viz = require "ebm.io.viz"
local core = require "ebm.core"
local sys = require "ebm.interp.sys"
local ckptmod = require "ebm.io.ckpt"
local schedule = require "ebm.training.optim.schedule"

local M = {}

M.MODELS = {
  { name = "seed", kind = "grid", help = "4-neighbour grid, ordinal couplings tied per direction (the plan's model: 784*K biases + 2 weights; 3,138 at K=4)" },
  { name = "potts", kind = "grid", help = "4-neighbour grid, Potts couplings tied per direction" },
  { name = "potts-edge", kind = "grid", help = "4-neighbour grid, untied full KxK coupling per edge" },
  { name = "8nbr", kind = "grid", help = "8-neighbour grid, Potts couplings tied per direction" },
  { name = "latent", kind = "latent", help = "binary pixels + a grid of binary latents joined to pixel patches and long-range pixels (ebm.latent)" },
  { name = "latent-edge", kind = "latent", pixel_edges = true, help = "the latent grid model plus 4-neighbour pixel-pixel edges" },
  { name = "rbm", kind = "rbm", help = "a restricted Boltzmann machine of the digit (binary pixels, --hidden units; ebm.rbm)" },
}
M.BY_NAME = {}
M.NAMES = {}
for i, m in ipairs(M.MODELS) do M.BY_NAME[m.name] = m; M.NAMES[i] = m.name end

M.DEFAULT = "rbm"

-- Options of train_digit.lua beyond ebm.train.OPTIONS (the same table format).
M.OPTIONS = {
  { name = "--hidden", help = "Hidden units (--model rbm).", default = 200 },
  { name = "--latent-size", help = "Side S of the latent grid, S*S latents (--model latent*).", default = 14 },
  { name = "--patch", help = "Side P of the pixel patch each latent joins (--model latent*).", default = 4 },
  { name = "--jumps", help = "Long-range jump lengths of the latents, comma list, '' for none (--model latent*).", default = "4,8" },
  { name = "--pos-sweeps", help = "Sweeps of the latents given the data in the positive phase (--model latent*).", default = 1 },
  { name = "--quality-samples", help = "Samples judged by the quality numbers (0: no quality numbers).", default = 1000 },
  { name = "--quality-every", help = "Also measure sample quality every N epochs (0: after the last epoch only).", default = 0 },
  { name = "--classifier", help = "Classifier checkpoint of the quality numbers (scripts/train_classifier.lua).", default = "runs/classifier/mlp.ckpt" },
}

-- Per-model defaults, used for the options the command line does not give. Grid models keep
-- ebm.train's defaults. The others come from the runs in RESULTS.md (the latent model's
-- from its sweep; the RBM's CD-10 beat PCD, whose fresh chains collapsed onto one mode, and
-- 20 epochs at lr 0.02 beat 10 at 0.05: FD position median 0.085 over 7 runs against 0.177 on
-- the digit 3, and the latent model's 0.142).
M.DEFAULTS = {
  latent = { levels = 2, epochs = 30, lr = 0.02, cd_steps = 20, batch = 100, sample_sweeps = 1000, init = "random" },
  rbm = { levels = 2, epochs = 20, lr = 0.02, cd = true, cd_steps = 10, batch = 100, sample_sweeps = 1000,
    init = "marginals", weight_decay = 0.0002 },
}
M.DEFAULTS["latent-edge"] = M.DEFAULTS.latent

local INT = { hidden = true, latent_size = true, patch = true, pos_sweeps = true, quality_samples = true,
  quality_every = true }

-- Fill cfg's extra options from argparse's result `a`; returns cfg or nil, message.
function M.config_from_args(cfg, a)
  for _, o in ipairs(M.OPTIONS) do
    local key = o.name:gsub("^%-%-", ""):gsub("%-", "_")
    local v = a[key]
    if v == nil then v = o.default end
    if INT[key] then
      local x = math.tointeger(tonumber(v))
      if x == nil or x < 0 then return nil, string.format("--%s must be a non-negative integer, got '%s'", key:gsub("_", "-"), tostring(v)) end
      v = x
    end
    cfg[key] = v
  end
  if cfg.hidden < 1 or cfg.latent_size < 1 or cfg.latent_size > 28 or cfg.patch < 1 or cfg.patch > 28 or cfg.pos_sweeps < 1 then
    return nil, "--hidden, --patch, --pos-sweeps must be >= 1 and --latent-size, --patch <= 28"
  end
  local jumps = {}
  for w in tostring(cfg.jumps):gmatch("[^,]+") do
    local j = math.tointeger(tonumber(w))
    if not j or j < 1 then return nil, "--jumps must be a comma list of positive integers, got '" .. tostring(cfg.jumps) .. "'" end
    jumps[#jumps + 1] = j
  end
  cfg.jumps = jumps
  return cfg
end

-- Per-model defaults into argparse's result `a` (before ebm.train.config_from_args) for
-- every option whose flag is not in `given` (a set of "--name").
function M.apply_defaults(a, given)
  for k, v in pairs(M.DEFAULTS[a.model] or {}) do
    if not given["--" .. k:gsub("_", "-")] and not (k == "cd" and given["--pcd"]) then a[k] = v end
  end
  return a
end

-- The set of option flags on a command line (argument list), "--x=1" counted as "--x".
function M.given(args)
  local g = {}
  for _, s in ipairs(args) do
    local f = s:match("^(%-%-[%w%-]+)")
    if f then g[f] = true end
  end
  return g
end

------------------------------------------------------------------------------------------
-- Grid models: ebm.digit.run with a quality hook


local function run_grid(cfg)
  local J, why
  local last_q, qsamples
  local hooks = {
    epoch = function(tr, _)
      if J == nil then
        J, why = rq.judge(cfg, tr.train)
        if not J then J = false; if not cfg.quiet then print("quality: " .. why) end end
      end
      if J and rq.due(cfg, tr.epoch_done) then
        qsamples = tr:samples(cfg.quality_samples, cfg.sample_sweeps)
        last_q = rq.log(J, tr.run, tr.epoch_done, tr.steps, qsamples)
      end
    end,
  }
  local tr, run, summary = digit.run(cfg, hooks)
  if summary and last_q then
    rq.finish(run, last_q, J, { { images = qsamples, levels = cfg.levels, file = "quality-samples.png",
      label = string.format("samples (%d levels): fresh chains after %d Gibbs sweeps", cfg.levels, cfg.sample_sweeps) } })
  end
  return tr, run, summary
end

-- Inception Score analogue of real test images (the all-digit bracket).

------------------------------------------------------------------------------------------
-- Binary models (latent grids, RBMs): shared parts of their runs

-- Run folder, the digits filter and the thresholded training images of a config.
local function binary_setup(cfg)
  if cfg.threads then sys.set_threads(cfg.threads) end
  local out = cfg.out or ("runs/" .. (cfg.name or string.format("digit%s-%s", tostring(cfg.digit), cfg.model)))
  local digits = cfg.digit ~= "all" and { cfg.digit } or nil
  local imgs = data.mnist { split = "train", digits = digits, levels = 2, limit = cfg.limit > 0 and cfg.limit or nil }
  return out, digits, imgs
end

-- samples/epoch-NNN.png: training images, binary samples and pixel probabilities, labelled.
local function binary_picture(run, epoch, imgs, samples, probs)
  local function first(t, k) return t:narrow(1, 1, math.min(k, t:size(1))) end
  viz.rows({ { label = "data", images = first(imgs, 10), levels = 2 },
    { label = "binary", images = first(samples, 30), levels = 2, nrow = 10 },
    { label = "p(ink)", images = first(probs, 30), nrow = 10 } },
    { scale = 2, pad = 1, path = run:path("samples", string.format("epoch-%03d.png", epoch)) })
end

------------------------------------------------------------------------------------------
-- Latent grid models (ebm.latent)

-- Pixel probabilities p(v_i = 1 | latents[, neighbouring pixels]) of chains [n, C] -> f32 [C, 784].
function M.latent_probs(m, cfg, chains)
  local nv, nh = m.layers[1].n, m.layers[2].n
  local p = m:params()
  local ii, jj = latent.edges { latent = cfg.latent_size, patch = cfg.patch, jumps = cfg.jumps }
  local w = p["weight.vh"]
  local W = core.tensor_new("f32", nv, nh)
  for e = 1, #ii do W:set(ii[e], jj[e], W:get(ii[e], jj[e]) + w:get(e)) end
  local H = chains:narrow(1, nv + 1, nh):t():contiguous():to("f32")       -- [C, nh]
  local F = core.matmul(H, W, { transb = true })                     -- [C, nv]
  local b = p["bias.v"]
  local bd = b:select(2, 2):clone():sub(b:select(2, 1))                   -- [nv]
  F:add(bd:view(1, nv))
  if p["weight.vv"] then -- 4-neighbour pixel edges: add the neighbours' fields
    local V = chains:narrow(1, 1, nv):t():contiguous():to("f32")
    local wv = p["weight.vv"]
    local H2, W2 = m.height, m.width
    local Wv = core.tensor_new("f32", nv, nv)
    local e = 0
    for y = 0, H2 - 1 do
      for x = 0, W2 - 1 do
        local v = y * W2 + x + 1
        if x + 1 < W2 then e = e + 1; Wv:set(v, v + 1, wv:get(e)); Wv:set(v + 1, v, wv:get(e)) end
        if y + 1 < H2 then e = e + 1; Wv:set(v, v + W2, wv:get(e)); Wv:set(v + W2, v, wv:get(e)) end
      end
    end
    F:add(core.matmul(V, Wv))
  end
  return F:sigmoid()
end

local function run_latent(cfg, spec)
  local out, _, imgs = binary_setup(cfg)
  local m, info = latent.build { latent = cfg.latent_size, patch = cfg.patch, jumps = cfg.jumps, pixel_edges = spec.pixel_edges }
  cfg.edges = info
  local ckpt = out .. "/model.ckpt"
  if cfg.resume then
    local okm, meta = pcall(ckptmod.read_meta, ckpt)
    if not okm then digit.usage("--resume: " .. tostring(meta)) end
    local okc, w = pcall(ckptmod.check_config, meta, cfg,
      { "digit", "model", "latent_size", "patch", "cd_steps", "pos_sweeps", "batch", "limit", "seed", "lr" })
    if not okc then digit.usage("--resume: " .. tostring(w)) end
    if meta.epoch >= cfg.epochs then
      digit.usage(string.format("--resume: the run already has %d epochs; give a larger --epochs", meta.epoch))
    end
  end
  local run = runmod.new { out = out, config = cfg, seed = cfg.seed, resume = cfg.resume and true or false }
  local tr = latent.trainer { model = m, train = imgs, config = cfg }
  if cfg.resume then
    loop.resume(tr, run, ckpt)
  else
    tr:init(imgs) -- pixel biases from the data marginals, weights N(0, 0.01)
    local p = tr.params
    if cfg.init == "zero" then p["bias.v"]:zero()
    elseif cfg.init == "random" then -- larger random weights, N(0, 0.1)
      for name, w in pairs(p) do if name:match("^weight") then w:mul(10) end end
    end
    m:materialise()
  end
  local J, why = rq.judge(cfg, imgs)
  if not J and not cfg.quiet then print("quality: " .. why) end
  local q, samples, chains
  -- the shared epoch loop: a metrics row and a checkpoint after every epoch
  local res = loop.run(tr, { run = run, epochs = cfg.epochs, stop_after = cfg.stop_after, quiet = cfg.quiet,
    label = string.format("digit %s %s", tostring(cfg.digit), cfg.model),
    intro = function(_, bar)
      if cfg.quiet then return end
      bar:print(string.format("%d images of digit %s; %d pixels + %d latents, %d edges (%d local, %d long-range, " ..
        "%d pixel-pixel), %d parameters, PCD-%d, batch %d, lr %g -> %s",
        imgs:size(1), tostring(cfg.digit), info.visible, info.hidden, info.edges, info.local_edges, info.jump_edges,
        info.pixel_edges, m:nparams(), cfg.cd_steps, cfg.batch, cfg.lr, run.dir))
    end,
    on_epoch = function(_, row, bar)
      bar:print(string.format("epoch %d/%d  energy data %.1f  samples %.1f  gap %.3g  %.1f s", row.epoch, cfg.epochs,
        row.data_energy, row.sample_energy, row.energy_gap, row.seconds))
      if J and rq.due(cfg, tr.epoch_done) then
        samples, chains = tr:samples(cfg.quality_samples, cfg.sample_sweeps)
        q = rq.log(J, run, tr.epoch_done, tr.steps, samples, bar)
      end
    end })
  if res.stopped then
    res.bar:finish(string.format("stopped after epoch %d (--stop-after); continue with --resume", tr.epoch_done))
    run:close()
    return tr, run, nil
  end
  res.bar:finish()
  if not samples then samples, chains = tr:samples(100, cfg.sample_sweeps) end
  local probs = M.latent_probs(m, cfg, chains):view(chains:size(2), 28, 28)
  binary_picture(run, tr.epoch_done, imgs, samples, probs)
  local summary = {
    title = string.format("Digit %s, %s model (%dx%d latents, patch %d, jumps %s)", tostring(cfg.digit), cfg.model,
      cfg.latent_size, cfg.latent_size, cfg.patch, table.concat(cfg.jumps, ",")),
    parameters = m:nparams(), edges = info.edges, train_images = imgs:size(1), train_seconds = tr.seconds,
    threads = sys.nthreads(),
    notes = string.format("Pixels thresholded at 128. Sample grids: 'data' = training images; 'binary' = the pixels " ..
      "of fresh chains started from the biases after %d block Gibbs sweeps; 'p(ink)' = the probability of ink of " ..
      "each pixel given those chains' latents%s (the usual RBM picture).", cfg.sample_sweeps,
      spec.pixel_edges and " and neighbouring pixels" or ""),
  }
  rq.finish(run, q, J, {
    { images = samples, levels = 2, file = "quality-samples.png", label = string.format("binary samples after %d sweeps", cfg.sample_sweeps) },
    { images = probs, levels = 0, file = "quality-probs.png",
      label = "pixel probabilities given the latents" .. (spec.pixel_edges and " and neighbouring pixels" or "") },
  }, summary)
  run:close()
  return tr, run, summary
end

------------------------------------------------------------------------------------------
-- Per-digit RBM (ebm.rbm)

local function run_rbm(cfg)
  if cfg.resume then digit.usage("--resume is not supported for --model rbm (train it again: it takes seconds)") end
  local out, digits, imgs = binary_setup(cfg)
  local run = runmod.new { out = out, config = cfg, seed = cfg.seed }
  local m = rbm.new { nv = 784, K = 2, nh = cfg.hidden, seed = cfg.seed, init_sd = 0.01 }
  local x = m:encode(imgs)
  local N = x:size(1)
  if cfg.init == "marginals" then m:init_biases(x) end
  local base = m:base_rate(x)
  local J, why = rq.judge(cfg, imgs)
  if not J and not cfg.quiet then print("quality: " .. why) end
  local steps_per_epoch = (N + cfg.batch - 1) // cfg.batch
  local total = steps_per_epoch * cfg.epochs
  local bar = progress.new { total = total, epochs = cfg.epochs, quiet = cfg.quiet,
    label = string.format("digit %s rbm", tostring(cfg.digit)) }
  if not cfg.quiet then
    bar:print(string.format("%d images of digit %s; RBM 784 x %d (%d parameters), %s-%d, batch %d, lr %g -> %s",
      N, tostring(cfg.digit), cfg.hidden, 784 * cfg.hidden + 784 + cfg.hidden, cfg.pcd and "PCD" or "CD",
      cfg.cd_steps, cfg.batch, cfg.lr, run.dir))
  end
  -- the grid trainer's schedule: cosine down to 5% of --lr over the run, or constant
  local lr_at = cfg.schedule == "cosine" and schedule.cosine { lr = cfg.lr, total = total, lr_min = cfg.lr * 0.05 }
    or function() return cfg.lr end
  local step, seconds = 0, 0
  local probe = x:narrow(1, 1, math.min(N, 500))
  local q, samples, probs
  local stop = cfg.stop_after > 0 and cfg.stop_after or cfg.epochs
  for epoch = 1, math.min(cfg.epochs, stop) do
    local t0 = sys.clock()
    local mom = epoch <= 5 and 0.5 or 0.9
    for idx in data.batches(N, cfg.batch, core.rng(cfg.seed):split(1000 + epoch)) do
      step = step + 1
      m:cd_step(data.take(x, idx), { k = cfg.cd_steps, lr = lr_at(step), momentum = mom, weight_decay = cfg.weight_decay,
        pcd = cfg.pcd, chains = cfg.batch })
      bar:update { epoch = epoch, step = step }
    end
    seconds = seconds + (sys.clock() - t0)
    local fd = m:free_energy(probe):mean()
    local fs = m.neg and m:free_energy(m.neg):mean() or nil
    run:log { epoch = epoch, step = step, data_energy = fd, sample_energy = fs, energy_gap = fs and fs - fd or nil,
      param_norm = math.sqrt(m.W:norm() ^ 2 + m.b:norm() ^ 2 + m.c:norm() ^ 2), seconds = seconds }
    if J and rq.due(cfg, epoch) then
      local s, p = m:sample(cfg.quality_samples, { steps = cfg.sample_sweeps, base = base, seed = cfg.seed + 7919 })
      samples, probs = s:to("u8"):view(s:size(1), 28, 28), p:view(p:size(1), 28, 28)
      q = rq.log(J, run, epoch, step, samples, bar)
    end
  end
  bar:finish()
  m:save(run:path("model.ckpt"), { epochs = math.min(cfg.epochs, stop), protocol = "binary, threshold (pixel >= 128)",
    levels = 2, binarize = "threshold", digits = digits })
  if not samples then
    local s, p = m:sample(100, { steps = cfg.sample_sweeps, base = base, seed = cfg.seed + 7919 })
    samples, probs = s:to("u8"):view(100, 28, 28), p:view(100, 28, 28)
  end
  binary_picture(run, math.min(cfg.epochs, stop), imgs, samples, probs)
  local summary = {
    title = string.format("Digit %s, RBM with %d hidden units", tostring(cfg.digit), cfg.hidden),
    parameters = 784 * cfg.hidden + 784 + cfg.hidden, train_images = N, train_seconds = seconds,
    final_energy_gap = nil,
    notes = string.format("Pixels thresholded at 128. Sample grids: 'data' = training images; 'binary' = fresh " ..
      "chains started from the independent-pixel model after %d block Gibbs steps; 'p(ink)' = the probability of " ..
      "ink of each pixel given those chains' last hidden states (the usual RBM picture). Energies in metrics.csv " ..
      "are mean free energies of 500 training images (data) and of the persistent chains (samples).",
      cfg.sample_sweeps),
  }
  rq.finish(run, q, J, {
    { images = samples, levels = 2, file = "quality-samples.png", label = string.format("binary samples after %d Gibbs steps", cfg.sample_sweeps) },
    { images = probs, levels = 0, file = "quality-probs.png", label = "pixel probabilities given the hidden units" },
  }, summary)
  run:close()
  return m, run, summary
end

-- Train cfg.model on cfg.digit and write the run folder. Returns the trainer (or model), the
-- run and the summary (nil when stopped early).
function M.run(cfg)
  local spec = M.BY_NAME[cfg.model]
  if not spec then digit.usage("unknown --model '" .. tostring(cfg.model) .. "'") end
  if spec.kind == "grid" then return run_grid(cfg) end
  if spec.kind == "latent" then return run_latent(cfg, spec) end
  return run_rbm(cfg)
end

return M
