-- %% [markdown]
-- # The energy landscape of a trained grid EBM
--
-- How does the energy a model assigns separate digits from non-digits, and where do its
-- chains go? A binary Potts grid model of the digit 3 is trained for a few seconds (as in
-- notebook 02), then looked at with `ebm.landscape` (the library behind
-- `scripts/landscape.lua`, which does the full analysis on saved models). Lower energy =
-- more probable.

-- %%
cfg = ebm.cli.train_config{digit = 3, model = "potts", levels = 2, epochs = 6,
                            limit = 3000, seed = 1, quiet = true}
train_x, valid_x = ebm.digit.load(cfg)
m = ebm.train.build_model(cfg)
ebm.train.init_params(m, cfg, train_x)
tr = ebm.train.trainer{model = m, train = train_x, valid = valid_x, config = cfg}
while tr.epoch_done < cfg.epochs do tr:epoch() end
m:params()["weight.pair"]

-- %% [markdown]
-- ## Energies of data and of what is not data
-- Test images of the 3 against test images of other digits, the same 3s with 10% or 30% of
-- their pixels flipped, uniform noise and the model's own samples. The AUC is the
-- probability that a test 3 has lower energy than an image of the other set (1: perfect
-- separation, 0.5: none).

-- %%
local L = ebm.landscape
function rows_of(images)      -- u8 [N, 28, 28] -> [784, N], the chains layout
  return images:contiguous():view(images:size(1), 784):t():contiguous()
end
local function energies(images) return m:energy(rows_of(images)):totable() end

local test3 = ebm.data.mnist{split = "test", digits = {3}, levels = 2, limit = 500}
local others = ebm.data.mnist{split = "test", digits = {0, 1, 2, 4, 5, 6, 7, 8, 9}, levels = 2, limit = 500}
local r = ebm.rng(5)
noise = ebm.u8(500, 28, 28)
for i = 1, noise:numel() do noise:view(noise:numel()):set(i, r:uniform() < 0.5 and 1 or 0) end
local samples = tr:samples(500, 200)

E = {data = energies(test3)}
local sets = {{"other digits", others}, {"10% flipped", L.corrupt(test3, 0.1, 2, ebm.rng(6))},
              {"30% flipped", L.corrupt(test3, 0.3, 2, ebm.rng(7))}, {"uniform noise", noise},
              {"model samples", samples}}
local function mean(t) local s = 0 for _, v in ipairs(t) do s = s + v end return s / #t end
local rows = {{set = "test 3s (data)", ["mean energy"] = string.format("%.1f", mean(E.data)), AUC = ""}}
for _, s in ipairs(sets) do
  E[s[1]] = energies(s[2])
  rows[#rows + 1] = {set = s[1], ["mean energy"] = string.format("%.1f", mean(E[s[1]])),
                     AUC = string.format("%.3f", L.auc(E.data, E[s[1]]))}
end
ebm.display(rows, {columns = {"set", "mean energy", "AUC"}})

-- %%
local function hist(values, lo, hi, bins)
  local c = {}
  for b = 1, bins do c[b] = 0 end
  for _, v in ipairs(values) do
    local b = math.floor((v - lo) / (hi - lo) * bins) + 1
    if b >= 1 and b <= bins then c[b] = c[b] + 1 end
  end
  return c
end
local names = {"data", "other digits", "10% flipped", "model samples"}
local lo, hi, bins = math.huge, -math.huge, 50
for _, name in ipairs(names) do
  for _, v in ipairs(E[name]) do lo, hi = math.min(lo, v), math.max(hi, v) end
end
hi = hi + 1e-9 * math.abs(hi)
local xs = {}
for b = 1, bins do xs[b] = lo + (b - 0.5) * (hi - lo) / bins end
local series = {}
for _, name in ipairs(names) do
  series[#series + 1] = {name = name, x = xs, y = hist(E[name], lo, hi, bins)}
end
ebm.plot.lines{path = ebm.display.figure("energies"), title = "energy histograms (500 images each)",
               xlabel = "energy", ylabel = "count", width = 640, height = 320, series = series}

-- %% [markdown]
-- ## Minima: zero-temperature quenches
-- 64 chains from uniform noise, updated block by block at zero temperature (each pixel
-- takes its most probable value given its neighbours) until nothing changes: each chain ends
-- in a local minimum. The distinct minima reached, most common first, with how many
-- chains ended in each:

-- %%
local x = rows_of(noise:narrow(1, 1, 64))
local _, sweeps, changes = ebm.landscape.quench(m, x)
minima = ebm.landscape.minima(m, x)
print(string.format("%d sweeps, %d changes in the last; %d distinct minima among 64 chains", sweeps, changes, #minima))
local shown = {}
for k = 1, math.min(8, #minima) do shown[k] = minima[k].state:view(1, 28, 28) end
local rows = {}
for k = 1, math.min(8, #minima) do rows[k] = {rank = k, chains = minima[k].count, energy = string.format("%.1f", minima[k].energy)} end
ebm.display(rows, {columns = {"rank", "chains", "energy"}})

-- %%
local imgs = ebm.u8(math.min(8, #minima), 28, 28)
for k = 1, imgs:size(1) do imgs:select(1, k):copy(minima[k].state:view(28, 28)) end
ebm.display(imgs, {nrow = 8, scale = 3, levels = 2})

-- %% [markdown]
-- ## A chain, animated
-- 16 chains at beta 1 from noise, one frame per sweep for 30 sweeps (`ebm.viz.animate`
-- writes the GIF; `ebm.display` shows it), the energy of chain 1 under the frames.

-- %%
local s = ebm.sampler{model = m, seed = 3}
local c = s:chains(16, "uniform")
local frames, energy = {}, {}
for t = 1, 30 do
  s:sweep(c, {n = 1})
  frames[t] = c:t():contiguous():view(16, 28, 28):clone()
  energy[t] = m:energy(c):get(1)
end
local gif = ebm.display.figure("chains.gif")
ebm.viz.animate(frames, {path = gif, levels = 2, scale = 2, nrow = 8, delay = 15, energy = energy})
ebm.display(gif)
