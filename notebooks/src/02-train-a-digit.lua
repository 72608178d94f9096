-- %% [markdown]
-- # Training a grid EBM on one digit, step by step
--
-- `scripts/train_digit.lua 3 --model potts`, opened up: a 28x28 Potts grid model with 4
-- grey levels is trained on images of the digit 3 by persistent contrastive divergence
-- (PCD-10, Adam). The script does exactly this (with more epochs and all the 3s) and writes
-- a run folder; here each part is a cell, with the curves and samples inline. (The script's
-- default model is now a per-digit RBM, which draws cleaner digits; the grid model shows
-- every step of CD training in the open.)
-- Few epochs and 3000 images keep the notebook quick.

-- %%
cfg = ebm.cli.train_config{digit = 3, model = "potts", levels = 4, epochs = 8,
                            limit = 3000, seed = 1, quiet = true}
{epochs = cfg.epochs, batch = cfg.batch, lr = cfg.lr, cd_steps = cfg.cd_steps, pcd = cfg.pcd}

-- %% [markdown]
-- ## The data
-- The 3s, discretised to 4 levels (`floor(pixel * 4 / 256)`), 10% held out for validation.

-- %%
train_x, valid_x = ebm.digit.load(cfg)
print(train_x:size(1) .. " training and " .. valid_x:size(1) .. " validation images")
ebm.display(train_x:narrow(1, 1, 20), {nrow = 10, scale = 2, levels = 4})

-- %% [markdown]
-- ## The model
-- Biases start at the log frequencies of each pixel's levels (the independent-pixel model);
-- the Potts couplings (one per direction) start at zero.

-- %%
m = ebm.train.build_model(cfg)
ebm.train.init_params(m, cfg, train_x)
baseline = ebm.train.pll_per_pixel(m, valid_x, 1)
print(string.format("%d parameters; independent-pixel validation pseudo-log-likelihood %.4f nats/pixel",
                    m:nparams(), baseline))

-- %% [markdown]
-- ## One update
-- `tr:step(batch)` is one PCD update: statistics of the batch, 10 block Gibbs sweeps of the
-- persistent chains, statistics of the chains, the gradient (their difference, mapped to each
-- parameter) and an Adam step.

-- %%
curve = {step = {}, gap = {}}
tr = ebm.train.trainer{model = m, train = train_x, valid = valid_x, config = cfg,
  on_step = function(t, s)
    curve.step[#curve.step + 1] = t.steps
    curve.gap[#curve.gap + 1] = s.sample_energy - s.data_energy
  end}
batch = ebm.data.take(train_x, ebm.arange(1, cfg.batch + 1))
tr:step(batch)

-- %% [markdown]
-- ## Epochs
-- Each epoch is a shuffled pass over the training images; after each, the validation
-- pseudo-log-likelihood and fresh samples (30 chains from the biases, 200 sweeps).

-- %%
pll = {}
local t0 = ebm.sys.clock()
while tr.epoch_done < cfg.epochs do
  local row = tr:epoch()
  pll[#pll + 1] = row.valid_pll
  print(string.format("epoch %d  valid pll/pixel %.4f (baseline %.4f)  gap %.3g",
                      tr.epoch_done, row.valid_pll, baseline, row.energy_gap))
end
print(string.format("%.1f s for %d epochs", ebm.sys.clock() - t0, cfg.epochs))

-- %%
ebm.plot.lines{path = ebm.display.figure("gap"), title = "energy gap (samples - data) per update",
               xlabel = "update", ylabel = "energy", width = 640, height = 320,
               series = {{name = "gap", x = curve.step, y = curve.gap}}}

-- %%
ebm.plot.lines{path = ebm.display.figure("pll"), title = "validation pseudo-log-likelihood per pixel",
               xlabel = "epoch", ylabel = "nats / pixel", width = 640, height = 320,
               series = {{name = "model", y = pll, style = "linespoints"},
                         {name = "independent pixels", x = {1, cfg.epochs}, y = {baseline, baseline}}}}

-- %% [markdown]
-- ## Samples
-- Fresh chains of the trained model, and the persistent chains the training used.

-- %%
samples = tr:samples(30, cfg.sample_sweeps)
ebm.display(samples, {nrow = 10, scale = 2, levels = 4})

-- %%
local n = 10
ebm.display(tr.chains:narrow(2, 1, n):t():contiguous():view(n, 28, 28), {nrow = 10, scale = 2, levels = 4})

-- %% [markdown]
-- The learned couplings (one per direction: horizontal and vertical neighbours):

-- %%
m:params()["weight.pair"]
