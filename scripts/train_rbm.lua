-- train_rbm.lua - train a restricted Boltzmann machine on MNIST with CD-k or PCD-k and
-- write a run folder (config.json, metrics.csv, model.ckpt, samples/).
--
--   ebmlua scripts/train_rbm.lua --hidden 500 --epochs 20 --out runs/rbm500
--   ebmlua scripts/train_rbm.lua --pcd --chains 100 --cd-steps 1 --epochs 50
--   ebmlua scripts/train_rbm.lua --labels --hidden 500 --epochs 30 --out runs/rbm-cond
--   ebmlua scripts/train_rbm.lua --levels 4 --hidden 500
local ebm = require "ebm"
local cli = ebm.cli

local p = cli.parser("train_rbm.lua", "Train an RBM (binary or K-level visible units, optional label units) on MNIST.")
p:epilog([[
Data protocol: --levels 2 with --binarize stochastic (default) draws each pixel once as
Bernoulli(pixel/255) with Philox key --data-seed (the fixed binarisation likelihood papers
use); --binarize threshold keeps pixels >= 128. --levels 4 cuts at 64/128/192.
The checkpoint model.ckpt in the run folder is what scripts/evaluate.lua reads.]])
p:option("--hidden", "Hidden units.", "500"):convert(cli.int(1, 1000000))
p:option("--epochs", "Passes over the training set.", "10"):convert(cli.posint)
p:option("--batch", "Examples per update.", "100"):convert(cli.posint)
p:option("--lr", "Learning rate.", "0.05"):convert(cli.number { above = 0 })
p:option("--lr-decay", "Learning-rate schedule: none or linear (to 0 at the last update).", "none")
   :choices {"none", "linear"}
p:option("--cd-steps", "Gibbs steps k per update (CD-k / PCD-k).", "1"):convert(cli.posint)
p:flag("--pcd", "Persistent chains instead of chains started at the data.")
p:option("--chains", "Persistent chains (with --pcd).", "100"):convert(cli.posint)
p:option("--optim", "Update rule: momentum or adam.", "momentum"):choices {"momentum", "adam"}
p:option("--momentum", "Momentum (after the first 5 epochs; 0.5 before).", "0.9"):convert(cli.number { min = 0, below = 1 })
p:option("--weight-decay", "L2 weight decay on W.", "0.0002"):convert(cli.number { min = 0 })
p:option("--init-sd", "Standard deviation of the initial weights.", "0.01"):convert(cli.number { min = 0 })
p:option("--levels", "Grey levels per pixel: 2 or 4.", "2"):convert(cli.int(2, 4)):choices {"2", "4"}
p:option("--binarize", "With --levels 2: stochastic or threshold.", "stochastic"):choices {"stochastic", "threshold"}
p:option("--data-seed", "Seed of the stochastic binarisation.", "0"):convert(cli.int())
p:flag("--labels", "Add 10 softmax label units joined to the hidden layer (class-conditional).")
p:option("--disc", "With --labels: weight of the discriminative term log p(y|x) added to the generative gradient (hybrid training, Larochelle & Bengio 2008).", "0")
   :convert(cli.number { min = 0 })
p:flag("--center", "Centred gradient (offsets: data means for the visible units, a moving average of <h>_data for the hidden units).")
p:option("--digits", "Train on these digits only, e.g. 3 or 0,1,7.")
p:option("--limit", "Use at most this many training images."):convert(cli.posint)
p:option("--seed", "Seed of initialisation, batches and chains.", "1"):convert(cli.int())
p:option("--sample-steps", "Gibbs steps for the sample grid written each epoch.", "1000"):convert(cli.int())
p:option("--out", "Run folder (default runs/rbm-<time>)."):convert(cli.outdir)
p:option("--threads", cli.THREADS_HELP):convert(cli.int(1, 1024))
p:flag("--quiet", "No progress output.")
p:flag("--resume", "Continue the run in --out from its model.ckpt (written every 5 epochs with the full training " ..
  "state); the options that define the model, the data and the updates must be the same.")

