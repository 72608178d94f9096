-- train_latent_grid.lua - train a latent-grid EBM (binary pixels + a grid of binary latent
-- units joined by sparse local and long-range edges, built with ebm.model) on one MNIST
-- digit with persistent CD, writing a run folder (config.json, metrics.csv, model.ckpt,
-- samples/, report.html).
--
--   ebmlua scripts/train_latent_grid.lua --digit 3
--   ebmlua scripts/train_latent_grid.lua --latent-size 28 --patch 3 --jumps 4,8 --epochs 40
local argparse = require "argparse"
local ebm = require "ebm"

local die = ebm.sys.usage_exit("train_latent_grid.lua")

local p = argparse("train_latent_grid.lua",
  "Train a latent-grid EBM (pixels + a grid of latent units with local and long-range edges) on one MNIST digit.")
p:epilog([[
Latent (r, c) of an SxS latent grid (--latent-size S) sits over pixel floor((r-0.5)*28/S),
joins the PxP pixel patch around it (--patch P) and the pixels at (0,+-J), (+-J,0) from it
for each J of --jumps (comma list, '' for none). One untied weight per edge. Pixels are
thresholded at 128. Negative phase: --batch persistent chains, --cd-steps sweeps per update;
positive phase: hidden units sampled with the pixels clamped to the data.
Pseudo-log-likelihood is not reported (not meaningful with latents): metrics are the mean
energies of (data, sampled latents) and of the negative chains.
The run folder is runs/latent-digit<D>-s<S>-p<P> unless --out is given.]])
p:option("--digit", "Digit to model (0-9).", "3")
p:option("--epochs", "Passes over the training images.", "30")
p:option("--latent-size", "Side S of the latent grid (S*S latent units).", "14")
p:option("--patch", "Side P of the pixel patch each latent sees.", "4")
p:option("--jumps", "Long-range jump lengths, comma separated ('' for none).", "4,8")
p:option("--lr", "Adam learning rate (cosine decay to 5%).", "0.01")
p:option("--cd-steps", "Gibbs sweeps of the persistent chains per update.", "5")
p:option("--pos-sweeps", "Sweeps of the latent units given the data (1 is exact).", "1")
p:option("--batch", "Images per update and number of persistent chains.", "100")
p:option("--limit", "Use at most this many images (0: all).", "0")
p:option("--sample-sweeps", "Gibbs sweeps of the fresh chains in the sample grid.", "1000")
p:option("--seed", "Seed of every random choice.", "1")
p:option("--out", "Run folder (instead of runs/NAME).")
p:option("--classifier", "Classifier checkpoint (scripts/train_classifier.lua) judging --judge samples, if the file exists.",
  "runs/classifier/mlp.ckpt")
p:option("--judge", "Fresh long chains classified by --classifier.", "200")
p:option("--threads", "OpenMP threads (default: all cores).")
p:flag("--pixel-edges", "Also join 4-neighbour pixels (one untied weight per edge).")
p:flag("--quiet", "No progress output.")
p:option("--stop-after", "Stop after this epoch (the learning-rate schedule still spans --epochs); continue later with --resume.")
p:flag("--resume", "Continue the run in the run folder from its model.ckpt (written after every epoch); --epochs may grow, the options that define the model and the updates must stay.")

local okp, a = p:pparse()
if not okp then die(a) end
local cfg = {}
local function int(key, lo, hi)
  local v = math.tointeger(tonumber(a[key]))
  local flag = "--" .. key:gsub("_", "-")
  if v == nil then die(string.format("%s must be an integer, got '%s'", flag, tostring(a[key]))) end
  if v < lo or (hi and v > hi) then die(string.format("%s must be in %d..%s, got %d", flag, lo, hi and tostring(hi) or "", v)) end
  cfg[key] = v
