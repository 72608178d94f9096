-- %% [markdown]
-- # RBM likelihoods: exact log Z against AIS, and class-conditional samples
--
-- A restricted Boltzmann machine with few hidden units has a partition function that can
-- be summed exactly (over the 2^nh hidden states), so it is the place to check annealed
-- importance sampling (AIS), the estimator used for the big models. Then an RBM with a
-- softmax label group draws digits of a chosen class. Models are small and trained briefly
-- so the notebook runs in seconds.

-- %%
ebm.threads(1)      -- results bit-identical for any thread count; 1 keeps the run quiet
train, train_y = ebm.data.mnist{split = "train", levels = 2, limit = 6000}
test = ebm.data.mnist{split = "test", levels = 2, limit = 1000}
train:size(), test:size()

-- %% [markdown]
-- ## A small RBM, trained with CD-1
-- 784 binary visible units, 16 hidden units; visible biases start at the base-rate
-- log-odds.

-- %%
m = ebm.rbm.new{nv = 784, K = 2, nh = 16, seed = 1}
x = m:encode(train)
xt = m:encode(test)
m:init_biases(x)
local t0 = ebm.sys.clock()
for epoch = 1, 5 do
  local err = 0
  for idx in ebm.data.batches(x:size(1), 100, ebm.rng(epoch)) do
    err = err + m:cd_step(ebm.data.take(x, idx), {k = 1, lr = 0.05, momentum = 0.9, weight_decay = 2e-4})
  end
  print(string.format("epoch %d  reconstruction error %.2f", epoch, err / (x:size(1) / 100)))
end
print(string.format("%.1f s", ebm.sys.clock() - t0))

-- %% [markdown]
-- ## Exact log Z against AIS
-- `m:exact_logz()` enumerates the 65,536 hidden states. AIS anneals 100 chains from the
-- base-rate model (whose log Z is known) to the RBM; its estimate comes with a +-3 standard
-- error interval. More intermediate distributions give a tighter estimate.

-- %%
exact = m:exact_logz()
base = m:base_rate(x)
rows = {{method = "exact (enumeration)", ["log Z"] = string.format("%.3f", exact), interval = "", ["test log p(x)"] = string.format("%.3f", ebm.ais.loglik(m, xt, exact))}}
for _, nb in ipairs{100, 300, 1000} do
  local r = ebm.ais.logz(m, {base = base, betas = nb, runs = 100, seed = 1})
  rows[#rows + 1] = {method = string.format("AIS, %d betas", nb), ["log Z"] = string.format("%.3f", r.logz),
                     interval = string.format("[%.3f, %.3f]", r.lo, r.hi),
                     ["test log p(x)"] = string.format("%.3f", ebm.ais.loglik(m, xt, r.logz))}
end
ebm.display(rows, {columns = {"method", "log Z", "interval", "test log p(x)"}})

-- %% [markdown]
-- An interval starting at -inf means the mean importance weight minus 3 standard errors is
-- below zero: too few betas for a two-sided bound. Test log-likelihoods are in nats per image. With 16 hidden units the model is weak
-- (the big models in RESULTS.md reach about -86); the point here is that AIS agrees with the
-- exact value, and how its error shrinks with the number of betas.

-- %% [markdown]
-- ## Class-conditional samples
-- An RBM whose hidden layer also connects to 10 softmax label units (Hinton 2006). Clamping
-- the label and running block Gibbs draws images of that digit. 100 hidden units and 6
-- epochs of CD-1 with a discriminative term (`disc = 20`: 20 times the gradient of
-- log p(label | image), hybrid training as in Larochelle & Bengio 2008): quick, so the
-- digits are rough. Without it, and with every chain started from the same base-rate model,
-- the chains of this small model all drift to 0s.

-- %%
lm = ebm.rbm.new{nv = 784, K = 2, nh = 100, nl = 10, seed = 2}
xl = lm:encode(train, train_y)
lm:init_biases(xl)
local t0 = ebm.sys.clock()
for epoch = 1, 6 do
  for idx in ebm.data.batches(xl:size(1), 100, ebm.rng(100 + epoch)) do
    lm:cd_step(ebm.data.take(xl, idx), {k = 1, lr = 0.05, momentum = 0.9, weight_decay = 2e-4, disc = 20})
  end
end
print(string.format("trained in %.1f s", ebm.sys.clock() - t0))

-- %% [markdown]
-- Each digit's chains start from that digit's independent-pixel model (its base rates), as
-- `scripts/evaluate.lua --start class` does, then run 500 block Gibbs steps with the label
-- clamped.

-- %%
local by_digit = {}
for d = 0, 9 do by_digit[d] = {} end
for i = 1, train_y:numel() do table.insert(by_digit[train_y:get(i)], i) end
local rowsets = {}
for d = 0, 9 do
  local idx = ebm.i32(by_digit[d])
  local base_d = lm:base_rate(lm:encode(ebm.data.take(train, idx), ebm.data.take(train_y, idx)))
  local _, p = lm:sample(8, {steps = 500, label = d, seed = 10 + d, init = lm:base_sample(8, base_d, 3, 8 * d)})
  rowsets[#rowsets + 1] = {label = tostring(d), images = lm:images(p)}
end
ebm.display(ebm.viz.rows(rowsets, {scale = 2, pad = 1}), {scale = 1})

-- %% [markdown]
-- Each row: 8 chains for the digit on its left, shown as the last step's pixel
-- probabilities.