local a = cli.parse(p)
local digits
cli.main(function()
  if a.digits then
    local err
    digits, err = cli.list(cli.int(0, 9))(a.digits)
    if not digits then cli.usage("--digits: %s", err) end
  end
  if a.disc > 0 and not a.labels then cli.usage("--disc needs --labels") end
  if a.resume and not a.out then cli.usage("--resume needs --out (the run folder to continue)") end
  if a.resume and not cli.file(a.out .. "/model.ckpt") then cli.usage("--resume: no checkpoint %s/model.ckpt", a.out) end
  -- the largest buffers: f32 [batch (at most the 60000 images) or chains, 784 + 10] states and
  -- [.., hidden] activations, a few each
  local rows = math.max(math.min(a.batch, 60000), a.pcd and a.chains or 0)
  cli.fits(4 * 4 * rows * (794 + a.hidden), string.format("--batch %d / --chains %d / --hidden %d", a.batch, a.chains, a.hidden))
  cli.fits(4 * 3 * 794 * a.hidden, "--hidden " .. a.hidden)
end)
a.out = a.out or ("runs/" .. os.date("!rbm-%Y%m%d-%H%M%S"))

cli.main(function()
  ebm.sys.set_threads(a.threads)

  -- Resuming: the checkpoint's run must agree on everything that defines the model, the
  -- data and the updates (--epochs may grow; the linear decay then follows the new total).
  local start_epoch = 1
  ebm.run.lock(a.out) -- own the run folder before loading anything
  if a.resume then
    local ck = a.out .. "/model.ckpt"
    local okl, m0, meta0 = pcall(ebm.rbm.load, ck)
    if not okl then cli.fail("--resume: cannot read %s: %s", ck, cli.oneline(m0)) end
    local old = ebm.run.read_json(a.out .. "/config.json")
    old = old and old.config
    if not old then cli.fail("--resume: %s/config.json is missing or unreadable", a.out) end
    local okc, why = pcall(ebm.ckpt.check_config, {config = old}, a,
      {"hidden", "batch", "lr", "lr_decay", "cd_steps", "pcd", "chains", "optim", "momentum", "weight_decay", "init_sd",
       "levels", "binarize", "data_seed", "labels", "digits", "limit", "seed", "disc", "center"})
    if not okc then cli.usage("--resume: %s (%s)", cli.oneline(why), a.out) end
    local done = ebm.rbm_trainer.resumable(m0, meta0, a.pcd)
    if not done then cli.fail("--resume: %s has no training state to continue from", ck) end
    if done >= a.epochs then cli.usage("--resume: the run already has %d epochs; give a larger --epochs", done) end
    start_epoch = done + 1
  end

  -- Data --------------------------------------------------------------------------------
  local K = a.levels
  local dopt = {split = "train", levels = K, digits = digits, limit = a.limit}
  if K == 2 then dopt.binarize, dopt.seed = a.binarize, a.data_seed end
  local images, labels = ebm.data.mnist(dopt)
  local n = images:size(1)
  if n == 0 then cli.usage("no training images (--digits %s, --limit %s)", a.digits or "all", tostring(a.limit)) end
  dopt.split, dopt.limit = "test", 1000
  local vimages, vlabels = ebm.data.mnist(dopt)

  local m = ebm.rbm.new{nv = 784, K = K, nl = a.labels and 10 or 0, nh = a.hidden, seed = a.seed, init_sd = a.init_sd}
  local vx = m:encode(vimages, vlabels)
  local tx = m:encode(ebm.data.take(images, ebm.arange(1, math.min(n, 1000) + 1)),
                      ebm.data.take(labels, ebm.arange(1, math.min(n, 1000) + 1)))
  local base = m:base_rate(tx)
  if not a.resume then -- visible biases from the base rates of (up to) 10000 training images
    local first = ebm.arange(1, math.min(n, 10000) + 1)
    local x0 = m:encode(ebm.data.take(images, first), ebm.data.take(labels, first))
    m:init_biases(x0)
    if a.center then m:init_centering(x0) end
  end

  local run = ebm.run.new{out = a.out, config = a, seed = a.seed,
                          resume = a.resume}
  run.meta.data = {protocol = K == 2 and ("binary, " .. a.binarize .. (a.binarize == "stochastic" and
    (" (Philox seed " .. a.data_seed .. ")") or " (pixel >= 128)")) or "4 levels (cuts 64/128/192)", n_train = n}
  run:save_config()

  local tr = ebm.rbm_trainer.new{model = m, images = images, labels = labels, config = a, probe = {train = tx, test = vx},
    checkpoint_meta = {protocol = run.meta.data.protocol, levels = K, binarize = K == 2 and a.binarize or nil,
                       data_seed = a.data_seed, digits = digits, limit = a.limit}}
  if a.resume then -- the checkpoint's model, chains, optimiser state and counters replace the fresh ones
    local okr, why = pcall(ebm.loop.resume, tr, run, a.out .. "/model.ckpt")
    if not okr then cli.usage("--resume: %s", cli.oneline(why)) end
  end

  -- Sample grid: 10 rows (one per digit when the model has labels), mean-field last step.
  local function write_samples(epoch)
    if not ebm.viz then return nil end
    local mm = tr.model
    local lab
    if mm.nl > 0 then
      lab = {}
      for r = 0, 99 do lab[r + 1] = r // 10 end
    end
    local s = mm:sample(100, {steps = a.sample_steps, label = lab, base = base, mean = true, seed = a.seed + epoch})
    local path = run:path("samples", string.format("epoch-%03d.png", epoch))
    ebm.viz.grid(mm:images(s), {path = path, nrow = 10, levels = 0})
    return path
  end

  local t_start = ebm.sys.clock()
  local curves = {train = {}, test = {}, chains = {}, recon = {}}
  for e = 1, start_epoch - 1 do -- epochs of an earlier process: not in this plot
    curves.train[e], curves.test[e], curves.chains[e], curves.recon[e] = 0 / 0, 0 / 0, 0 / 0, 0 / 0
  end
  -- the shared epoch loop: metrics.csv rows, a checkpoint every 5 epochs and at the end
  local res = ebm.loop.run(tr, {run = run, epochs = a.epochs, checkpoint_every = 5, quiet = a.quiet, label = "rbm",
    on_epoch = function(_, row, bar)
      local epoch, ft, fv, fs = row.epoch, row.data_energy, row.test_free_energy, row.sample_energy
      curves.train[epoch], curves.test[epoch], curves.chains[epoch] = ft, fv, fs or 0/0
      curves.recon[epoch] = row.recon
      local acc = row.test_accuracy
      bar:print(string.format("epoch %d: %.2f s, recon %.4f, F(train) %.2f, F(test) %.2f (gap %.2f)%s%s", epoch,
        row.train_seconds, row.recon, ft, fv, fv - ft, fs and string.format(", F(chains) %.2f", fs) or "",
        acc and string.format(", log p(y|x) %.4f, test accuracy %.1f%%", row.train_log_p_y, 100 * acc) or ""))
      if epoch == a.epochs or epoch % 5 == 0 then write_samples(epoch) end
    end})
  res.bar:finish(string.format("done in %.1f s", ebm.sys.clock() - t_start))
  local epoch_times = {}
  for i, r in ipairs(res.rows) do epoch_times[i] = r.train_seconds end
  table.sort(epoch_times)
  local med = epoch_times[(#epoch_times + 1) // 2]
  run.meta.timing = {median_epoch_s = med, threads = a.threads or "auto", load = {ebm.sys.loadavg()}}
  run:save_config()
  -- Plot of the free energies and the report page (best effort: gnuplot may be missing).
  local series = {{name = "F(train images)", y = curves.train}, {name = "F(test images)", y = curves.test}}
  if a.pcd then series[#series + 1] = {name = "F(persistent chains)", y = curves.chains} end
  local okplot, perr = pcall(ebm.plot.lines, {path = run:path("plots", "free_energy.png"), series = series,
    xlabel = "epoch", ylabel = "mean free energy (nats)", title = "RBM free energies"})
  if not okplot and not a.quiet then print("note: no plot (" .. tostring(perr):gsub("\n.*", "") .. ")") end
  pcall(ebm.report.write, run.dir, {title = string.format("RBM %d hidden%s", a.hidden, a.labels and " + labels" or ""),
    summary = {median_epoch_s = med, data = run.meta.data.protocol, final_F_train = curves.train[a.epochs],
               final_F_test = curves.test[a.epochs]},
    notes = "Log-likelihood: run scripts/evaluate.lua " .. run:path("model.ckpt") .. " --ais"})
  print(string.format("median epoch %.2f s (%s threads, load %.2f); run folder %s", med, a.threads or "auto",
    (ebm.sys.loadavg()), run.dir))
  run:close()
end)