end
int("digit", 0, 9); int("epochs", 1); int("latent_size", 1, 28); int("patch", 1, 28); int("cd_steps", 1)
int("pos_sweeps", 1); int("judge", 1); int("batch", 1); int("limit", 0); int("sample_sweeps", 0); int("seed", 0)
if a.threads then int("threads", 1, 1024) end
if a.stop_after then int("stop_after", 1) end
cfg.lr = tonumber(a.lr)
if not cfg.lr or not (cfg.lr > 0) then die("--lr must be a positive number, got '" .. tostring(a.lr) .. "'") end
cfg.jumps = {}
for w in tostring(a.jumps):gmatch("[^,]+") do
  local j = math.tointeger(tonumber(w))
  if not j or j < 1 then die("--jumps must be a comma list of positive integers, got '" .. a.jumps .. "'") end
  cfg.jumps[#cfg.jumps + 1] = j
end
cfg.quiet = a.quiet or nil
cfg.classifier = a.classifier
cfg.pixel_edges = a.pixel_edges or nil
cfg.out = a.out or string.format("runs/latent-digit%d-s%d-p%d", cfg.digit, cfg.latent_size, cfg.patch)

local function main()
  if cfg.threads then ebm.threads(cfg.threads) end
  local imgs = ebm.data.mnist { split = "train", digits = { cfg.digit }, levels = 2, binarize = "threshold",
    limit = cfg.limit > 0 and cfg.limit or nil }
  local m, info = ebm.latent.build { latent = cfg.latent_size, patch = cfg.patch, jumps = cfg.jumps, pixel_edges = cfg.pixel_edges }
  cfg.edges = info
  local ckpt = cfg.out .. "/model.ckpt"
  if a.resume then
    local okm, meta = pcall(ebm.ckpt.read_meta, ckpt)
    if not okm then die("--resume: " .. tostring(meta)) end
    local okc, why = pcall(ebm.ckpt.check_config, meta, cfg,
      { "digit", "latent_size", "patch", "cd_steps", "pos_sweeps", "batch", "limit", "seed", "lr", "pixel_edges" })
    if not okc then die("--resume: " .. tostring(why)) end
    if meta.epoch >= cfg.epochs then
      die(string.format("--resume: the run already has %d epochs; give a larger --epochs", meta.epoch))
    end
  end
  local run = ebm.run.new { out = cfg.out, config = cfg, seed = cfg.seed, resume = a.resume }
  local tr = ebm.latent.trainer { model = m, train = imgs, config = cfg }
  if a.resume then
    local okr, why = pcall(ebm.loop.resume, tr, run, ckpt) -- a bad checkpoint is a usage error
    if not okr then die("--resume: " .. tostring(why)) end
  else
    tr:init(imgs)
  end
  -- the shared loop: metrics row and checkpoint every epoch, so that --resume loses at most one
  local res = ebm.loop.run(tr, { run = run, epochs = cfg.epochs, stop_after = cfg.stop_after, quiet = cfg.quiet, label = string.format("latent digit %d", cfg.digit),
    intro = function(_, b)
      b:print(string.format("%d images of digit %d; %d pixels + %d latents, %d edges (%d local, %d long-range, %d pixel-pixel), %d parameters -> %s",
        imgs:size(1), cfg.digit, info.visible, info.hidden, info.edges, info.local_edges, info.jump_edges, info.pixel_edges, m:nparams(), run.dir))
    end,
    on_epoch = function(_, row, b)
      b:print(string.format("epoch %d/%d  energy data %.1f  samples %.1f  gap %.3g  %.1f s", row.epoch, cfg.epochs,
        row.data_energy, row.sample_energy, row.energy_gap, row.seconds))
    end })
  local bar = res.bar
  bar:finish()
  -- sample grid: data, fresh long chains (visible layer), persistent chains
  local count = 30
  local samples, chains = tr:samples(count, cfg.sample_sweeps)
  local real = imgs:narrow(1, 1, math.min(10, imgs:size(1)))
  local nv = info.visible
  local pcd = tr.chains:narrow(2, 1, math.min(10, tr.chains:size(2)))
  local np = pcd:size(2)
  pcd = pcd:narrow(1, 1, nv):t():contiguous():view(np, 28, 28)
  local png = run:path("samples", string.format("epoch-%03d.png", tr.epoch_done))
  ebm.viz.rows({ { label = "data", images = real, levels = 2 },
    { label = "model", images = samples, levels = 2, nrow = 10 },
    { label = "pcd", images = pcd, levels = 2 } }, { scale = 2, pad = 1, path = png })
  -- honest figures: energies of (data, latents | data) vs long-chain samples; ink fraction
  local n = math.min(500, imgs:size(1))
  local dc = tr:clamped_chains(imgs:narrow(1, 1, n))
  tr.sampler:sweep(dc, { n = cfg.pos_sweeps, clamp = tr.clamp })
  local de = m:energy(dc):mean()
  local se = m:energy(chains):mean()
  local ink_data = imgs:narrow(1, 1, n):to("f32"):mean()
  local ink_model = samples:to("f32"):mean()
  local summary = {
    title = string.format("Latent grid model, digit %d (%dx%d latents, patch %d, jumps %s)", cfg.digit,
      cfg.latent_size, cfg.latent_size, cfg.patch, table.concat(cfg.jumps, ",")),
    parameters = m:nparams(), edges = info.edges, train_images = imgs:size(1),
    mean_energy_data = de, mean_energy_samples = se, ink_data = ink_data, ink_samples = ink_model,
    train_seconds = tr.seconds,
    notes = string.format("'data' = training images; 'model' = %d fresh chains from the biases after %d sweeps " ..
      "(pixels shown, latents hidden); 'pcd' = persistent chains. Energies are of joint states: " ..
      "data with latents drawn given the pixels vs the fresh chains. Pixels thresholded at 128.", count, cfg.sample_sweeps),
  }
  -- the classifier's verdict on --judge fresh chains (visible layers), when it exists
  if require("lfs").attributes(cfg.classifier, "mode") == "file" then
    local okc, net = pcall(ebm.eval.load_classifier, cfg.classifier)
    if not okc then error(net, 0) end
    local judged = tr:samples(cfg.judge, cfg.sample_sweeps, cfg.seed + 104729)
    local pred = net:predict(ebm.classifier.inputs(judged, 1)):totable()
    local hit = 0
    for _, y in ipairs(pred) do if y == cfg.digit then hit = hit + 1 end end
    local real = net:predict(ebm.classifier.inputs(imgs:narrow(1, 1, n), 1)):totable()
    local rhit = 0
    for _, y in ipairs(real) do if y == cfg.digit then rhit = rhit + 1 end end
    -- bracket from below: samples of the independent-pixel model of the same images
    local N = imgs:size(1)
    local pm = imgs:contiguous():view(N, nv):to("f32"):sum(1):view(nv):div(N):totable()
    local u = ebm.zeros({ cfg.judge, nv }, "f32"):uniform(ebm.rng(cfg.seed):split(31), 0, 1):totable()
    local ind = ebm.zeros({ cfg.judge, nv }, "u8")
    for r = 1, cfg.judge do for i = 1, nv do if u[r][i] < pm[i] then ind:set(r, i, 1) end end end
    local ihit = 0
    for _, y in ipairs(net:predict(ebm.classifier.inputs(ind:view(cfg.judge, 28, 28), 1)):totable()) do
      if y == cfg.digit then ihit = ihit + 1 end
    end
    summary.classified_as_digit_independent = ihit / cfg.judge
    summary.classified_as_digit = hit / #pred
    summary.classified_as_digit_data = rhit / #real
    summary.classifier = cfg.classifier
    print(string.format("classifier %s: %.1f%% of %d samples (%d sweeps) read as %d (training images: %.1f%%; " ..
      "independent-pixel samples: %.1f%%)", cfg.classifier, 100 * hit / #pred, #pred, cfg.sample_sweeps, cfg.digit,
      100 * rhit / #real, 100 * ihit / cfg.judge))
  end
  ebm.run.write_json(run:path("summary.json"), summary)
  ebm.report.write(run.dir, { summary = summary })
  run:close()
  print(string.format("mean energy: data %.2f, samples %.2f; ink fraction: data %.3f, samples %.3f; %.1f s training; %s",
    de, se, ink_data, ink_model, tr.seconds, png))
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
